//! `entitlement`: the app's entitlement answer (200 and 304) against `/healthz`, p99 at half the
//! maximum rate, and the first request after a policy edit.

use crate::rig::{Rig, ms, paced, rate, rss_mib, svc};
use anyhow::Context;
use serde_json::json;
use std::time::Instant;
use switchboard_service::RequestInfo;

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
    let tokens: Vec<String> = rig
        .agents(workers)
        .await?
        .into_iter()
        .map(|a| a.token)
        .collect();
    let url = format!("{}/app/v1/entitlement", rig.base);
    let mut etags = Vec::new();
    for t in &tokens {
        let r = rig.client.get(&url).bearer_auth(t).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "entitlement answered {}",
            r.status()
        );
        etags.push(r.headers()["etag"].to_str()?.to_owned());
    }
    let health = format!("{}/healthz", rig.base);
    // Warm up, then note memory: nobody scrapes /metrics during the run, so any per-request
    // sample the metrics recorder kept would show as growth.
    rate(&rig.client, workers, 1.0, {
        let h = health.clone();
        move |c, _, _| c.get(&h)
    })
    .await?;
    let rss_before = rss_mib();
    let (healthz, _, _) = rate(&rig.client, workers, secs, move |c, _, _| c.get(&health)).await?;
    let (u1, t1) = (url.clone(), tokens.clone());
    let (full, _, _) = rate(&rig.client, workers, secs, move |c, w, _| {
        c.get(&u1).bearer_auth(&t1[w])
    })
    .await?;
    let (u2, t2, e2) = (url.clone(), tokens.clone(), etags.clone());
    let (not_modified, _, _) = rate(&rig.client, workers, secs, move |c, w, _| {
        c.get(&u2)
            .bearer_auth(&t2[w])
            .header("if-none-match", &e2[w])
    })
    .await?;
    let (u3, t3) = (url.clone(), tokens.clone());
    let half = paced(&rig.client, workers, full / 2.0, secs, move |c, w| {
        c.get(&u3).bearer_auth(&t3[w])
    })
    .await?;
    let rss_after = rss_mib();
    println!(
        "\n{:?}, 20 policies, {workers} concurrent clients, {secs} s each:",
        rig.store.backend()
    );
    println!(
        "  resident memory, no /metrics scrape: {rss_before:.1} MiB before the load, {rss_after:.1} MiB after ({:+.1} MiB)",
        rss_after - rss_before
    );
    println!("  GET /healthz:                {healthz:.0} req/s");
    println!(
        "  GET /app/v1/entitlement 200: {full:.0} req/s   ratio {:.2}  (goal: at least 0.5)",
        full / healthz
    );
    println!(
        "  GET /app/v1/entitlement 304: {not_modified:.0} req/s   ratio {:.2}  (goal: at least 0.8)",
        not_modified / healthz
    );
    println!(
        "  at half the maximum rate ({:.0} req/s): p50 {}  p99 {}  (goal: p99 under 5 ms)",
        full / 2.0,
        ms(half.p50),
        ms(half.p99)
    );

    // A policy edit, then the very next request (with the ETag it had).
    let (token, etag) = (&tokens[0], &etags[0]);
    let before: serde_json::Value = serde_json::from_str(
        &rig.client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await?
            .text()
            .await?,
    )?;
    let agent_team = before["team"]["id"].as_str().unwrap_or_default().to_owned();
    let pol = policies
        .iter()
        .find(|p| p.team_ids.iter().any(|t| t.as_str() == agent_team))
        .context("every team is under one policy")?;
    let flipped = !before["settings"]["agents_can_change_settings"]
        .as_bool()
        .unwrap_or(false);
    let mut values = pol.values.clone();
    values.insert("agents_can_change_settings".into(), json!(flipped));
    let t = Instant::now();
    let edit = switchboard_service::settings::UpdatePolicy {
        name: None,
        values: Some(values),
        team_ids: None,
    };
    services
        .update_policy(caller, &ctx, &pol.id, edit)
        .await
        .map_err(svc)?;
    let edited = t.elapsed();
    let t = Instant::now();
    let r = rig
        .client
        .get(&url)
        .bearer_auth(token)
        .header("if-none-match", etag)
        .send()
        .await?;
    let status = r.status();
    let after: serde_json::Value = serde_json::from_str(&r.text().await?).unwrap_or_default();
    println!(
        "  policy edit committed in {}; the next request ({} later) answered {} and sees the edit: {}",
        ms(edited),
        ms(t.elapsed()),
        status,
        after["settings"]["agents_can_change_settings"] == json!(flipped)
    );
    rig.finish().await
}
