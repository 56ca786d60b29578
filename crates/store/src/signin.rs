//! Sign-in by emailed code: each start's attempt with its code (both stored as hashes), and
//! sessions (stored as token hashes).

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, UserId};

/// One start of a sign-in by code.
#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    pub attempt_hash: String,
    pub email: String,
    pub code_hash: Option<String>,
    pub failed_attempts: i64,
    pub expires_at: i64,
}

/// Records a start, with the hash of the code mailed for it (if any).
pub async fn insert_attempt(
    c: &mut Conn,
    attempt_hash: &str,
    email: &str,
    source: &str,
    code_hash: Option<&str>,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_attempts (attempt_hash, email, source, code_hash, failed_attempts, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)",
    )
    .bind(attempt_hash)
    .bind(email)
    .bind(source)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

const ATTEMPT_COLUMNS: &str = "attempt_hash, email, code_hash, failed_attempts, expires_at";

/// The live attempt with this hash, for this email.
pub async fn attempt(
    c: &mut Conn,
    attempt_hash: &str,
    email: &str,
    now: i64,
) -> Result<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM sign_in_attempts WHERE attempt_hash = $1 AND email = $2 \
         AND expires_at > $3 AND code_hash IS NOT NULL"
    ))
    .bind(attempt_hash)
    .bind(email)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

/// The live attempts with a code for this email started from `source`, newest first (a client
/// that doesn't say which attempt it continues).
pub async fn attempts_from(
    c: &mut Conn,
    email: &str,
    source: &str,
    now: i64,
) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM sign_in_attempts WHERE email = $1 AND source = $2 \
         AND expires_at > $3 AND code_hash IS NOT NULL ORDER BY created_at DESC LIMIT 8"
    ))
    .bind(email)
    .bind(source)
    .bind(now)
    .fetch_all(c)
    .await?)
}

/// Counts one wrong guess against the attempt; returns the new count.
pub async fn count_failure(c: &mut Conn, attempt_hash: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE sign_in_attempts SET failed_attempts = failed_attempts + 1 WHERE attempt_hash = $1 \
         RETURNING failed_attempts",
    )
    .bind(attempt_hash)
    .fetch_optional(c)
    .await?
    .unwrap_or(0))
}

/// Burns an attempt's code: used once, or too many wrong guesses.
pub async fn delete_attempt(c: &mut Conn, attempt_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE attempt_hash = $1")
        .bind(attempt_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Opens a session; `org` limits it to one organization (a sign-in through its provider).
pub async fn insert_session(
    c: &mut Conn,
    token_hash: &str,
    user: &UserId,
    org: Option<&OrgId>,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at, created_at, last_seen_at, org_id) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(expires_at)
    .bind(now)
    .bind(org.cloned())
    .execute(c)
    .await?;
    Ok(())
}

/// A live session: its user, the organization it is limited to, and when it was last used.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    pub last_seen_at: Option<i64>,
}

/// The session of a token, unless past its absolute expiry.
pub async fn session(c: &mut Conn, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT user_id, org_id, last_seen_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

/// Records that the session was used now (for the idle timeout).
pub async fn touch_session(c: &mut Conn, token_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_session(c: &mut Conn, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Deletes attempts and sessions expired by `now`.
pub async fn prune(c: &mut Conn, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

/// Ends a user's sessions limited to one organization (deactivated there by its identity
/// provider); sessions that reach other organizations are theirs to keep.
pub async fn delete_sessions_in_org(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND org_id = $2")
        .bind(user)
        .bind(org)
        .execute(c)
        .await?;
    Ok(())
}

/// The organizations where a user has a portal role — an org role, or Team Admin of a team —
/// in id order (the order their write locks are taken in). Their sign-ins and sign-outs are
/// audited there.
pub async fn portal_orgs_of_user(c: &mut Conn, user: &UserId) -> Result<Vec<OrgId>> {
    Ok(sqlx::query_scalar(
        "SELECT org_id FROM org_members WHERE user_id = $1 AND org_role IS NOT NULL \
         UNION SELECT org_id FROM memberships WHERE user_id = $1 AND team_role = 'team_admin' \
         ORDER BY 1",
    )
    .bind(user)
    .fetch_all(c)
    .await?)
}
