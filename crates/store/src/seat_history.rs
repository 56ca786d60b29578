//! R30: the seat history — one row per subscription, team and day (`team_id` '' for the whole
//! subscription) — and the figures a snapshot takes of a team.

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId};

/// One day of one team (or, with `team_id` empty, of the whole subscription).
#[derive(Debug, Clone, FromRow)]
pub struct HistoryRow {
    pub org_id: OrgId,
    pub subscription_id: SubscriptionId,
    pub day: String,
    pub team_id: String,
    pub pool: i64,
    pub reserved: i64,
    pub used: i64,
    pub active_7d: i64,
    pub active_28d: i64,
    pub pending_invitations: i64,
    pub never_used: i64,
}

/// What a snapshot counts of a team besides its counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamFigures {
    pub active_7d: i64,
    pub active_28d: i64,
    pub pending_invitations: i64,
    pub never_used: i64,
}

/// People with a call in the team on or after `since_7d` / `since_28d` (days), invitations not
/// yet taken up, and seat holders who never used the app there.
pub async fn team_figures(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    since_7d: &str,
    since_28d: &str,
) -> Result<TeamFigures> {
    let active = "SELECT CAST(COUNT(DISTINCT subject_id) AS BIGINT) FROM usage_subject_days \
                  WHERE org_id = $1 AND team_id = $2 AND day >= $3 AND calls > 0";
    let active_7d: i64 = sqlx::query_scalar(active)
        .bind(org)
        .bind(team)
        .bind(since_7d)
        .fetch_one(&mut *c)
        .await?;
    let active_28d: i64 = sqlx::query_scalar(active)
        .bind(org)
        .bind(team)
        .bind(since_28d)
        .fetch_one(&mut *c)
        .await?;
    let pending_invitations: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m JOIN org_members om \
         ON om.org_id = m.org_id AND om.user_id = m.user_id \
         WHERE m.org_id = $1 AND m.team_id = $2 AND om.invited_at IS NOT NULL \
         AND om.first_signed_in_at IS NULL",
    )
    .bind(org)
    .bind(team)
    .fetch_one(&mut *c)
    .await?;
    let never_used: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m \
         WHERE m.org_id = $1 AND m.team_id = $2 AND m.app_access = 1 AND NOT EXISTS \
         (SELECT 1 FROM usage_team_subjects s WHERE s.org_id = m.org_id \
          AND s.team_id = m.team_id AND s.subject_id = m.user_id)",
    )
    .bind(org)
    .bind(team)
    .fetch_one(&mut *c)
    .await?;
    Ok(TeamFigures {
        active_7d,
        active_28d,
        pending_invitations,
        never_used,
    })
}

/// Writes the rows of a day; a row already there stays (a day's first snapshot is the day's).
/// Answers how many were written.
pub async fn insert_day(c: &mut Conn, rows: &[HistoryRow]) -> Result<u64> {
    let mut written = 0;
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO seat_history (org_id, subscription_id, day, team_id, pool, reserved, used, \
             active_7d, active_28d, pending_invitations, never_used) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(r.org_id.clone()).push(", ");
            q.bind(r.subscription_id.clone()).push(", ");
            q.bind(r.day.clone()).push(", ");
            q.bind(r.team_id.clone()).push(", ");
            q.bind(r.pool).push(", ").bind(r.reserved).push(", ");
            q.bind(r.used).push(", ").bind(r.active_7d).push(", ");
            q.bind(r.active_28d).push(", ").bind(r.pending_invitations);
            q.push(", ").bind(r.never_used).push(")");
        }
        q.push(" ON CONFLICT (org_id, subscription_id, day, team_id) DO NOTHING");
        let (text, args) = q.build();
        written += sqlx::query_with(&text, args)
            .execute(&mut *c)
            .await?
            .rows_affected();
    }
    Ok(written)
}

/// The rows of a subscription from `from` to `to` (days, both included), by day then team (the
/// subscription's own row first).
pub async fn rows(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
    from: &str,
    to: &str,
) -> Result<Vec<HistoryRow>> {
    Ok(sqlx::query_as(
        "SELECT org_id, subscription_id, day, team_id, pool, reserved, used, active_7d, \
         active_28d, pending_invitations, never_used FROM seat_history \
         WHERE org_id = $1 AND subscription_id = $2 AND day >= $3 AND day <= $4 \
         ORDER BY day, team_id",
    )
    .bind(org)
    .bind(sub)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?)
}

/// The newest day of a subscription's history.
pub async fn last_day(c: &mut Conn, org: &OrgId, sub: &SubscriptionId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(day) FROM seat_history WHERE org_id = $1 AND subscription_id = $2",
    )
    .bind(org)
    .bind(sub)
    .fetch_one(c)
    .await?)
}

/// Notes this week's running-out mail for the subscription; false when it already went.
pub async fn note_forecast_mail(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
    week: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO seat_forecast_mails (org_id, subscription_id, week) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, subscription_id, week) DO NOTHING",
    )
    .bind(org)
    .bind(sub)
    .bind(week)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

/// Drops the organization's rows older than `before` (a day).
pub async fn prune(c: &mut Conn, org: &OrgId, before: &str) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM seat_history WHERE org_id = $1 AND day < $2")
            .bind(org)
            .bind(before)
            .execute(c)
            .await?
            .rows_affected(),
    )
}
