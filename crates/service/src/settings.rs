//! Settings and policies (R19–R24): the catalog, a team's settings with their effective values and
//! sources, setting policies (values that override teams' own, without conflicts), and SSO
//! policies (an OpenID provider per set of email-login teams, its secret stored encrypted).

use crate::teams::load_team;
use crate::views::rfc3339;
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchboard_domain::audit::event::{AuditEvent, PolicyState, SsoSettings};
use std::collections::BTreeMap;
use switchboard_domain::access::Action;
use switchboard_domain::ids::{PolicyId, TeamId};
use switchboard_domain::plan;
use switchboard_domain::settings::{self, AppliedPolicy, Effective, SettingSpec};
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::settings::{self as store, PolicyRow};
use switchboard_store::{Conn, billing, now_ms, orgs};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastChange {
    /// The user who set the team's value.
    pub by: String,
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
    pub team_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100)]
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
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100, nullable = false)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SsoPolicyView {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// The secret is stored encrypted and never returned.
    pub has_client_secret: bool,
    pub allowed_domains: Vec<String>,
    pub team_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSsoPolicy {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100)]
    pub name: String,
    /// `https://…` (plain `http://` only on loopback).
    #[schema(max_length = 500)]
    pub issuer: String,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub client_id: String,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub client_secret: String,
    #[serde(alias = "allowed_email_domains")]
    #[schema(max_items = 100)]
    pub allowed_domains: Vec<String>,
    #[schema(min_items = 1, max_items = 1000)]
    pub team_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateSsoPolicy {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    #[schema(max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub issuer: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub client_id: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub client_secret: Option<String>,
    #[serde(alias = "allowed_email_domains")]
    #[schema(max_items = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub allowed_domains: Option<Vec<String>>,
    #[schema(min_items = 1, max_items = 1000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_ids: Option<Vec<String>>,
}

const SETTING: &str = "setting";
const SSO: &str = "sso";

fn not_found_policy() -> ServiceError {
    ServiceError::NotFound { what: "policy" }
}

fn parse_values(v: &str) -> BTreeMap<String, Value> {
    serde_json::from_str(v).unwrap_or_default()
}

/// Features of the team's plan (none without a subscription).
async fn team_features(
    c: &mut Conn,
    org: &str,
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
    org: &str,
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
        .map(|p| AppliedPolicy {
            values: parse_values(&p.values_json),
            id: p.id,
            name: p.name,
        })
        .collect();
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
    org: &str,
    me: Option<&str>,
    values: &BTreeMap<String, Value>,
    teams: &[orgs::TeamRow],
) -> ServiceResult<()> {
    let applied = store::policy_teams(c, org, SETTING).await?;
    for other in store::list_policies(c, org, SETTING).await? {
        if Some(other.id.as_str()) == me {
            continue;
        }
        let keys = settings::shared_keys(values, &parse_values(&other.values_json));
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
                "policy_conflict",
                format!(
                    "Policy {:?} already sets {} on team(s) {}; two policies on one team may not set the same key.",
                    other.name,
                    keys.join(", "),
                    shared.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn policy_view(p: PolicyRow, applied: &[(String, String)]) -> PolicyView {
    PolicyView {
        values: parse_values(&p.values_json),
        team_ids: applied
            .iter()
            .filter(|(id, _)| *id == p.id)
            .map(|(_, t)| t.clone())
            .collect(),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
        id: p.id,
        name: p.name,
    }
}

fn sso_view(p: PolicyRow, applied: &[(String, String)]) -> SsoPolicyView {
    SsoPolicyView {
        team_ids: applied
            .iter()
            .filter(|(id, _)| *id == p.id)
            .map(|(_, t)| t.clone())
            .collect(),
        allowed_domains: p
            .allowed_domains_json
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default(),
        has_client_secret: p.client_secret_enc.is_some(),
        issuer: p.issuer.unwrap_or_default(),
        client_id: p.client_id.unwrap_or_default(),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
        id: p.id,
        name: p.name,
    }
}

/// An SSO policy as its audit entries show it (never the secret).
fn sso_settings(v: &SsoPolicyView) -> SsoSettings {
    SsoSettings {
        name: v.name.clone(),
        settings: json!({"issuer": v.issuer, "client_id": v.client_id, "allowed_domains": v.allowed_domains}),
        team_ids: v.team_ids.iter().cloned().map(TeamId::from_db).collect(),
    }
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

/// R24: the issuer must be an https URL (http only on loopback, for development).
fn check_issuer(issuer: &str) -> ServiceResult<String> {
    let issuer = issuer.trim().trim_end_matches('/').to_owned();
    let loopback = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|p| {
            issuer.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(':') || rest.starts_with('/')
            })
        });
    let https = issuer
        .strip_prefix("https://")
        .is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace));
    if !(https || loopback) {
        return Err(ServiceError::invalid(
            "issuer",
            "must be an https:// URL (plain http only on localhost)",
        ));
    }
    Ok(issuer)
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
        let d = d.trim().trim_start_matches('@').to_lowercase();
        let ok = d.contains('.')
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(ServiceError::invalid(
                "allowed_domains",
                format!("{d:?} is not a domain like example.com"),
            ));
        }
        out.push(d);
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

