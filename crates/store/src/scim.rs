//! SCIM 2.0 provisioning records: per organization, what the identity provider said about each
//! user (to answer it back exactly) and each group's external id, with versions for ETags.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, TeamId, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct ScimUserRow {
    pub user_id: UserId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: i64,
    pub attrs_json: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const USER_COLUMNS: &str =
    "user_id, user_name, external_id, active, attrs_json, version, created_at, updated_at";

pub async fn user(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<ScimUserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM scim_users WHERE org_id = $1 AND user_id = $2"
    ))
    .bind(org)
    .bind(user)
    .fetch_optional(c)
    .await?)
}

/// The SCIM records of these users (those that have one).
pub async fn users(c: &mut Conn, org: &OrgId) -> Result<Vec<ScimUserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM scim_users WHERE org_id = $1 ORDER BY user_id"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Inserts or replaces a user's record (the version moves on).
pub async fn put_user(c: &mut Conn, org: &OrgId, r: &ScimUserRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO scim_users (org_id, user_id, user_name, user_name_key, external_id, active, attrs_json, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (org_id, user_id) DO UPDATE SET user_name = $3, user_name_key = $4, external_id = $5, \
         active = $6, attrs_json = $7, version = $8, updated_at = $10",
    )
    .bind(org)
    .bind(&r.user_id)
    .bind(&r.user_name)
    .bind(r.user_name.to_lowercase())
    .bind(r.external_id.clone())
    .bind(r.active)
    .bind(&r.attrs_json)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The user whose record holds this userName (case-insensitive), if any.
pub async fn user_by_name(c: &mut Conn, org: &OrgId, user_name: &str) -> Result<Option<UserId>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM scim_users WHERE org_id = $1 AND user_name_key = $2",
    )
    .bind(org)
    .bind(user_name.to_lowercase())
    .fetch_optional(c)
    .await?)
}

pub async fn delete_user(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query("DELETE FROM scim_users WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ScimGroupRow {
    pub team_id: TeamId,
    pub external_id: Option<String>,
    pub version: i64,
    pub updated_at: i64,
}

pub async fn groups(c: &mut Conn, org: &OrgId) -> Result<Vec<ScimGroupRow>> {
    Ok(sqlx::query_as(
        "SELECT team_id, external_id, version, updated_at FROM scim_groups WHERE org_id = $1",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn put_group(c: &mut Conn, org: &OrgId, r: &ScimGroupRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO scim_groups (org_id, team_id, external_id, version, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, team_id) DO UPDATE SET external_id = $3, version = $4, updated_at = $5",
    )
    .bind(org)
    .bind(&r.team_id)
    .bind(r.external_id.clone())
    .bind(r.version)
    .bind(r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete_group(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<()> {
    sqlx::query("DELETE FROM scim_groups WHERE org_id = $1 AND team_id = $2")
        .bind(org)
        .bind(team)
        .execute(c)
        .await?;
    Ok(())
}

/// One user of the organization with their SCIM record, if they have one.
#[derive(Debug, Clone, FromRow)]
pub struct MemberWithScim {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub user_created_at: i64,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub active: Option<i64>,
    pub attrs_json: Option<String>,
    pub version: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// What a SCIM user list may be narrowed to (each `eq`, all of them at once).
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// userName, case-insensitive (the email for users without a SCIM record).
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<UserId>,
    /// An email value (the account's email).
    pub email: Option<String>,
}

/// A page of the organization's users with their SCIM records, and how many match in all.
pub async fn member_page(
    c: &mut Conn,
    org: &OrgId,
    q: &UserQuery,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<MemberWithScim>)> {
    let mut conditions = String::new();
    let mut args: Vec<String> = Vec::new();
    let arg = |v: String, args: &mut Vec<String>| {
        args.push(v);
        format!("${}", args.len() + 1)
    };
    if let Some(n) = &q.user_name {
        let p = arg(n.to_lowercase(), &mut args);
        conditions.push_str(&format!(
            " AND (s.user_name_key = {p} OR (s.user_id IS NULL AND u.email = {p}))"
        ));
    }
    if let Some(e) = &q.external_id {
        let p = arg(e.clone(), &mut args);
        conditions.push_str(&format!(" AND s.external_id = {p}"));
    }
    if let Some(id) = &q.id {
        let p = arg(id.to_string(), &mut args);
        conditions.push_str(&format!(" AND u.id = {p}"));
    }
    if let Some(e) = &q.email {
        let p = arg(e.to_lowercase(), &mut args);
        conditions.push_str(&format!(" AND u.email = {p}"));
    }
    let from = format!(
        "FROM org_members m JOIN users u ON u.id = m.user_id \
         LEFT JOIN scim_users s ON s.org_id = m.org_id AND s.user_id = m.user_id \
         WHERE m.org_id = $1{conditions}"
    );
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) {from}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(org);
    for a in &args {
        count = count.bind(a.clone());
    }
    let total = count.fetch_one(&mut *c).await?;
    let n = args.len();
    let page_sql = format!(
        "SELECT u.id AS user_id, u.email, u.name, u.created_at AS user_created_at, s.user_name, \
         s.external_id, s.active, s.attrs_json, s.version, s.created_at, s.updated_at {from} \
         ORDER BY u.id LIMIT ${} OFFSET ${}",
        n + 2,
        n + 3
    );
    let mut page = sqlx::query_as::<_, MemberWithScim>(&page_sql).bind(org);
    for a in &args {
        page = page.bind(a.clone());
    }
    let rows = page.bind(limit).bind(offset).fetch_all(c).await?;
    Ok((total, rows))
}

/// (team, member) for every membership of the organization's teams, in id order.
pub async fn team_members(c: &mut Conn, org: &OrgId) -> Result<Vec<(TeamId, UserId)>> {
    Ok(sqlx::query_as(
        "SELECT team_id, user_id FROM memberships WHERE org_id = $1 ORDER BY team_id, user_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}
