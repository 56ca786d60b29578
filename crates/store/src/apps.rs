//! What the apps use: enrollment keys, devices (seat holders of device-login teams) and app
//! tokens (stored as hashes).

use crate::people::add_seats;
use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{DeviceId, EnrollmentKeyId, OrgId, TeamId, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct EnrollmentKeyRow {
    pub org_id: OrgId,
    pub id: EnrollmentKeyId,
    pub team_id: TeamId,
    pub expires_at: Option<i64>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
}

const KEY_COLUMNS: &str =
    "org_id, id, team_id, expires_at, max_uses, uses, revoked_at, created_by, created_at";

pub async fn insert_enrollment_key(
    c: &mut Conn,
    k: &EnrollmentKeyRow,
    key_hash: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO enrollment_keys (org_id, id, team_id, key_hash, expires_at, max_uses, uses, revoked_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7, $8)",
    )
    .bind(&k.org_id)
    .bind(&k.id)
    .bind(&k.team_id)
    .bind(key_hash)
    .bind(k.expires_at)
    .bind(k.max_uses)
    .bind(&k.created_by)
    .bind(k.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn enrollment_keys_of_team(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
) -> Result<Vec<EnrollmentKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE org_id = $1 AND team_id = $2 ORDER BY id"
    ))
    .bind(org)
    .bind(team)
    .fetch_all(c)
    .await?)
}

pub async fn get_enrollment_key(
    c: &mut Conn,
    org: &OrgId,
    id: &EnrollmentKeyId,
) -> Result<Option<EnrollmentKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE org_id = $1 AND id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn find_enrollment_key(c: &mut Conn, key_hash: &str) -> Result<Option<EnrollmentKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE key_hash = $1"
    ))
    .bind(key_hash)
    .fetch_optional(c)
    .await?)
}

pub async fn revoke_enrollment_key(
    c: &mut Conn,
    org: &OrgId,
    id: &EnrollmentKeyId,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE enrollment_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(org)
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn use_enrollment_key(c: &mut Conn, org: &OrgId, id: &EnrollmentKeyId) -> Result<()> {
    sqlx::query("UPDATE enrollment_keys SET uses = uses + 1 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub org_id: OrgId,
    pub id: DeviceId,
    pub team_id: TeamId,
    pub name: String,
    pub enrolled_at: i64,
}

/// Enrolls a device: it holds a seat of its team from now on.
pub async fn insert_device(c: &mut Conn, d: &DeviceRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO devices (org_id, id, team_id, name, enrolled_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&d.org_id)
    .bind(&d.id)
    .bind(&d.team_id)
    .bind(&d.name)
    .bind(d.enrolled_at)
    .execute(&mut *c)
    .await?;
    add_seats(c, &d.org_id, &d.team_id, 1).await
}

pub async fn devices_of_team(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<Vec<DeviceRow>> {
    Ok(sqlx::query_as("SELECT org_id, id, team_id, name, enrolled_at FROM devices WHERE org_id = $1 AND team_id = $2 ORDER BY id")
        .bind(org)
        .bind(team)
        .fetch_all(c)
        .await?)
}

pub async fn get_device(c: &mut Conn, org: &OrgId, id: &DeviceId) -> Result<Option<DeviceRow>> {
    Ok(sqlx::query_as(
        "SELECT org_id, id, team_id, name, enrolled_at FROM devices WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn rename_device(c: &mut Conn, org: &OrgId, id: &DeviceId, name: &str) -> Result<()> {
    sqlx::query("UPDATE devices SET name = $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .bind(name)
        .execute(c)
        .await?;
    Ok(())
}

/// Removes a device, frees its seat and revokes its tokens.
pub async fn delete_device(c: &mut Conn, d: &DeviceRow) -> Result<()> {
    sqlx::query("DELETE FROM devices WHERE org_id = $1 AND id = $2")
        .bind(&d.org_id)
        .bind(&d.id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM app_tokens WHERE org_id = $1 AND device_id = $2")
        .bind(&d.org_id)
        .bind(&d.id)
        .execute(&mut *c)
        .await?;
    add_seats(c, &d.org_id, &d.team_id, -1).await
}

/// An app token: bound to a user (with or without a chosen team) or to a device.
#[derive(Debug, Clone, FromRow)]
pub struct AppTokenRow {
    pub org_id: Option<OrgId>,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub device_id: Option<DeviceId>,
    pub expires_at: i64,
    /// The organization's version when read (its cache version).
    pub org_version: Option<i64>,
    /// The organization whose identity provider signed the user in, if one did (R24: only
    /// such a token may run in that organization's SSO teams).
    pub sso_org_id: Option<OrgId>,
}

pub async fn insert_app_token(
    c: &mut Conn,
    token_hash: &str,
    t: &AppTokenRow,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO app_tokens (token_hash, org_id, team_id, user_id, device_id, expires_at, created_at, sso_org_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token_hash)
    .bind(t.org_id.clone())
    .bind(t.team_id.clone())
    .bind(t.user_id.clone())
    .bind(t.device_id.clone())
    .bind(t.expires_at)
    .bind(now)
    .bind(t.sso_org_id.clone())
    .execute(c)
    .await?;
    Ok(())
}

/// The token and, in the same read, its organization's version: the one query of the hot path.
pub async fn app_token(c: &mut Conn, token_hash: &str, now: i64) -> Result<Option<AppTokenRow>> {
    Ok(sqlx::query_as(
        "SELECT t.org_id, t.team_id, t.user_id, t.device_id, t.expires_at, o.version AS org_version, t.sso_org_id \
         FROM app_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.token_hash = $1 AND t.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

/// Binds a user's app token to the team the app chose.
pub async fn bind_app_token(
    c: &mut Conn,
    token_hash: &str,
    org: &OrgId,
    team: &TeamId,
) -> Result<()> {
    sqlx::query("UPDATE app_tokens SET org_id = $2, team_id = $3 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(org)
        .bind(team)
        .execute(c)
        .await?;
    Ok(())
}

/// Ends a user's app tokens in one organization (deactivated there).
pub async fn delete_user_tokens_in_org(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query("DELETE FROM app_tokens WHERE user_id = $1 AND (org_id = $2 OR sso_org_id = $2)")
        .bind(user)
        .bind(org)
        .execute(c)
        .await?;
    Ok(())
}
