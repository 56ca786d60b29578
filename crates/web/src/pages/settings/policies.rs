//! Setting policies in the portal (`/orgs/{org}/settings/policies`): the list, a form to create
//! one, its page to edit values and teams or delete it; a conflict (R22) is explained on the
//! form.

use super::{parse_value, readable, shown};
use crate::AppState;
use crate::extract::InRequest;
use crate::pages::browser::{
    FieldError, FormData, FormError, OrgPage, PageAt, PageForm, PageResult, done, page,
};
use crate::pages::human;
use crate::pages::shell::{Section, Shell};
use axum::extract::State;
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_domain::access::Action;
use switchboard_domain::ids::{PolicyId, TeamId};
use switchboard_domain::settings::{SettingType, catalog};
use switchboard_service::ServiceError;
use switchboard_service::settings::{CreatePolicy, PolicyView, UpdatePolicy};
use switchboard_service::teams::TeamChoice;

/// One key of a policy form.
struct PolicyValueRow {
    key: String,
    label: String,
    kind: SettingType,
    choices: Vec<String>,
    value: String,
}

#[derive(askama::Template)]
#[template(path = "portal/policies.html")]
struct PoliciesPage {
    shell: Shell,
    org: String,
    policies: Vec<PolicyLine>,
    teams: Vec<TeamChoice>,
    may_manage: bool,
    /// The policy being edited, or `None` on the list with its create form.
    editing: Option<PolicyView>,
    name: String,
    values: Vec<PolicyValueRow>,
    team_ids: Vec<String>,
    error: Option<FormError>,
}

/// A policy as the list shows it.
struct PolicyLine {
    id: String,
    name: String,
    keys: String,
    teams: String,
}

fn value_rows(values: &BTreeMap<String, Value>) -> Vec<PolicyValueRow> {
    catalog()
        .iter()
        .map(|spec| PolicyValueRow {
            key: spec.key.clone(),
            label: spec.label.clone(),
            kind: spec.kind.clone(),
            choices: spec.values.clone().unwrap_or_default(),
            value: shown(values.get(&spec.key)),
        })
        .collect()
}

/// A policy form's name, values and teams as typed.
struct PolicyForm {
    name: String,
    values: BTreeMap<String, Value>,
    raw: BTreeMap<String, Value>,
    team_ids: Vec<String>,
}

fn policy_form(f: &FormData) -> (PolicyForm, Option<ServiceError>) {
    let mut values = BTreeMap::new();
    let mut raw = BTreeMap::new();
    let mut failed = None;
    for spec in catalog() {
        let given = f.get(&format!("value.{}", spec.key));
        if !given.trim().is_empty() {
            raw.insert(spec.key.clone(), Value::String(given.to_owned()));
        }
        match parse_value(spec, given) {
            Ok(Some(v)) => {
                raw.insert(spec.key.clone(), v.clone());
                values.insert(spec.key.clone(), v);
            }
            Ok(None) => {}
            Err(e) => failed = Some(e),
        }
    }
    let form = PolicyForm {
        name: f.get("name").to_owned(),
        values,
        raw,
        team_ids: f.all("team_ids"),
    };
    (form, failed)
}

