//! `usage`: R26's two figures. Ingest: 8 apps each post batches of 500 call events over HTTP
//! (`POST /app/v1/usage`), against the floor of the same number of events written straight to
//! the store — the same rows and rollup upserts, one transaction per batch, 8 writers at once —
//! in the same run; events per second and the ratio. Summary: the org-wide per-team summary for
//! 90 days (`GET …/analytics/teams`), answered from the rollups, on an organization whose users
//! were all active every day of the 90; p50 and p99.

use crate::rig::{Agent, Rig, ms, stats};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_domain::ids::{OrgId, TeamId};
use switchboard_domain::usage::{EventKind, UsageEvent, day_of};
use switchboard_store::{now_ms, usage};

const CLIENTS: usize = 8;
const BATCH: usize = 500;

/// Client `c`'s batch `b` of calls, ids prefixed with `tag`; each ends within the last 3 days.
fn batch(tag: &str, c: usize, b: usize, now: i64) -> Vec<UsageEvent> {
    (0..BATCH)
        .map(|i| {
            let n = (b * BATCH + i) as i64;
            let duration = 60 + (n * 37) % 600;
            UsageEvent {
                id: format!("{tag}-{c}-{b}-{i}"),
                kind: EventKind::Call,
                at: now - 60_000 - (n * 7_919_000) % (3 * 86_400_000),
                duration_s: duration,
                features_s: BTreeMap::from([
                    ("outbound_noise_cancellation".to_owned(), duration),
                    ("accent_conversion".to_owned(), duration / 2),
                ]),
            }
        })
        .collect()
}

fn as_json(events: &[UsageEvent]) -> Value {
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            let ended = jiff::Timestamp::from_millisecond(e.at)
                .expect("a time")
                .to_string();
            json!({"id": e.id, "type": "call", "ended_at": ended, "duration_s": e.duration_s,
                "features_s": e.features_s})
        })
        .collect();
    json!({ "events": list })
}

/// The floor: one batch written straight to the store, as ingest writes it.
async fn write_direct(
    store: &switchboard_store::Store,
    org: &OrgId,
    agent: &Agent,
    events: &[UsageEvent],
) -> anyhow::Result<()> {
    let team = TeamId::parse(&agent.team).ok_or_else(|| anyhow::anyhow!("a team id"))?;
    let mut sorted: Vec<&UsageEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut tx = store.write().await?;
    let fresh = usage::insert_events(&mut tx, org, &team, &agent.user, &sorted, now_ms()).await?;
    anyhow::ensure!(fresh.len() == events.len(), "every event is new");
    let mut days: BTreeMap<String, (i64, i64, BTreeMap<String, i64>)> = BTreeMap::new();
    for e in &sorted {
        let d = days.entry(day_of(e.at, "UTC")).or_default();
        d.0 += 1;
        d.1 += e.duration_s;
        for (k, v) in &e.features_s {
            *d.2.entry(k.clone()).or_default() += v;
        }
    }
    if let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) {
        let last_call = sorted.iter().map(|e| e.at).max();
        usage::touch_team_subject(&mut tx, org, &team, &agent.user, first, last, last_call).await?;
    }
    for (day, (calls, seconds, features)) in days {
        let features: Vec<(String, i64)> = features.into_iter().collect();
        usage::add_to_rollups(
            &mut tx,
            org,
            &team,
            &agent.user,
            &day,
            calls,
            seconds,
            0,
            &features,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs `one(client, batch)` for `batches` batches on each of the 8 clients at once; the time.
async fn timed<F, Fut>(batches: usize, one: F) -> anyhow::Result<Duration>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let one = Arc::new(one);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..batches {
                one(c, b).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(t0.elapsed())
}

pub async fn run(db: &str, users: usize, teams: usize, batches: usize) -> anyhow::Result<()> {
    let rig = Rig::seed(db, users, teams, CLIENTS).await?;
    let agents = Arc::new(rig.agents(CLIENTS).await?);
    let org = OrgId::parse(&rig.org).ok_or_else(|| anyhow::anyhow!("an org id"))?;
    let events = (CLIENTS * batches * BATCH) as f64;
    let now = now_ms();

    // Warm both paths (a batch each), then the floor and ingest over HTTP, alternately twice.
    let url = format!("{}/app/v1/usage", rig.base);
    let http = {
        let (client, agents, url) = (rig.client.clone(), agents.clone(), url.clone());
        move |tag: &'static str| {
            let (client, agents, url) = (client.clone(), agents.clone(), url.clone());
            move |c: usize, b: usize| {
                let (client, agents, url) = (client.clone(), agents.clone(), url.clone());
                async move {
                    let body = as_json(&batch(tag, c, b, now));
                    let r = client
                        .post(&url)
                        .bearer_auth(&agents[c].token)
                        .json(&body)
                        .send()
                        .await?;
                    anyhow::ensure!(r.status().is_success(), "ingest answered {}", r.status());
                    let receipt: Value = r.json().await?;
                    let accepted = receipt["events"].as_array().map_or(0, |l| {
                        l.iter().filter(|e| e["outcome"] == "accepted").count()
                    });
                    anyhow::ensure!(accepted == BATCH, "{accepted} of {BATCH} accepted");
                    Ok(())
                }
            }
        }
    };
    let direct = {
        let (store, agents, org) = (rig.store.clone(), agents.clone(), org.clone());
        move |tag: &'static str| {
            let (store, agents, org) = (store.clone(), agents.clone(), org.clone());
            move |c: usize, b: usize| {
                let (store, agents, org) = (store.clone(), agents.clone(), org.clone());
                async move { write_direct(&store, &org, &agents[c], &batch(tag, c, b, now)).await }
            }
        }
    };
    timed(1, http("warm-h")).await?;
    timed(1, direct("warm-d")).await?;
    let mut best = (Duration::MAX, Duration::MAX);
    for (round, (h, d)) in [("h1", "d1"), ("h2", "d2")].into_iter().enumerate() {
        let floor = timed(batches, direct(d)).await?;
        let over_http = timed(batches, http(h)).await?;
        println!(
            "round {}: direct {:.0} events/s, HTTP {:.0} events/s",
            round + 1,
            events / floor.as_secs_f64(),
            events / over_http.as_secs_f64()
        );
        best = (best.0.min(over_http), best.1.min(floor));
    }
    println!(
        "ingest, {CLIENTS} clients × {batches} batches of {BATCH}: HTTP {:.0} events/s, direct \
         {:.0} events/s, ratio {:.2}× the floor's time (goal ≤ 2×)",
        events / best.0.as_secs_f64(),
        events / best.1.as_secs_f64(),
        best.0.as_secs_f64() / best.1.as_secs_f64()
    );

    summary(&rig, &org).await?;
    rig.finish().await
}

