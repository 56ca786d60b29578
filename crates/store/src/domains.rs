//! R34: an organization's email domains (`org_domains`): claims, their verification, and who a
//! verified domain belongs to. Domains are stored in their one canonical ASCII form.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::domain_name::DomainStatus;
use switchboard_domain::ids::{OrgId, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct DomainRow {
    pub org_id: OrgId,
    pub domain: String,
    pub token: String,
    pub status: DomainStatus,
    /// `dns` or `operator` once verified.
    pub verified_by: Option<String>,
    pub verified_at: Option<i64>,
    pub last_checked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "org_id, domain, token, status, verified_by, verified_at, last_checked_at, \
     last_seen_at, created_by, created_at";

pub async fn list(c: &mut Conn, org: &OrgId) -> Result<Vec<DomainRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM org_domains WHERE org_id = $1 ORDER BY domain"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn get(c: &mut Conn, org: &OrgId, domain: &str) -> Result<Option<DomainRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM org_domains WHERE org_id = $1 AND domain = $2"
    ))
    .bind(org)
    .bind(domain)
    .fetch_optional(c)
    .await?)
}

/// The organization that has verified `domain`, if one has.
pub async fn verified_owner(c: &mut Conn, domain: &str) -> Result<Option<OrgId>> {
    Ok(sqlx::query_scalar(
        "SELECT org_id FROM org_domains WHERE domain = $1 AND status = 'verified'",
    )
    .bind(domain)
    .fetch_optional(c)
    .await?)
}

/// The domains `org` has verified.
pub async fn verified_of(c: &mut Conn, org: &OrgId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT domain FROM org_domains WHERE org_id = $1 AND status = 'verified' ORDER BY domain",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn insert(
    c: &mut Conn,
    org: &OrgId,
    domain: &str,
    token: &str,
    by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_domains (org_id, domain, token, status, created_by, created_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5)",
    )
    .bind(org)
    .bind(domain)
    .bind(token)
    .bind(by)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Marks the domain verified (by `dns` or `operator`); a unique index refuses a domain another
/// organization has verified.
pub async fn set_verified(
    c: &mut Conn,
    org: &OrgId,
    domain: &str,
    by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE org_domains SET status = 'verified', verified_by = $3, verified_at = $4, \
         last_checked_at = $4, last_seen_at = $4 WHERE org_id = $1 AND domain = $2",
    )
    .bind(org)
    .bind(domain)
    .bind(by)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn set_lapsed(c: &mut Conn, org: &OrgId, domain: &str) -> Result<()> {
    sqlx::query(
        "UPDATE org_domains SET status = 'lapsed' WHERE org_id = $1 AND domain = $2 \
         AND status = 'verified'",
    )
    .bind(org)
    .bind(domain)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete(c: &mut Conn, org: &OrgId, domain: &str) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM org_domains WHERE org_id = $1 AND domain = $2")
            .bind(org)
            .bind(domain)
            .execute(c)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Takes the verified (by DNS) domains whose daily check is due, marking them checked now, so
/// two instances never check one twice: each row is handed to one of them.
pub async fn take_due(c: &mut Conn, now: i64, every_ms: i64) -> Result<Vec<DomainRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE org_domains SET last_checked_at = $1 WHERE status = 'verified' \
         AND verified_by = 'dns' AND (last_checked_at IS NULL OR last_checked_at <= $2) \
         RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(now - every_ms)
    .fetch_all(c)
    .await?)
}

/// The record was found at the daily check.
pub async fn seen(c: &mut Conn, org: &OrgId, domain: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE org_domains SET last_seen_at = $3 WHERE org_id = $1 AND domain = $2")
        .bind(org)
        .bind(domain)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

/// The user who claimed a domain (for messages), by id.
pub fn claimed_by(row: &DomainRow) -> Option<UserId> {
    UserId::parse(&row.created_by)
}
