//! `entitlement`: the app's entitlement answer (200 and 304) against `/healthz` of the same
//! server — the real binary in its own process, driven by `wrk` from another — with req/s,
//! p50/p99 and the server's CPU per request, without and with an Org Admin writing once a
//! second (each write moves the organization's version, so its cached answers are rebuilt).

use crate::external::{Placement, Run, Server, wrk};
use crate::rig::{Rig, ms, svc};
use anyhow::Context;
use serde_json::json;
use std::time::Duration;
use switchboard_service::RequestInfo;

/// Rounds of each route per measurement.
const ROUNDS: usize = 5;

/// The median of a few figures.
fn median_of(figures: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = figures.into_iter().collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The entitlement answer on an organization with 20 policies.
pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, workers).await?;
    let (services, caller) = (&rig.services, &rig.caller);
    let ctx = RequestInfo {
        request_id: "bench".into(),
    };
    let team_list = services.list_teams(caller).await.map_err(svc)?;
    let keys: Vec<&str> = switchboard_domain::settings::catalog()
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    // 20 policies, each over its own slice of the teams, each setting two keys.
    let per = (team_list.len() / 20).max(1);
    let mut policies = Vec::new();
    for i in 0..20 {
        let slice: Vec<String> = team_list
            .iter()
            .skip(i * per)
            .take(per)
            .map(|t| t.id.clone())
            .collect();
        let key = keys[i % keys.len()];
        let values = std::collections::BTreeMap::from([
            (
                key.to_owned(),
                switchboard_domain::settings::spec(key)
                    .map(|s| s.default.clone())
                    .unwrap_or_default(),
            ),
            ("agents_can_change_settings".to_owned(), json!(i % 2 == 0)),
        ]);
        let req = switchboard_service::settings::CreatePolicy {
            name: format!("Policy {i}"),
            values,
            team_ids: slice,
        };
        policies.push(
            services
                .create_policy(caller, &ctx, req)
                .await
                .map_err(svc)?,
        );
    }
    // One agent per worker, each with an app token bound to a team under a policy.
    let agents = rig.agents(workers).await?;
    let tokens: Vec<String> = agents.iter().map(|a| a.token.clone()).collect();
    let undecided = rig.undecided_agent().await?;
    let (dir, admin, org) = (rig.dir.clone(), rig.token.clone(), rig.org.clone());
    let backend = rig.store.backend();
    // The team whose settings the admin edits: not the measured agent's.
    let other_team = team_list
        .iter()
        .map(|t| t.id.clone())
        .find(|t| *t != agents[0].team)
        .context("a second team")?;
    rig.finish().await?;
    std::fs::create_dir_all(&dir)?;

    // The real binary, from another process; wrk, from a third: first with both free to use
    // every core, then each pinned to its own.
    for placement in Placement::available() {
        let server = Server::start(database_url, &dir, placement).await?;
        let run = Measured {
            server: &server,
            token: &tokens[0],
            undecided: &undecided,
            admin: &admin,
            org: &org,
            other_team: &other_team,
            workers,
            secs,
        };
        run.measure(backend).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One server's measurement: its routes, with and without an admin writing.
struct Measured<'a> {
    server: &'a Server,
    token: &'a str,
    /// A token in no team yet: its answer is 409.
    undecided: &'a str,
    admin: &'a str,
    org: &'a str,
    other_team: &'a str,
    workers: usize,
    secs: f64,
}

