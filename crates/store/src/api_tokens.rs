//! Organization API tokens: found by the hash of their secret; listed, revoked, and their last use
//! recorded (at most once a minute, by the caller's choice).

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{ApiTokenId, OrgId, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct ApiTokenRow {
    pub org_id: OrgId,
    pub id: ApiTokenId,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "org_id, id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at, revoked_at";

pub async fn insert(c: &mut Conn, t: &ApiTokenRow, token_hash: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (org_id, id, name, prefix, token_hash, scopes, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&t.org_id)
    .bind(&t.id)
    .bind(&t.name)
    .bind(&t.prefix)
    .bind(token_hash)
    .bind(&t.scopes)
    .bind(&t.created_by)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// A live token by the hash of its secret (not revoked, not expired).
pub async fn live(c: &mut Conn, token_hash: &str, now: i64) -> Result<Option<ApiTokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

/// A live token by id (re-checked under the organization's write lock).
pub async fn live_by_id(
    c: &mut Conn,
    org: &OrgId,
    id: &ApiTokenId,
    now: i64,
) -> Result<Option<ApiTokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $3)"
    ))
    .bind(org)
    .bind(id)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

/// The organization's tokens that are not revoked, newest first.
pub async fn list(c: &mut Conn, org: &OrgId) -> Result<Vec<ApiTokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL ORDER BY id DESC"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Revokes a token; false if there was none to revoke.
pub async fn revoke(c: &mut Conn, org: &OrgId, id: &ApiTokenId, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org)
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch(c: &mut Conn, org: &OrgId, id: &ApiTokenId, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}
