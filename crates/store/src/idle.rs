//! R29: what the idle-seat rule reads and remembers. A seat holder's idle stretch began at the
//! later of their newest call in the team and the moment they got app access there; both sit in
//! one row each (`memberships.access_since`, `usage_team_subjects.last_call_at`), so finding the
//! idle set reads the team's memberships, never the usage events. Notices are remembered per
//! stretch, digests per admin and day.

use crate::{Conn, Result};
use sqlx::Row;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::TeamRole;

/// A member holding a seat in an email-login team, with what decides whether it is idle.
#[derive(Debug, Clone)]
pub struct SeatHolder {
    pub user_id: UserId,
    pub email: String,
    pub team_id: TeamId,
    pub team_role: TeamRole,
    /// When they got app access in the team.
    pub access_since: i64,
    /// Their newest call in the team, if any.
    pub last_call_at: Option<i64>,
}

impl SeatHolder {
    /// When the idle stretch began: the newest call, or the grant of access if later (access
    /// turned on again is a fresh start).
    pub fn idle_from(&self) -> i64 {
        self.last_call_at
            .map_or(self.access_since, |c| c.max(self.access_since))
    }
}

/// Whether any team of `org` may have the rule on: a team value or a setting policy that names
/// `key`. False lets the hourly job skip an organization with one indexed probe.
pub async fn may_have_rule(c: &mut Conn, org: &OrgId, key: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM team_settings WHERE org_id = $1 AND key = $2 \
         UNION ALL SELECT 1 FROM policies WHERE org_id = $1 AND kind = 'setting' \
         AND values_json LIKE $3 LIMIT 1",
    )
    .bind(org)
    .bind(key)
    .bind(format!("%\"{key}\"%"))
    .fetch_optional(c)
    .await?;
    Ok(found.is_some())
}

/// The seat holders of `team` idle since before `cutoff` (epoch ms), oldest stretch first.
pub async fn idle_since_before(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    cutoff: i64,
) -> Result<Vec<SeatHolder>> {
    let rows = sqlx::query(
        "SELECT m.user_id, u.email, m.team_id, m.team_role, COALESCE(m.access_since, m.created_at) AS since, \
         s.last_call_at FROM memberships m JOIN users u ON u.id = m.user_id \
         LEFT JOIN usage_team_subjects s ON s.org_id = m.org_id AND s.team_id = m.team_id \
           AND s.subject_id = m.user_id \
         WHERE m.org_id = $1 AND m.team_id = $2 AND m.app_access = 1 \
           AND COALESCE(m.access_since, m.created_at) < $3 \
           AND (s.last_call_at IS NULL OR s.last_call_at < $3)",
    )
    .bind(org)
    .bind(team)
    .bind(cutoff)
    .fetch_all(c)
    .await?;
    let mut holders: Vec<SeatHolder> = rows
        .into_iter()
        .map(|r| {
            Ok(SeatHolder {
                user_id: r.try_get("user_id")?,
                email: r.try_get("email")?,
                team_id: r.try_get("team_id")?,
                team_role: r.try_get("team_role")?,
                access_since: r.try_get("since")?,
                last_call_at: r.try_get("last_call_at")?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    holders.sort_by_key(|h| (h.idle_from(), h.email.clone()));
    Ok(holders)
}

/// Records the notice of this stretch, or renews one given before `stale_before` (a notice
/// that old no longer stands: the rule was off in between, or the job was down); false when a
/// standing notice was already sent.
pub async fn note_notice(
    c: &mut Conn,
    org: &OrgId,
    holder: &SeatHolder,
    now: i64,
    stale_before: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO seat_release_notices (org_id, team_id, user_id, idle_from, noticed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, team_id, user_id, idle_from) \
         DO UPDATE SET noticed_at = excluded.noticed_at \
         WHERE seat_release_notices.noticed_at < $6",
    )
    .bind(org)
    .bind(&holder.team_id)
    .bind(&holder.user_id)
    .bind(holder.idle_from())
    .bind(now)
    .bind(stale_before)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

/// When each holder of `team` was told of their current stretch, by (user, stretch start).
pub async fn notices(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
) -> Result<std::collections::HashMap<(UserId, i64), i64>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT user_id, idle_from, noticed_at FROM seat_release_notices \
         WHERE org_id = $1 AND team_id = $2",
    )
    .bind(org)
    .bind(team)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, from, at)| ((UserId::from_db(u), from), at))
        .collect())
}

/// Records today's digest for `recipient`; false when it was already sent today.
pub async fn note_digest(c: &mut Conn, org: &OrgId, recipient: &str, day: &str) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO seat_release_digests (org_id, recipient, day) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, recipient, day) DO NOTHING",
    )
    .bind(org)
    .bind(recipient)
    .bind(day)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

/// Demo data only: every seat of `org` held since `at`.
pub async fn seed_access_since(c: &mut Conn, org: &OrgId, at: i64) -> Result<()> {
    sqlx::query("UPDATE memberships SET access_since = $2 WHERE org_id = $1 AND app_access = 1")
        .bind(org)
        .bind(at)
        .execute(c)
        .await?;
    Ok(())
}

/// The emails of `team`'s Team Admins.
pub async fn team_admin_emails(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.team_id = $2 AND m.team_role = 'team_admin' ORDER BY u.email",
    )
    .bind(org)
    .bind(team)
    .fetch_all(c)
    .await?)
}
