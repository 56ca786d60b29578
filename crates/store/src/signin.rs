//! Sign-in by emailed code: the live code per email (stored as a salted hash), the log of starts
//! used for throttling, and sessions (stored as token hashes).

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, UserId};

/// Replaces the email's live code.
pub async fn put_code(
    c: &mut Conn,
    email: &str,
    code_hash: &str,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_codes (email, code_hash, expires_at, failed_attempts, created_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (email) DO UPDATE SET code_hash = $2, expires_at = $3, failed_attempts = 0, created_at = $4",
    )
    .bind(email)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// The live code of an email as (hash, expires_at, failed_attempts).
pub async fn get_code(c: &mut Conn, email: &str) -> Result<Option<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT code_hash, expires_at, failed_attempts FROM sign_in_codes WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(c)
    .await?)
}

/// Counts one wrong guess; returns the new count.
pub async fn count_failure(c: &mut Conn, email: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE sign_in_codes SET failed_attempts = failed_attempts + 1 WHERE email = $1 RETURNING failed_attempts",
    )
    .bind(email)
    .fetch_optional(c)
    .await?
    .unwrap_or(0))
}

/// Burns the email's code: used once, or too many wrong guesses.
pub async fn delete_code(c: &mut Conn, email: &str) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_codes WHERE email = $1")
        .bind(email)
        .execute(c)
        .await?;
    Ok(())
}

/// How many accepted starts this email made since `since`, and when the oldest of them was.
pub async fn starts_since(c: &mut Conn, email: &str, since: i64) -> Result<(i64, Option<i64>)> {
    Ok(sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), MIN(at) FROM sign_in_starts WHERE email = $1 AND at >= $2",
    )
    .bind(email)
    .bind(since)
    .fetch_one(c)
    .await?)
}

/// Counts an accepted start (and drops starts too old to count for anything).
pub async fn record_start(c: &mut Conn, email: &str, now: i64, since: i64) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_starts WHERE email = $1 AND at < $2")
        .bind(email)
        .bind(since)
        .execute(&mut *c)
        .await?;
    sqlx::query("INSERT INTO sign_in_starts (email, at) VALUES ($1, $2)")
        .bind(email)
        .bind(now)
        .execute(&mut *c)
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

/// Deletes starts before `starts_before`, and codes and sessions expired by `now`.
pub async fn prune(c: &mut Conn, starts_before: i64, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_starts WHERE at < $1")
        .bind(starts_before)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM sign_in_codes WHERE expires_at <= $1")
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