impl Services {
    pub fn settings_catalog(&self) -> &'static [SettingSpec] {
        settings::catalog()
    }

    /// R23: every catalog key with its effective value and source for the team.
    pub async fn team_settings(
        &self,
        who: &OrgCaller,
        team: &str,
    ) -> ServiceResult<TeamSettingsView> {
        let mut c = self.store.read().await?;
        let t = load_team(&mut c, who, team).await?;
        who.may(Action::ViewTeamSettings(&TeamId::from_db(t.id.clone())))?;
        self.team_settings_view(&mut c, who.org.as_str(), &t).await
    }

    async fn team_settings_view(
        &self,
        c: &mut Conn,
        org: &str,
        t: &orgs::TeamRow,
    ) -> ServiceResult<TeamSettingsView> {
        let (plan, effective, rows) = effective_settings(c, org, t).await?;
        let settings = effective
            .into_iter()
            .map(|e| {
                let row = rows.iter().find(|r| r.key == e.key);
                TeamSettingView {
                    label: settings::spec(&e.key)
                        .map(|s| s.label.clone())
                        .unwrap_or_default(),
                    team_value: row
                        .map(|r| serde_json::from_str(&r.value_json).unwrap_or(Value::Null)),
                    last_change: row.map(|r| LastChange {
                        by: r.updated_by.clone(),
                        at: rfc3339(r.updated_at),
                    }),
                    effective: e,
                }
            })
            .collect();
        Ok(TeamSettingsView {
            team_id: t.id.clone(),
            plan,
            settings,
        })
    }

    /// R20, R23: sets (or with null clears) the team's own values. Locked keys are refused
    /// naming the policy; keys the plan lacks are refused naming the feature.
    pub async fn update_team_settings(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        team: &str,
        body: Value,
    ) -> ServiceResult<TeamSettingsView> {
        let changes: BTreeMap<String, Value> = match body {
            Value::Object(mut o)
                if o.len() == 1 && o.get("values").is_some_and(Value::is_object) =>
            {
                serde_json::from_value(o.remove("values").unwrap_or_default()).unwrap_or_default()
            }
            Value::Object(o) => o.into_iter().collect(),
            _ => {
                return Err(ServiceError::invalid(
                    "values",
                    "send an object of setting keys to values (null clears a value)",
                ));
            }
        };
        if changes.is_empty() {
            return Err(ServiceError::invalid("values", "name at least one setting"));
        }
        let changes = settings::canonical(changes);
        let to_set: BTreeMap<String, Value> = changes
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for k in changes.keys() {
            if settings::spec(k).is_none() {
                settings::check_values(&BTreeMap::from([(k.clone(), Value::Null)]))?;
            }
        }
        settings::check_values(&to_set)?;
        let mut w = self.write(who, ctx).await?;
        let t = load_team(w.db(), who, team).await?;
        let team_id = TeamId::from_db(t.id.clone());
        w.may(Action::EditTeamSettings(&team_id))?;
        let (_, effective, rows) = effective_settings(w.db(), who.org.as_str(), &t).await?;
        for key in changes.keys() {
            let e = effective
                .iter()
                .find(|e| &e.key == key)
                .expect("catalog keys resolve");
            match &e.source {
                settings::Source::Policy { policy } => {
                    let policy_name = &policy.name;
                    return Err(ServiceError::conflict(
                        "setting_locked",
                        format!(
                            "{key} is locked by policy {policy_name:?}; change the policy or take the team out of it."
                        ),
                    ));
                }
                settings::Source::Unavailable { missing_feature } if !changes[key].is_null() => {
                    return Err(ServiceError::invalid(
                        "values",
                        format!(
                            "{key} needs the {missing_feature} feature, which the team's plan does not include"
                        ),
                    ));
                }
                _ => {}
            }
        }
        let now = now_ms();
        for (key, value) in &changes {
            let before = rows
                .iter()
                .find(|r| &r.key == key)
                .map(|r| serde_json::from_str::<Value>(&r.value_json).unwrap_or(Value::Null));
            if value.is_null() {
                store::delete_team_setting(w.db(), who.org.as_str(), &t.id, key).await?;
            } else {
                store::put_team_setting(
                    w.db(),
                    who.org.as_str(),
                    &t.id,
                    key,
                    &value.to_string(),
                    who.user.as_str(),
                    now,
                )
                .await?;
            }
            w.record(AuditEvent::TeamSettingChanged {
                team: team_id.clone(),
                team_name: t.name.clone(),
                key: key.clone(),
                before,
                after: (!value.is_null()).then(|| value.clone()),
            })
            .await?;
        }
        let view = self
            .team_settings_view(w.db(), who.org.as_str(), &t)
            .await?;
        w.commit().await?;
        Ok(view)
    }

    pub async fn list_policies(&self, who: &OrgCaller) -> ServiceResult<Vec<PolicyView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let applied = store::policy_teams(&mut c, who.org.as_str(), SETTING).await?;
        Ok(store::list_policies(&mut c, who.org.as_str(), SETTING)
            .await?
            .into_iter()
            .map(|p| policy_view(p, &applied))
            .collect())
    }

    pub async fn get_policy(&self, who: &OrgCaller, id: &str) -> ServiceResult<PolicyView> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let p = store::get_policy(&mut c, who.org.as_str(), id.as_str(), SETTING)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(&mut c, who.org.as_str(), SETTING).await?;
        Ok(policy_view(p, &applied))
    }

    /// R21, R22: a named set of values applied to teams, refused if it would share a key with
    /// another policy on a shared team.
    pub async fn create_policy(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        req: CreatePolicy,
    ) -> ServiceResult<PolicyView> {
        let mut req = req;
        req.values = settings::canonical(req.values);
        let name = Name::parse("name", &req.name)?;
        check_policy_values(&req.values)?;
        require_teams(&req.team_ids)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let teams = load_teams(w.db(), who, &req.team_ids).await?;
        check_conflicts(w.db(), who.org.as_str(), None, &req.values, &teams).await?;
        let now = now_ms();
        let row = PolicyRow {
            org_id: who.org.to_string(),
            id: PolicyId::generate().to_string(),
            kind: SETTING.into(),
            name: name.as_str().to_owned(),
            values_json: serde_json::to_string(&req.values).unwrap_or_default(),
            issuer: None,
            client_id: None,
            client_secret_enc: None,
            allowed_domains_json: None,
            created_at: now,
            updated_at: now,
        };
        store::insert_policy(w.db(), &row).await?;
        let team_ids: Vec<String> = teams.iter().map(|t| t.id.clone()).collect();
        store::set_policy_teams(w.db(), who.org.as_str(), &row.id, SETTING, &team_ids).await?;
        w.record(AuditEvent::PolicyCreated {
            policy: PolicyId::from_db(row.id.clone()),
            state: PolicyState {
                name: row.name.clone(),
                values: req.values.clone(),
                team_ids: team_ids.iter().cloned().map(TeamId::from_db).collect(),
            },
        })
        .await?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SETTING).await?;
        w.commit().await?;
        Ok(policy_view(row, &applied))
    }

    pub async fn update_policy(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        id: &str,
        req: UpdatePolicy,
    ) -> ServiceResult<PolicyView> {
        if req.name.is_none() && req.values.is_none() && req.team_ids.is_none() {
            return Err(ServiceError::invalid(
                "name",
                "send a new name, values or team_ids",
            ));
        }
        let name = req
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?;
        let mut req = req;
        req.values = req.values.map(settings::canonical);
        if let Some(v) = &req.values {
            check_policy_values(v)?;
        }
        if let Some(t) = &req.team_ids {
            require_teams(t)?;
        }
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let before = store::get_policy(w.db(), who.org.as_str(), id.as_str(), SETTING)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SETTING).await?;
        let old = policy_view(before.clone(), &applied);
        let values = req.values.clone().unwrap_or_else(|| old.values.clone());
        let team_ids = req.team_ids.clone().unwrap_or_else(|| old.team_ids.clone());
        let teams = load_teams(w.db(), who, &team_ids).await?;
        check_conflicts(
            w.db(),
            who.org.as_str(),
            Some(id.as_str()),
            &values,
            &teams,
        )
        .await?;
        let mut row = before;
        if let Some(n) = name {
            row.name = n.as_str().to_owned();
        }
        row.values_json = serde_json::to_string(&values).unwrap_or_default();
        row.updated_at = now_ms();
        store::update_policy(w.db(), &row).await?;
        let team_ids: Vec<String> = teams.iter().map(|t| t.id.clone()).collect();
        store::set_policy_teams(w.db(), who.org.as_str(), &row.id, SETTING, &team_ids).await?;
        w.record(AuditEvent::PolicyUpdated {
            policy: id.clone(),
            before: PolicyState {
                name: old.name.clone(),
                values: old.values.clone(),
                team_ids: old.team_ids.iter().cloned().map(TeamId::from_db).collect(),
            },
            after: PolicyState {
                name: row.name.clone(),
                values: values.clone(),
                team_ids: team_ids.iter().cloned().map(TeamId::from_db).collect(),
            },
        })
        .await?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SETTING).await?;
        w.commit().await?;
        Ok(policy_view(row, &applied))
    }

    /// Deletes a policy; its teams' own values apply again (R21).
    pub async fn delete_policy(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        id: &str,
        kind_sso: bool,
    ) -> ServiceResult<()> {
        let kind = if kind_sso { SSO } else { SETTING };
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let row = store::get_policy(w.db(), who.org.as_str(), id.as_str(), kind)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), kind).await?;
        store::delete_policy(w.db(), who.org.as_str(), &row.id).await?;
        w.record(if kind_sso {
            let view = sso_view(row, &applied);
            AuditEvent::SsoPolicyDeleted {
                policy: id,
                state: sso_settings(&view),
            }
        } else {
            let view = policy_view(row, &applied);
            AuditEvent::PolicyDeleted {
                policy: id,
                state: PolicyState {
                    name: view.name,
                    values: view.values,
                    team_ids: view.team_ids.into_iter().map(TeamId::from_db).collect(),
                },
            }
        })
        .await?;
        w.commit().await?;
        Ok(())
    }

    pub async fn list_sso_policies(&self, who: &OrgCaller) -> ServiceResult<Vec<SsoPolicyView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let applied = store::policy_teams(&mut c, who.org.as_str(), SSO).await?;
        Ok(store::list_policies(&mut c, who.org.as_str(), SSO)
            .await?
            .into_iter()
            .map(|p| sso_view(p, &applied))
            .collect())
    }

    pub async fn get_sso_policy(&self, who: &OrgCaller, id: &str) -> ServiceResult<SsoPolicyView> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let p = store::get_policy(&mut c, who.org.as_str(), id.as_str(), SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(&mut c, who.org.as_str(), SSO).await?;
        Ok(sso_view(p, &applied))
    }

    /// Teams for an SSO policy: email-login teams only, each with at most one SSO policy (R24).
    async fn sso_teams(
        &self,
        c: &mut Conn,
        who: &OrgCaller,
        me: Option<&str>,
        ids: &[String],
    ) -> ServiceResult<Vec<String>> {
        require_teams(ids)?;
        let teams = load_teams(c, who, ids).await?;
        if let Some(t) = teams
            .iter()
            .find(|t| t.login_type != LoginType::Email.as_str())
        {
            return Err(ServiceError::invalid(
                "team_ids",
                format!(
                    "team {} signs in by device; SSO applies to email-login teams only",
                    t.name
                ),
            ));
        }
        let applied = store::policy_teams(c, who.org.as_str(), SSO).await?;
        if let Some(t) = teams.iter().find(|t| {
            applied
                .iter()
                .any(|(p, team)| Some(p.as_str()) != me && *team == t.id)
        }) {
            return Err(ServiceError::conflict(
                "sso_policy_conflict",
                format!(
                    "Team {} already has an SSO policy; a team has at most one.",
                    t.name
                ),
            ));
        }
        Ok(teams.into_iter().map(|t| t.id).collect())
    }

    pub async fn create_sso_policy(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        req: CreateSsoPolicy,
    ) -> ServiceResult<SsoPolicyView> {
        let name = Name::parse("name", &req.name)?;
        let issuer = check_issuer(&req.issuer)?;
        let client_id = required("client_id", &req.client_id)?;
        let secret = required("client_secret", &req.client_secret)?;
        let domains = check_domains(&req.allowed_domains)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let team_ids = self.sso_teams(w.db(), who, None, &req.team_ids).await?;
        let now = now_ms();
        let row = PolicyRow {
            org_id: who.org.to_string(),
            id: PolicyId::generate().to_string(),
            kind: SSO.into(),
            name: name.as_str().to_owned(),
            values_json: "{}".into(),
            issuer: Some(issuer),
            client_id: Some(client_id),
            client_secret_enc: Some(self.secrets.seal(&secret)),
            allowed_domains_json: Some(serde_json::to_string(&domains).unwrap_or_default()),
            created_at: now,
            updated_at: now,
        };
        store::insert_policy(w.db(), &row).await?;
        store::set_policy_teams(w.db(), who.org.as_str(), &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SSO).await?;
        let view = sso_view(row, &applied);
        w.record(AuditEvent::SsoPolicyCreated {
            policy: PolicyId::from_db(view.id.clone()),
            state: sso_settings(&view),
        })
        .await?;
        w.commit().await?;
        Ok(view)
    }

    pub async fn update_sso_policy(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        id: &str,
        req: UpdateSsoPolicy,
    ) -> ServiceResult<SsoPolicyView> {
        if req.name.is_none()
            && req.issuer.is_none()
            && req.client_id.is_none()
            && req.client_secret.is_none()
            && req.allowed_domains.is_none()
            && req.team_ids.is_none()
        {
            return Err(ServiceError::invalid(
                "name",
                "send at least one field to change",
            ));
        }
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let name = req
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?;
        let issuer = req.issuer.as_deref().map(check_issuer).transpose()?;
        let client_id = req
            .client_id
            .as_deref()
            .map(|v| required("client_id", v))
            .transpose()?;
        let secret = req
            .client_secret
            .as_deref()
            .map(|v| required("client_secret", v))
            .transpose()?;
        let domains = req
            .allowed_domains
            .as_deref()
            .map(check_domains)
            .transpose()?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let before = store::get_policy(w.db(), who.org.as_str(), id.as_str(), SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SSO).await?;
        let old = sso_view(before.clone(), &applied);
        let team_ids = match &req.team_ids {
            Some(ids) => self.sso_teams(w.db(), who, Some(id.as_str()), ids).await?,
            None => old.team_ids.clone(),
        };
        let mut row = before;
        if let Some(n) = name {
            row.name = n.as_str().to_owned();
        }
        row.issuer = issuer.or(row.issuer);
        row.client_id = client_id.or(row.client_id);
        if let Some(s) = secret {
            row.client_secret_enc = Some(self.secrets.seal(&s));
        }
        if let Some(d) = &domains {
            row.allowed_domains_json = Some(serde_json::to_string(d).unwrap_or_default());
        }
        row.updated_at = now_ms();
        store::update_policy(w.db(), &row).await?;
        store::set_policy_teams(w.db(), who.org.as_str(), &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), who.org.as_str(), SSO).await?;
        let new = sso_view(row, &applied);
        w.record(AuditEvent::SsoPolicyUpdated {
            policy: id,
            before: sso_settings(&old),
            after: sso_settings(&new),
        })
        .await?;
        w.commit().await?;
        Ok(new)
    }

    /// The decrypted client secret of an SSO policy (for the sign-in flow).
    pub async fn sso_client_secret(&self, org: &str, id: &str) -> ServiceResult<Option<String>> {
        let mut c = self.store.read().await?;
        let p = store::get_policy(&mut c, org, id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        Ok(p.client_secret_enc
            .as_deref()
            .and_then(|s| self.secrets.open(s)))
    }
}
