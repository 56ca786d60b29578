//! Settings and policies (R19–R24): the catalog, a team's settings with their effective values and
//! sources, setting policies (values that override teams' own, without conflicts), and SSO
//! policies (an OpenID provider per set of email-login teams, its secret stored encrypted).

use crate::ProblemCode;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::PolicyId;
mod policies;
mod sso;
mod sso_shape;
mod sso_view;
pub use sso_shape::{CreateSsoPolicy, SsoPolicyView, UpdateSsoPolicy};
mod team;

use crate::teams::load_team;
use crate::views::rfc3339;
use crate::{OrgCaller, ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_domain::ids::TeamId;
use switchboard_domain::plan;
use switchboard_domain::settings::{self, AppliedPolicy, Effective};
use switchboard_store::settings::{self as store, PolicyRow};
use switchboard_store::{Conn, billing, orgs};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastChange {
    /// The user (or API token) who set the team's value.
    pub by: String,
    /// Their email (or the token's name), when they still exist.
    pub by_name: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamSettingView {
    #[serde(flatten)]
    pub effective: Effective,
    pub label: String,
    /// The team's own stored value, if it set one (kept while a policy overrides it, R21).
    pub team_value: Option<Value>,
    pub last_change: Option<LastChange>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamSettingsView {
    pub team_id: String,
    pub plan: Option<String>,
    pub settings: Vec<TeamSettingView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Value>,
    pub team_ids: Vec<TeamId>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Value>,
    #[schema(min_items = 1, max_items = 1000)]
    pub team_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdatePolicy {
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    #[schema(value_type = Object)]
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub values: Option<BTreeMap<String, Value>>,
    #[schema(min_items = 1, max_items = 1000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_ids: Option<Vec<String>>,
}

use switchboard_domain::settings::PolicyKind;
const SETTING: PolicyKind = PolicyKind::Setting;
const SSO: PolicyKind = PolicyKind::Sso;

fn not_found_policy() -> ServiceError {
    ServiceError::NotFound { what: "policy" }
}

/// A setting policy's stored values; a row that doesn't decode is an error, never "locks nothing".
fn parse_values(v: &str) -> ServiceResult<BTreeMap<String, Value>> {
    Ok(switchboard_store::decode_json("setting policy values", v)?)
}

/// Features of the team's plan (none without a subscription).
async fn team_features(
    c: &mut Conn,
    org: &OrgId,
    team: &orgs::TeamRow,
) -> ServiceResult<(Option<String>, Vec<String>)> {
    let Some(sub) = &team.subscription_id else {
        return Ok((None, Vec::new()));
    };
    let Some(s) = billing::get_subscription(c, org, sub).await? else {
        return Ok((None, Vec::new()));
    };
    let features = plan::find(&s.plan)
        .map(|p| p.features.clone())
        .unwrap_or_default();
    Ok((Some(s.plan), features))
}

/// The effective settings of a team (R23), and the team's own stored rows.
pub(crate) async fn effective_settings(
    c: &mut Conn,
    org: &OrgId,
    team: &orgs::TeamRow,
) -> ServiceResult<(Option<String>, Vec<Effective>, Vec<store::TeamSettingRow>)> {
    let (plan, features) = team_features(c, org, team).await?;
    let rows = store::team_settings(c, org, &team.id).await?;
    let own: BTreeMap<String, Value> = rows
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                serde_json::from_str(&r.value_json).unwrap_or(Value::Null),
            )
        })
        .collect();
    let policies: Vec<AppliedPolicy> = store::policies_of_team(c, org, &team.id)
        .await?
        .into_iter()
        .map(|p| {
            Ok(AppliedPolicy {
                values: parse_values(&p.values_json)?,
                id: p.id.into(),
                name: p.name,
            })
        })
        .collect::<ServiceResult<_>>()?;
    Ok((plan, settings::resolve(&features, &own, &policies), rows))
}

/// Team ids of this organization, parsed and checked; unknown or foreign ids are "not found".
async fn load_teams(
    c: &mut Conn,
    who: &OrgCaller,
    ids: &[String],
) -> ServiceResult<Vec<orgs::TeamRow>> {
    let mut teams: Vec<orgs::TeamRow> = Vec::new();
    for id in ids {
        let t = load_team(c, who, id).await?;
        if !teams.iter().any(|x| x.id == t.id) {
            teams.push(t);
        }
    }
    Ok(teams)
}

/// R22: refuses if another setting policy sets one of these keys on one of these teams.
async fn check_conflicts(
    c: &mut Conn,
    org: &OrgId,
    me: Option<&str>,
    values: &BTreeMap<String, Value>,
    teams: &[orgs::TeamRow],
) -> ServiceResult<()> {
    let applied = store::policy_teams(c, org, SETTING).await?;
    for other in store::list_policies(c, org, SETTING).await? {
        if Some(other.id.as_str()) == me {
            continue;
        }
        let keys = settings::shared_keys(values, &parse_values(&other.values_json)?);
        if keys.is_empty() {
            continue;
        }
        let shared: Vec<&str> = teams
            .iter()
            .filter(|t| {
                applied
                    .iter()
                    .any(|(p, team)| *p == other.id && *team == t.id)
            })
            .map(|t| t.name.as_str())
            .collect();
        if !shared.is_empty() {
            return Err(ServiceError::conflict(
                ProblemCode::PolicyConflict,
                format!(
                    "Policy {:?} already sets {} on {} {}; two policies on one team may not set the same key.",
                    other.name,
                    keys.join(", "),
                    if shared.len() == 1 { "team" } else { "teams" },
                    shared.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn policy_view(p: PolicyRow, applied: &[(PolicyId, TeamId)]) -> ServiceResult<PolicyView> {
    Ok(PolicyView {
        values: parse_values(&p.values_json)?,
        team_ids: applied
            .iter()
            .filter(|(id, _)| *id == p.id)
            .map(|(_, t)| t.clone())
            .collect(),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
        id: p.id.into(),
        name: p.name,
    })
}

fn check_policy_values(values: &BTreeMap<String, Value>) -> ServiceResult<()> {
    if values.is_empty() {
        return Err(ServiceError::invalid(
            "values",
            "must set at least one setting",
        ));
    }
    settings::check_values(values)?;
    Ok(())
}

fn require_teams(ids: &[String]) -> ServiceResult<()> {
    if ids.len() > MAX_POLICY_TEAMS {
        return Err(ServiceError::invalid(
            "team_ids",
            format!("lists {} teams; at most {MAX_POLICY_TEAMS}", ids.len()),
        ));
    }
    if ids.is_empty() {
        return Err(ServiceError::invalid(
            "team_ids",
            "must name at least one team",
        ));
    }
    Ok(())
}

/// A URL the server will fetch, for `field`: what the outbound guard lets through (https, no
/// userinfo, no private address written in it — names are checked again when fetched).
fn check_url(
    outbound: &switchboard_sso::outbound::Outbound,
    field: &'static str,
    url: &str,
) -> ServiceResult<String> {
    let url = url.trim().trim_end_matches('/').to_owned();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return Err(ServiceError::invalid(field, "must be an https:// URL"));
    }
    outbound
        .check_url(&url)
        .map_err(|e| ServiceError::invalid(field, format!("can't be used: {e}")))?;
    Ok(url)
}

/// Most allowed domains one SSO policy lists.
pub const MAX_DOMAINS: usize = 100;
/// Most teams one policy applies to in one request.
pub const MAX_POLICY_TEAMS: usize = 1000;

fn check_domains(domains: &[String]) -> ServiceResult<Vec<String>> {
    if domains.len() > MAX_DOMAINS {
        return Err(ServiceError::invalid(
            "allowed_domains",
            format!("lists {} domains; at most {MAX_DOMAINS}", domains.len()),
        ));
    }
    let mut out = Vec::new();
    for d in domains {
        let d = switchboard_domain::domain_name::DomainName::parse("allowed_domains", d)?;
        if !out.contains(&d.to_string()) {
            out.push(d.to_string());
        }
    }
    Ok(out)
}

fn required(field: &'static str, v: &str) -> ServiceResult<String> {
    let v = v.trim();
    if v.is_empty() || v.len() > 500 {
        return Err(ServiceError::invalid(field, "must be 1–500 characters"));
    }
    Ok(v.to_owned())
}
