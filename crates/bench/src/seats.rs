//! `seats`: issue 23's figures. The idle set (R29): every email team of the demo organization
//! releases seats idle for 30 days, and the idle list is read (`idle_seats`, what the job and
//! the pages read) against the floor of `SELECT count(*)` over the organization's memberships in
//! the same run. Seat history (R30): 400 days of a subscription with 200 teams, read over HTTP
//! (`GET …/seat-history` for the 400 days) against `/healthz` of the same server; p50 and p99.

use crate::rig::{Rig, ms, stats, svc};
use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_domain::ids::{OrgId, TeamId};
use switchboard_domain::team::LoginType;
use switchboard_store::seat_history::{self, HistoryRow};
use switchboard_store::{billing, now_ms, orgs};

const DAY_MS: i64 = 86_400_000;

async fn timed<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

pub async fn run(db: &str, users: usize, teams: usize, runs: usize) -> anyhow::Result<()> {
    let rig = Rig::seed(db, users, teams, 4).await?;
    let org = OrgId::parse(&rig.org).expect("an organization id");
    let ctx = switchboard_service::RequestInfo {
        request_id: "bench".into(),
    };
    let all = {
        let mut c = rig.store.read().await?;
        orgs::list_teams(&mut c, &org).await?
    };
    for t in all.iter().filter(|t| t.login_type == LoginType::Email) {
        rig.services
            .update_team_settings(
                &rig.caller,
                &ctx,
                &t.id,
                json!({"seat_release_after_days": 30}),
            )
            .await
            .map_err(svc)?;
    }

    // The idle set against a count of the memberships.
    let floor = timed(runs, || async {
        let mut c = rig.store.read().await?;
        let n: i64 = switchboard_store::sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE org_id = $1",
        )
        .bind(org.as_str())
        .fetch_one(&mut *c)
        .await?;
        anyhow::ensure!(n > 0, "memberships");
        Ok(())
    })
    .await?;
    let found = std::sync::atomic::AtomicUsize::new(0);
    let idle = timed(runs, || async {
        let n = rig
            .services
            .idle_seats(&rig.caller, None)
            .await
            .map_err(svc)?
            .len();
        found.store(n, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    })
    .await?;
    let found = found.into_inner();
    let (f, i) = (stats(floor), stats(idle));
    println!(
        "idle set: {found} idle of {users} people: p50 {} against count(*) {} — {:.2}× the floor",
        ms(i.p50),
        ms(f.p50),
        i.p50.as_secs_f64() / f.p50.as_secs_f64()
    );

    // 400 days of history for a subscription with every team, over HTTP against /healthz.
    let sub = {
        let mut c = rig.store.read().await?;
        billing::list_subscriptions(&mut c, &org).await?[0]
            .id
            .clone()
    };
    let team_ids: Vec<TeamId> = all.iter().map(|t| t.id.clone()).collect();
    let now = now_ms();
    let mut rows = Vec::new();
    for ago in 1..=400 {
        let day = switchboard_domain::usage::day_of(now - ago * DAY_MS, "UTC");
        for t in team_ids.iter().map(Some).chain([None]) {
            rows.push(HistoryRow {
                org_id: org.clone(),
                subscription_id: sub.clone(),
                day: day.clone(),
                team_id: t.map(ToString::to_string).unwrap_or_default(),
                pool: 100,
                reserved: 0,
                used: 50 + ago % 7,
                active_7d: 40,
                active_28d: 45,
                pending_invitations: 1,
                never_used: 2,
            });
        }
    }
    {
        let mut tx = rig.store.write().await?;
        seat_history::insert_day(&mut tx, &rows).await?;
        tx.commit().await?;
    }
    let from = switchboard_domain::usage::day_of(now - 400 * DAY_MS, "UTC");
    let to = switchboard_domain::usage::day_of(now - DAY_MS, "UTC");
    let url = format!(
        "{}/api/v1/orgs/{}/subscriptions/{sub}/seat-history?from={from}&to={to}",
        rig.base, rig.org
    );
    let health = format!("{}/healthz", rig.base);
    let get = |u: String| {
        let (client, token) = (&rig.client, &rig.token);
        async move {
            let r = client.get(&u).bearer_auth(token).send().await?;
            anyhow::ensure!(r.status().is_success(), "{u}: {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    };
    let floor = timed(runs, || get(health.clone())).await?;
    let history = timed(runs, || get(url.clone())).await?;
    let (f, h) = (stats(floor), stats(history));
    println!(
        "seat history: {} rows (400 days × {} teams + the subscription): p50 {} p99 {} against /healthz p50 {} p99 {}",
        rows.len(),
        team_ids.len(),
        ms(h.p50),
        ms(h.p99),
        ms(f.p50),
        ms(f.p99)
    );
    rig.finish().await
}
