//! Single sign-on (R24): who is under which SSO policy, sign-ins in flight at a provider, SAML
//! assertions already used, and the apps' one-time codes. Flows and codes are looked up by the
//! hash of their secret and taken (deleted) in the same statement, so each is used once, also
//! when two instances receive it at once.

use crate::settings::PolicyRow;
use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, PolicyId, TeamId, UserId};
use switchboard_domain::sso::SsoPurpose;

/// An email-login team a user is a member of, with the SSO policy over it, if any.
#[derive(Debug, Clone, FromRow)]
pub struct EmailTeamRow {
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub policy_id: Option<PolicyId>,
}

/// Every email-login membership of the user, across organizations, with its SSO policy.
pub async fn email_teams_of_user(c: &mut Conn, user: &UserId) -> Result<Vec<EmailTeamRow>> {
    Ok(sqlx::query_as(
        "SELECT m.org_id, m.team_id, pt.policy_id FROM memberships m \
         JOIN teams t ON t.org_id = m.org_id AND t.id = m.team_id \
         LEFT JOIN policy_teams pt ON pt.org_id = m.org_id AND pt.team_id = m.team_id AND pt.kind = 'sso' \
         WHERE m.user_id = $1 AND t.login_type = 'email' ORDER BY m.org_id, m.team_id",
    )
    .bind(user)
    .fetch_all(c)
    .await?)
}

/// SSO policies whose allowed domains name `domain` (lowercase), in every organization. The
/// caller checks the list exactly; the text match only narrows the read.
pub async fn policies_for_domain(
    c: &mut Conn,
    org: &OrgId,
    domain: &str,
) -> Result<Vec<PolicyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM policies WHERE org_id = $2 AND kind = 'sso' AND allowed_domains_json LIKE $1 ORDER BY id",
        crate::settings::COLUMNS
    ))
    .bind(format!("%\"{domain}\"%"))
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// A sign-in sent to a provider, until it comes back.
#[derive(Debug, Clone, FromRow)]
pub struct FlowRow {
    pub state_hash: String,
    pub org_id: OrgId,
    pub policy_id: PolicyId,
    pub purpose: SsoPurpose,
    pub nonce: Option<String>,
    pub pkce_verifier_enc: Option<String>,
    pub saml_request_id: Option<String>,
    pub next_path: Option<String>,
    pub app_redirect_uri: Option<String>,
    pub app_code_challenge: Option<String>,
    pub app_state: Option<String>,
    pub user_id: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
}

const FLOW_COLUMNS: &str = "state_hash, org_id, policy_id, purpose, nonce, pkce_verifier_enc, saml_request_id, next_path, \
     app_redirect_uri, app_code_challenge, app_state, user_id, created_at, expires_at";

pub async fn insert_flow(c: &mut Conn, f: &FlowRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO sso_flows ({FLOW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&f.state_hash)
    .bind(&f.org_id)
    .bind(&f.policy_id)
    .bind(f.purpose)
    .bind(f.nonce.clone())
    .bind(f.pkce_verifier_enc.clone())
    .bind(f.saml_request_id.clone())
    .bind(f.next_path.clone())
    .bind(f.app_redirect_uri.clone())
    .bind(f.app_code_challenge.clone())
    .bind(f.app_state.clone())
    .bind(f.user_id.clone())
    .bind(f.created_at)
    .bind(f.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Whether a live flow has this state (read before taking it, so an unknown state costs no write).
pub async fn live_flow(c: &mut Conn, state_hash: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM sso_flows WHERE state_hash = $1 AND expires_at > $2",
    )
    .bind(state_hash)
    .bind(now)
    .fetch_optional(c)
    .await?
    .is_some())
}

/// Takes a live flow (it can come back once).
pub async fn take_flow(c: &mut Conn, state_hash: &str, now: i64) -> Result<Option<FlowRow>> {
    let row: Option<FlowRow> = sqlx::query_as(&format!(
        "DELETE FROM sso_flows WHERE state_hash = $1 RETURNING {FLOW_COLUMNS}"
    ))
    .bind(state_hash)
    .fetch_optional(c)
    .await?;
    Ok(row.filter(|f| f.expires_at > now))
}

/// Remembers a SAML assertion id; `false` if it was seen before (a replay).
pub async fn remember_assertion(
    c: &mut Conn,
    org: &OrgId,
    assertion_id: &str,
    expires_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO saml_assertions (assertion_id, org_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (assertion_id) DO NOTHING",
    )
    .bind(assertion_id)
    .bind(org)
    .bind(expires_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An app's one-time code, until exchanged.
#[derive(Debug, Clone, FromRow)]
pub struct AppCodeRow {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: i64,
}

pub async fn insert_app_code(
    c: &mut Conn,
    code_hash: &str,
    row: &AppCodeRow,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO app_sso_codes (code_hash, org_id, user_id, redirect_uri, code_challenge, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(code_hash)
    .bind(&row.org_id)
    .bind(&row.user_id)
    .bind(&row.redirect_uri)
    .bind(&row.code_challenge)
    .bind(row.expires_at)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Takes a live app code (usable once).
pub async fn take_app_code(c: &mut Conn, code_hash: &str, now: i64) -> Result<Option<AppCodeRow>> {
    let row: Option<AppCodeRow> = sqlx::query_as(
        "DELETE FROM app_sso_codes WHERE code_hash = $1 \
         RETURNING org_id, user_id, redirect_uri, code_challenge, expires_at",
    )
    .bind(code_hash)
    .fetch_optional(c)
    .await?;
    Ok(row.filter(|r| r.expires_at > now))
}

/// Drops flows, app codes and remembered assertions that have expired.
pub async fn prune(c: &mut Conn, now: i64) -> Result<()> {
    for table in ["sso_flows", "app_sso_codes", "saml_assertions"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(now)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// The user's email-login teams in one organization, each with its SSO policy if any (R24 and
/// R33 decide per organization).
pub async fn email_teams_in_org(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
) -> Result<Vec<EmailTeamRow>> {
    Ok(sqlx::query_as(
        "SELECT m.org_id, m.team_id, pt.policy_id FROM memberships m \
         JOIN teams t ON t.org_id = m.org_id AND t.id = m.team_id \
         LEFT JOIN policy_teams pt ON pt.org_id = m.org_id AND pt.team_id = m.team_id AND pt.kind = 'sso' \
         WHERE m.org_id = $1 AND m.user_id = $2 AND t.login_type = 'email' ORDER BY m.team_id",
    )
    .bind(org)
    .bind(user)
    .fetch_all(c)
    .await?)
}

/// Whether an SSO policy covers the team (R24: its members' app tokens come from its provider).
pub async fn team_under_sso(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM policy_teams WHERE org_id = $1 AND team_id = $2 AND kind = 'sso'",
    )
    .bind(org)
    .bind(team)
    .fetch_optional(c)
    .await?
    .is_some())
}