async fn policies_page(
    state: &AppState,
    p: &OrgPage,
    editing: Option<PolicyView>,
    form: Option<PolicyForm>,
    error: Option<FormError>,
) -> PageResult {
    let teams = state.services.team_choices(&p.who).await?;
    let name_of = |id: &TeamId| {
        teams
            .iter()
            .find(|t| t.id == id.as_str())
            .map_or_else(|| id.to_string(), |t| t.name.clone())
    };
    let policies = state
        .services
        .list_policies(&p.who)
        .await?
        .into_iter()
        .map(|pol| PolicyLine {
            keys: pol
                .values
                .iter()
                .map(|(k, v)| match catalog().iter().find(|c| &c.key == k) {
                    Some(spec) => format!("{}: {}", spec.label, readable(spec, v)),
                    None => format!("{k}: {v}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
            teams: pol
                .team_ids
                .iter()
                .map(name_of)
                .collect::<Vec<_>>()
                .join(", "),
            id: pol.id,
            name: pol.name,
        })
        .collect();
    let title = editing
        .as_ref()
        .map_or("Policies".to_owned(), |e| e.name.clone());
    let shell = Shell::for_org(state, p, &title, Section::Policies).await?;
    let (name, values, team_ids) = match (&form, &editing) {
        (Some(f), _) => (f.name.clone(), value_rows(&f.raw), f.team_ids.clone()),
        (None, Some(e)) => (
            e.name.clone(),
            value_rows(&e.values),
            e.team_ids.iter().map(ToString::to_string).collect(),
        ),
        (None, None) => (String::new(), value_rows(&BTreeMap::new()), Vec::new()),
    };
    Ok(page(
        &p.browser,
        &PoliciesPage {
            shell,
            org: p.who.org.to_string(),
            may_manage: p.who.may(Action::ManagePolicies).is_ok(),
            policies,
            teams,
            editing,
            name,
            values,
            team_ids,
            error,
        },
    ))
}

/// `/orgs/{org}/settings/policies`: the list and **Create policy**.
pub async fn policies(State(state): State<AppState>, p: OrgPage) -> PageResult {
    p.who.may(Action::ViewPolicies)?;
    policies_page(&state, &p, None, None, None).await
}

pub async fn create_policy(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let (form, failed) = policy_form(&f);
    let result = match failed {
        Some(e) => Err(e),
        None => {
            let create = CreatePolicy {
                name: form.name.clone(),
                values: form.values.clone(),
                team_ids: form.team_ids.clone(),
            };
            state.services.create_policy(&p.who, &req, create).await
        }
    };
    match result {
        Ok(pol) => Ok(done(
            &format!("/orgs/{}/settings/policies/{}", p.who.org, pol.id),
            &format!(
                "Created policy {}; it applies to {}.",
                pol.name,
                human::counted(pol.team_ids.len() as i64, "team", "teams")
            ),
        )),
        Err(e) => {
            policies_page(
                &state,
                &p,
                None,
                Some(form),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

/// `/orgs/{org}/settings/policies/{pol}`: the policy's form.
pub async fn policy(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(id): PageAt<PolicyId>,
) -> PageResult {
    let pol = state.services.get_policy(&p.who, &id).await?;
    policies_page(&state, &p, Some(pol), None, None).await
}

pub async fn update_policy(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(id): PageAt<PolicyId>,
    PageForm(f): PageForm,
) -> PageResult {
    let pol = state.services.get_policy(&p.who, &id).await?;
    let (form, failed) = policy_form(&f);
    let result = match failed {
        Some(e) => Err(e),
        None => {
            let update = UpdatePolicy {
                name: Some(form.name.clone()),
                values: Some(form.values.clone()),
                team_ids: Some(form.team_ids.clone()),
            };
            state
                .services
                .update_policy(&p.who, &req, &id, update)
                .await
        }
    };
    match result {
        Ok(saved) => Ok(done(
            &format!("/orgs/{}/settings/policies/{}", p.who.org, saved.id),
            &format!("Saved policy {}.", saved.name),
        )),
        Err(e) => {
            policies_page(
                &state,
                &p,
                Some(pol),
                Some(form),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

pub async fn delete_policy(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(id): PageAt<PolicyId>,
    PageForm(_): PageForm,
) -> PageResult {
    let pol = state.services.get_policy(&p.who, &id).await?;
    match state.services.delete_policy(&p.who, &req, &id).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/settings/policies", p.who.org),
            &format!(
                "Deleted policy {}; its teams' own values apply again.",
                pol.name
            ),
        )),
        Err(e) => {
            policies_page(
                &state,
                &p,
                Some(pol),
                None,
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}
