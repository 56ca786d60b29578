//! `sign-in-flood`: an Org Admin's writes (a team's description, sequential) while one address
//! floods `POST /api/v1/auth/email/start` (by default at 650 requests/s, the attack an attack
//! pass measured: 13,000 in 20 s; `--rate 0` as fast as it can), against the same writes with no
//! flood, in one run. With the production limits a refused start costs memory only, so the
//! writes should barely notice (goal: median within 2× of idle).

use crate::rig::{Rig, ms, stats, svc};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use switchboard_service::Config;

pub(crate) async fn admin_writes(
    rig: &Rig,
    team: &str,
    n: usize,
) -> anyhow::Result<Vec<std::time::Duration>> {
    let url = format!("{}/api/v1/orgs/{}/teams/{team}", rig.base, rig.org);
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let r = rig
            .client
            .patch(&url)
            .bearer_auth(&rig.token)
            .json(&json!({"description": format!("write {i}")}))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "admin write answered {}",
            r.status()
        );
        r.bytes().await?;
        lat.push(t.elapsed());
    }
    Ok(lat)
}

pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    writes: usize,
    flooders: usize,
    rate: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed_with(database_url, users, teams, flooders + 1, Config::default()).await?;
    let team = rig.services.list_teams(&rig.caller).await.map_err(svc)?[0]
        .id
        .clone();
    admin_writes(&rig, &team, 20).await?;
    let idle = stats(admin_writes(&rig, &team, writes).await?);

    let stop = Arc::new(AtomicBool::new(false));
    let (accepted, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tasks = Vec::new();
    for f in 0..flooders {
        let (client, base) = (rig.client.clone(), rig.base.clone());
        let (stop, accepted, refused) = (stop.clone(), accepted.clone(), refused.clone());
        let interval =
            (rate > 0.0).then(|| std::time::Duration::from_secs_f64(flooders as f64 / rate));
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut tick = interval.map(tokio::time::interval);
            while !stop.load(Ordering::Relaxed) {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                n += 1;
                let r = client
                    .post(format!("{base}/api/v1/auth/email/start"))
                    .json(&json!({"email": format!("flood{f}.{n}@example.com")}))
                    .send()
                    .await?;
                match r.status().as_u16() {
                    202 => accepted.fetch_add(1, Ordering::Relaxed),
                    429 => refused.fetch_add(1, Ordering::Relaxed),
                    s => anyhow::bail!("a flooded start answered {s}"),
                };
                r.bytes().await?;
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    let flooded = stats(admin_writes(&rig, &team, writes).await?);
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    let (a, r) = (
        accepted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    let pace = if rate > 0.0 {
        format!("{rate:.0} starts/s")
    } else {
        "as fast as it can".into()
    };
    println!(
        "\n{:?}: {writes} admin writes (PATCH a team), sequential; flood: {flooders} clients from one address, {pace}",
        rig.store.backend()
    );
    println!("  idle:    median {}  p99 {}", ms(idle.p50), ms(idle.p99));
    println!(
        "  flooded: median {}  p99 {}",
        ms(flooded.p50),
        ms(flooded.p99)
    );
    println!(
        "  flood: {:.0} starts/s ({a} accepted, {r} refused with 429)",
        (a + r) as f64 / secs
    );
    println!(
        "  ratio flooded / idle median: {:.2}x   (goal: within 2x)",
        flooded.p50.as_secs_f64() / idle.p50.as_secs_f64()
    );
    rig.finish().await
}
