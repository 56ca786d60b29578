//! Team settings (only explicit values, R20), setting and SSO policies, and the teams they apply to.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, PolicyId, TeamId};
use switchboard_domain::settings::PolicyKind;

#[derive(Debug, Clone, FromRow)]
pub struct TeamSettingRow {
    pub key: String,
    pub value_json: String,
    pub updated_by: String,
    pub updated_at: i64,
    /// Who that is to a person: the user's email, or the API token's name.
    pub updated_by_name: Option<String>,
}

pub async fn team_settings(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
) -> Result<Vec<TeamSettingRow>> {
    Ok(sqlx::query_as(
        "SELECT s.key, s.value_json, s.updated_by, s.updated_at, COALESCE(u.email, k.name) AS updated_by_name \
         FROM team_settings s LEFT JOIN users u ON u.id = s.updated_by \
         LEFT JOIN api_tokens k ON k.org_id = s.org_id AND k.id = s.updated_by \
         WHERE s.org_id = $1 AND s.team_id = $2",
    )
        .bind(org)
        .bind(team)
        .fetch_all(c)
        .await?)
}

pub async fn put_team_setting(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    key: &str,
    value_json: &str,
    by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO team_settings (org_id, team_id, key, value_json, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (org_id, team_id, key) DO UPDATE SET value_json = $4, updated_by = $5, updated_at = $6",
    )
    .bind(org)
    .bind(team)
    .bind(key)
    .bind(value_json)
    .bind(by)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete_team_setting(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    key: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM team_settings WHERE org_id = $1 AND team_id = $2 AND key = $3")
        .bind(org)
        .bind(team)
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct PolicyRow {
    pub org_id: OrgId,
    pub id: PolicyId,
    pub kind: PolicyKind,
    pub name: String,
    pub values_json: String,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_enc: Option<String>,
    pub allowed_domains_json: Option<String>,
    /// SSO policies: their `SsoOptions` as JSON.
    pub sso_json: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const COLUMNS: &str = "org_id, id, kind, name, values_json, issuer, client_id, client_secret_enc, allowed_domains_json, \
     sso_json, created_at, updated_at";

pub async fn insert_policy(c: &mut Conn, p: &PolicyRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO policies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&p.org_id)
    .bind(&p.id)
    .bind(p.kind)
    .bind(&p.name)
    .bind(&p.values_json)
    .bind(p.issuer.clone())
    .bind(p.client_id.clone())
    .bind(p.client_secret_enc.clone())
    .bind(p.allowed_domains_json.clone())
    .bind(p.sso_json.clone())
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_policy(c: &mut Conn, p: &PolicyRow) -> Result<()> {
    sqlx::query(
        "UPDATE policies SET name = $3, values_json = $4, issuer = $5, client_id = $6, client_secret_enc = $7, \
         allowed_domains_json = $8, sso_json = $10, updated_at = $9 WHERE org_id = $1 AND id = $2",
    )
    .bind(&p.org_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.values_json)
    .bind(p.issuer.clone())
    .bind(p.client_id.clone())
    .bind(p.client_secret_enc.clone())
    .bind(p.allowed_domains_json.clone())
    .bind(p.updated_at)
    .bind(p.sso_json.clone())
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete_policy(c: &mut Conn, org: &OrgId, id: &PolicyId) -> Result<()> {
    sqlx::query("DELETE FROM policy_teams WHERE org_id = $1 AND policy_id = $2")
        .bind(org)
        .bind(id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM policies WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn get_policy(
    c: &mut Conn,
    org: &OrgId,
    id: &PolicyId,
    kind: PolicyKind,
) -> Result<Option<PolicyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM policies WHERE org_id = $1 AND id = $2 AND kind = $3"
    ))
    .bind(org)
    .bind(id)
    .bind(kind)
    .fetch_optional(c)
    .await?)
}

pub async fn list_policies(c: &mut Conn, org: &OrgId, kind: PolicyKind) -> Result<Vec<PolicyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM policies WHERE org_id = $1 AND kind = $2 ORDER BY id"
    ))
    .bind(org)
    .bind(kind)
    .fetch_all(c)
    .await?)
}

/// (policy id, team id) for every policy of a kind in the organization.
pub async fn policy_teams(
    c: &mut Conn,
    org: &OrgId,
    kind: PolicyKind,
) -> Result<Vec<(PolicyId, TeamId)>> {
    Ok(sqlx::query_as("SELECT policy_id, team_id FROM policy_teams WHERE org_id = $1 AND kind = $2 ORDER BY policy_id, team_id")
        .bind(org)
        .bind(kind)
        .fetch_all(c)
        .await?)
}

/// Replaces the teams a policy applies to.
pub async fn set_policy_teams(
    c: &mut Conn,
    org: &OrgId,
    policy: &PolicyId,
    kind: PolicyKind,
    teams: &[TeamId],
) -> Result<()> {
    sqlx::query("DELETE FROM policy_teams WHERE org_id = $1 AND policy_id = $2")
        .bind(org)
        .bind(policy)
        .execute(&mut *c)
        .await?;
    for t in teams {
        sqlx::query(
            "INSERT INTO policy_teams (org_id, policy_id, team_id, kind) VALUES ($1, $2, $3, $4)",
        )
        .bind(org)
        .bind(policy)
        .bind(t)
        .bind(kind)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Setting policies applied to one team.
pub async fn policies_of_team(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<Vec<PolicyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM policies p JOIN policy_teams pt ON pt.org_id = p.org_id AND pt.policy_id = p.id \
         WHERE pt.org_id = $1 AND pt.team_id = $2 AND p.kind = 'setting' ORDER BY p.id",
        COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(org)
    .bind(team)
    .fetch_all(c)
    .await?)
}

/// A policy by its id alone (SAML's routes name the policy, not its organization). Policy ids are
/// random ULIDs, so an id names one policy whatever the organization.
pub async fn find_policy_anywhere(
    c: &mut Conn,
    id: &PolicyId,
    kind: PolicyKind,
) -> Result<Option<PolicyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM policies WHERE id = $1 AND kind = $2"
    ))
    .bind(id)
    .bind(kind)
    .fetch_optional(c)
    .await?)
}
