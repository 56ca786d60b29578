//! `fair-share`: an Org Admin's writes (a team's description, sequential) idle, then under two
//! floods, in one run with the production limits: four agents' app tokens posting 1,000-event
//! usage batches, and unauthenticated sign-in starts from many source addresses (127.1.x.y on
//! loopback). By default each flood runs at the pace the attack pass measured (10 batches/s —
//! its 11 GB/h — and 650 starts/s); `--ingest-rate 0` / `--start-rate 0` flood as fast as the
//! clients can, which on a small machine measures the CPU the flooders take from the server
//! they share it with as much as the server. Reports the writes' p50 and p99 under each flood
//! as ratios to idle (goal: within 1.5×), and what the floods got through.

use crate::flood::admin_writes;
use crate::rig::{Rig, ms, stats, svc};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use switchboard_service::Config;

/// Counts of a flood's answers.
#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    refused: AtomicU64,
}

impl Tally {
    fn count(&self, status: u16) -> anyhow::Result<()> {
        match status {
            200 | 202 => self.accepted.fetch_add(1, Ordering::Relaxed),
            429 => self.refused.fetch_add(1, Ordering::Relaxed),
            s => anyhow::bail!("a flood request answered {s}"),
        };
        Ok(())
    }
}

/// A paced loop's ticker: `rate` per second over `tasks` tasks, or none (as fast as it can).
fn ticker(rate: f64, tasks: usize) -> Option<tokio::time::Interval> {
    (rate > 0.0).then(|| {
        let mut t = tokio::time::interval(std::time::Duration::from_secs_f64(tasks as f64 / rate));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    })
}

fn usage_batch(agent: usize, n: u64) -> Value {
    let ended = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_mins(5))
        .expect("a time")
        .to_string();
    let events: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"id": format!("flood-{agent}-{n}-{i}"), "type": "call", "ended_at": ended,
                "duration_s": 120, "features_s": {"outbound_noise_cancellation": 120}})
        })
        .collect();
    json!({ "events": events })
}

/// Runs `writes` admin writes while `flood` runs; the writes' stats and the flood's rate.
async fn under<F, Fut>(
    rig: &Rig,
    team: &str,
    writes: usize,
    tasks: usize,
    flood: F,
) -> anyhow::Result<(crate::rig::Stats, Arc<Tally>, f64)>
where
    F: Fn(usize, Arc<AtomicBool>, Arc<Tally>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let handles: Vec<_> = (0..tasks)
        .map(|i| tokio::spawn(flood(i, stop.clone(), tally.clone())))
        .collect();
    // Let the flood reach its pace before measuring.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = Instant::now();
    let s = stats(admin_writes(rig, team, writes).await?);
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.await??;
    }
    Ok((s, tally, secs))
}

pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    writes: usize,
    sources: usize,
    ingest_rate: f64,
    start_rate: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed_with(database_url, users, teams, 8, Config::default()).await?;
    let team = rig.services.list_teams(&rig.caller).await.map_err(svc)?[0]
        .id
        .clone();
    let agents = rig.agents(4).await?;
    admin_writes(&rig, &team, 20).await?;
    let idle = stats(admin_writes(&rig, &team, writes).await?);

    let tokens: Arc<Vec<String>> = Arc::new(agents.iter().map(|a| a.token.clone()).collect());
    // Bodies made ahead (the flood measures the server, not the clients' JSON).
    let bodies: Arc<Vec<Vec<String>>> = Arc::new(
        (0..tokens.len())
            .map(|i| {
                (0..64)
                    .map(|n| usage_batch(i, n as u64).to_string())
                    .collect()
            })
            .collect(),
    );
    let (client, base) = (rig.client.clone(), rig.base.clone());
    let (ingest, ingest_tally, ingest_secs) = under(&rig, &team, writes, 4, |i, stop, tally| {
        let (client, base, tokens) = (client.clone(), base.clone(), tokens.clone());
        let bodies = bodies.clone();
        let mut tick = ticker(ingest_rate, 4);
        async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                n += 1;
                let r = client
                    .post(format!("{base}/app/v1/usage"))
                    .bearer_auth(&tokens[i])
                    .header("content-type", "application/json")
                    .body(bodies[i][n % bodies[i].len()].clone())
                    .send()
                    .await?;
                tally.count(r.status().as_u16())?;
                r.bytes().await?;
            }
            anyhow::Ok(())
        }
    })
    .await?;

    let base = rig.base.clone();
    let (unauth, unauth_tally, unauth_secs) =
        under(&rig, &team, writes, sources, |i, stop, tally| {
            let base = base.clone();
            let mut tick = ticker(start_rate, sources);
            async move {
                let source = Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250) as u8 + 1);
                let client = reqwest::Client::builder()
                    .local_address(IpAddr::V4(source))
                    .build()?;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(t) = tick.as_mut() {
                        t.tick().await;
                    }
                    n += 1;
                    let r = client
                        .post(format!("{base}/api/v1/auth/email/start"))
                        .json(&json!({"email": format!("flood{i}.{n}@example.com")}))
                        .send()
                        .await?;
                    tally.count(r.status().as_u16())?;
                    r.bytes().await?;
                }
                anyhow::Ok(())
            }
        })
        .await?;

    let ratio = |a: std::time::Duration, b: std::time::Duration| a.as_secs_f64() / b.as_secs_f64();
    let rate = |t: &Tally, secs: f64| {
        let (a, r) = (
            t.accepted.load(Ordering::Relaxed),
            t.refused.load(Ordering::Relaxed),
        );
        format!(
            "{:.0}/s ({a} accepted, {r} refused with 429)",
            (a + r) as f64 / secs
        )
    };
    println!(
        "\n{:?}: {writes} admin writes (PATCH a team), sequential, production limits",
        rig.store.backend()
    );
    println!(
        "  idle:             p50 {}  p99 {}",
        ms(idle.p50),
        ms(idle.p99)
    );
    println!(
        "  ingest flood:     p50 {}  p99 {}   ratio p50 {:.2}x  p99 {:.2}x   (4 agents, 1,000-event batches: {})",
        ms(ingest.p50),
        ms(ingest.p99),
        ratio(ingest.p50, idle.p50),
        ratio(ingest.p99, idle.p99),
        rate(&ingest_tally, ingest_secs)
    );
    println!(
        "  sign-in flood:    p50 {}  p99 {}   ratio p50 {:.2}x  p99 {:.2}x   ({sources} source addresses: {})",
        ms(unauth.p50),
        ms(unauth.p99),
        ratio(unauth.p50, idle.p50),
        ratio(unauth.p99, idle.p99),
        rate(&unauth_tally, unauth_secs)
    );
    println!("  goal: every ratio within 1.5x");
    rig.finish().await
}
