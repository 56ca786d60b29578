//! The demo's seats over time (R29, R30): the first team releases seats idle for 30 days, so
//! the people who stopped calling a month or more ago show as idle; seats have been held since
//! before the usage began; and 90 days of history climb toward a pool that the forecast says runs
//! out in about three weeks.

use crate::{ServiceResult, Services};
use serde_json::json;
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId};
use switchboard_domain::usage::day_of;
use switchboard_store::seat_history::{self, HistoryRow};
use switchboard_store::{billing, idle, now_ms};

const DAY_MS: i64 = 86_400_000;
/// How many weeks the demo's pool lasts at the present pace.
const WEEKS_LEFT: f64 = 3.0;

pub(crate) async fn seed(
    s: &Services,
    who: &crate::OrgCaller,
    ctx: &crate::RequestInfo,
    org: &OrgId,
    first_team: &TeamId,
) -> ServiceResult<()> {
    let now = now_ms();
    {
        let mut tx = s.store.write().await?;
        idle::seed_access_since(&mut tx, org, now - 120 * DAY_MS).await?;
        tx.commit().await?;
    }
    s.update_team_settings(who, ctx, first_team, json!({"seat_release_after_days": 30}))
        .await?;
    let mut rows = Vec::new();
    {
        let mut c = s.store.read().await?;
        for sub in billing::list_subscriptions(&mut c, org).await? {
            let used = crate::seats::pool_of(&mut c, &sub).await?.used_total();
            rows.extend(trend(org, &sub.id, sub.seats, used, now));
        }
    }
    let mut tx = s.store.write().await?;
    seat_history::insert_day(&mut tx, &rows).await?;
    tx.commit().await?;
    s.snapshot_seats(now, Some(org)).await?;
    Ok(())
}

/// 89 past days of the whole subscription: a slow climb, then the last four weeks at the pace
/// that fills the pool in [`WEEKS_LEFT`] weeks from `used` today.
fn trend(org: &OrgId, sub: &SubscriptionId, pool: i64, used: i64, now: i64) -> Vec<HistoryRow> {
    let per_day = ((pool - used).max(7) as f64 / (WEEKS_LEFT * 7.0)).max(1.0);
    (1..90)
        .map(|ago| {
            let recent = ago.min(27) as f64 * per_day;
            let earlier = (ago - 27).max(0) as f64 * per_day / 3.0;
            let held = (used as f64 - recent - earlier).round().max(0.0) as i64;
            HistoryRow {
                org_id: org.clone(),
                subscription_id: sub.clone(),
                day: day_of(now - ago * DAY_MS, "UTC"),
                team_id: String::new(),
                pool,
                reserved: 0,
                used: held,
                active_7d: held * 3 / 4,
                active_28d: held * 5 / 6,
                pending_invitations: 0,
                never_used: held / 12,
            }
        })
        .collect()
}