/// Every user of the organization active every one of the last 90 days, then the summary.
async fn summary(rig: &Rig, org: &OrgId) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let mut c = rig.store.write().await?;
    let members = switchboard_store::scim::team_members(&mut c, org).await?;
    let today: jiff::civil::Date = day_of(now_ms(), "UTC").parse()?;
    let days: Vec<String> = (0..90)
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(back)).ok())
        .map(|d| d.to_string())
        .collect();
    let mut subjects = Vec::with_capacity(members.len() * days.len());
    let mut team_days: BTreeMap<(TeamId, String), i64> = BTreeMap::new();
    for (i, (team, user)) in members.iter().enumerate() {
        for (j, day) in days.iter().enumerate() {
            let calls = 3 + ((i + j) % 5) as i64;
            subjects.push((
                team.clone(),
                user.to_string(),
                day.clone(),
                calls,
                calls * 240,
                1,
            ));
            *team_days.entry((team.clone(), day.clone())).or_default() += calls * 240;
        }
    }
    let features: Vec<_> = team_days
        .into_iter()
        .map(|((team, day), s)| (team, day, "outbound_noise_cancellation".to_owned(), s))
        .collect();
    usage::insert_rollups(&mut c, org, &subjects, &features).await?;
    c.commit().await?;
    let active = members
        .iter()
        .map(|(_, u)| u)
        .collect::<std::collections::HashSet<_>>()
        .len();
    println!(
        "summary: {active} users active on each of 90 days ({} subject-days, about {} calls) \
         seeded in {:.1} s",
        subjects.len(),
        subjects.iter().map(|s| s.3).sum::<i64>(),
        t0.elapsed().as_secs_f64()
    );
    let url = format!(
        "{}/api/v1/orgs/{}/analytics/teams?from={}&to={}",
        rig.base,
        rig.org,
        days[days.len() - 1],
        days[0]
    );
    let mut times = Vec::new();
    for i in 0..103 {
        let t = Instant::now();
        let r = rig.client.get(&url).bearer_auth(&rig.token).send().await?;
        anyhow::ensure!(r.status().is_success(), "summary answered {}", r.status());
        let body: Value = r.json().await?;
        if i == 0 {
            let active: i64 = body["items"].as_array().map_or(0, |l| {
                l.iter().filter_map(|t| t["active_users"].as_i64()).sum()
            });
            println!("summary: active users over the teams: {active}");
        }
        // The first few warm the caches; 100 measured.
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    let s = stats(times);
    println!(
        "90-day team summary: p50 {}, p99 {} (goal p99 < 100 ms)",
        ms(s.p50),
        ms(s.p99)
    );
    Ok(())
}