impl Measured<'_> {
    async fn measure(&self, backend: impl std::fmt::Debug) -> anyhow::Result<()> {
        let Measured {
            server,
            token,
            undecided,
            admin,
            org,
            other_team,
            workers,
            secs,
        } = *self;
        let url = format!("{}/app/v1/entitlement", server.base);
        let client = reqwest::Client::new();
        let r = client.get(&url).bearer_auth(token).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "entitlement answered {}",
            r.status()
        );
        let etag = r.headers()["etag"].to_str()?.to_owned();
        let refused = client.get(&url).bearer_auth(undecided).send().await?;
        anyhow::ensure!(
            refused.status() == reqwest::StatusCode::CONFLICT,
            "the undecided agent's entitlement answered {}",
            refused.status()
        );
        let auth = format!("Authorization: Bearer {token}");
        let health = format!("{}/healthz", server.base);
        let secs = secs.max(1.0) as u64;
        // An Org Admin editing another team's settings once a second: each edit moves the
        // organization's version, so every cached answer of the organization is rebuilt.
        let writer = |on: bool| {
            let (client, base, org, admin) = (
                client.clone(),
                server.base.clone(),
                org.to_owned(),
                admin.to_owned(),
            );
            let other = other_team.to_owned();
            tokio::spawn(async move {
                if !on {
                    return;
                }
                let mut flip = false;
                loop {
                    flip = !flip;
                    let _ = client
                        .patch(format!("{base}/api/v1/orgs/{org}/teams/{other}/settings"))
                        .bearer_auth(&admin)
                        .json(&json!({ "call_summary": flip }))
                        .send()
                        .await;
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            })
        };
        println!(
            "\n{backend:?}, 20 policies, {workers} connections, {secs} s each, the server in its own process, {:?}:",
            server.placement
        );
        println!(
            "  {:<46} {:>8} {:>7} {:>11} {:>9} {:>9} {:>7} {:>7}",
            "", "req/s", "ratio", "per round", "p50", "p99", "CPU µs", "ratio"
        );
        for writes in [false, true] {
            let w = writer(writes);
            // Rounds of the three routes in turn. A route's ratio to /healthz is taken within
            // each round (against the /healthz run just before it), then the median of those:
            // the machine's slow drifts cancel out of the ratio.
            let mut runs: [Vec<Run>; 4] = Default::default();
            let undecided = [format!("Authorization: Bearer {undecided}")];
            for _ in 0..ROUNDS {
                runs[0].push(wrk(server, &health, &[], workers, secs).await?);
                runs[1].push(wrk(server, &url, std::slice::from_ref(&auth), workers, secs).await?);
                let headers = [auth.clone(), format!("If-None-Match: {etag}")];
                runs[2].push(wrk(server, &url, &headers, workers, secs).await?);
                runs[3].push(wrk(server, &url, &undecided, workers, secs).await?);
            }
            w.abort();
            let label = if writes { ", admin writing 1/s" } else { "" };
            let names = [
                "GET /healthz",
                "entitlement 200",
                "entitlement 304",
                "entitlement 409 (no team)",
            ];
            for (i, (name, route)) in names.iter().zip(&runs).enumerate() {
                let ratios: Vec<f64> = route
                    .iter()
                    .zip(&runs[0])
                    .map(|(r, base)| r.per_second / base.per_second)
                    .collect();
                let cpu_ratios: Vec<f64> = route
                    .iter()
                    .zip(&runs[0])
                    .map(|(r, base)| {
                        r.cpu_per_request.as_secs_f64() / base.cpu_per_request.as_secs_f64()
                    })
                    .collect();
                let (low, high) = ratios
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(l, h), r| (l.min(*r), h.max(*r)));
                // The 409 route's answers are all refusals: not errors.
                let errors: u64 = if i == 3 {
                    0
                } else {
                    route.iter().map(|r| r.errors).sum()
                };
                println!(
                    "  {:<46} {:>8.0} {:>6.2}× {:>11} {:>9} {:>9} {:>7.1} {:>6.2}×{}",
                    format!("{name}{label}"),
                    median_of(route.iter().map(|r| r.per_second)),
                    median_of(ratios),
                    format!("{low:.2}–{high:.2}"),
                    ms(Duration::from_secs_f64(median_of(
                        route.iter().map(|r| r.p50.as_secs_f64())
                    ))),
                    ms(Duration::from_secs_f64(median_of(
                        route.iter().map(|r| r.p99.as_secs_f64())
                    ))),
                    median_of(route.iter().map(|r| r.cpu_per_request.as_secs_f64() * 1e6)),
                    median_of(cpu_ratios),
                    if errors > 0 {
                        format!("  ({errors} errors)")
                    } else {
                        String::new()
                    }
                );
            }
        }
        println!(
            "  ratio: the median of each round's ratio to /healthz (req/s, then CPU µs per request); per round: their range.\n  goals: 200 ≥ 0.8× and 304 ≥ 0.9× of /healthz; CPU per entitlement ≤ 2× /healthz's; p99 < 3 ms"
        );
        Ok(())
    }
}
