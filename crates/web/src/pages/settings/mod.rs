//! Settings in the portal: a team's settings (every catalog key with its effective value; a key a
//! policy enforces shows a lock and the policy's name, linked, and no control; a key the plan
//! lacks names the feature it needs), and setting policies ([`mod@policies`]: list, create, edit
//! values and teams, delete; a conflict, R22, is explained on the form). Resolution and conflicts
//! are the domain's.

mod policies;

pub use policies::{create_policy, delete_policy, policies, policy, update_policy};

use super::browser::{FormError, OrgPage, PageAt, PageForm, PageResult, done, page};
use super::human;
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use serde_json::Value;
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_domain::settings::{SettingSpec, SettingType, Source, catalog};
use switchboard_service::ServiceError;
use switchboard_service::settings::TeamSettingView;
use switchboard_service::teams::TeamChoice;
use switchboard_service::views::TeamView;

/// A value as a form shows it: `true`/`false`, a number, an enum word, or "" for none.
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// What a person reads for a value: On/Off, the number, an enum value's label.
fn readable(spec: &SettingSpec, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        v => spec.value_label(v),
    }
}

/// The form's value of one key: `None` for blank, else the typed value (an error names the key).
fn parse_value(spec: &SettingSpec, raw: &str) -> Result<Option<Value>, ServiceError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| {
        ServiceError::Invalid(switchboard_domain::DomainError::new(
            "values",
            format!("{}: {why}", spec.label),
        ))
    };
    Ok(Some(match spec.kind {
        SettingType::Bool => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("choose On or Off")),
        },
        SettingType::Integer => Value::from(raw.parse::<i64>().map_err(|_| bad("a whole number"))?),
        SettingType::Enum => Value::String(raw.to_owned()),
    }))
}

/// One row of the team settings form.
struct SettingRow {
    key: String,
    label: String,
    help: String,
    kind: SettingType,
    /// An enum's values and their labels.
    choices: Vec<(String, String)>,
    effective: String,
    /// The team's own value as the control shows it ("" for the default).
    own: String,
    default: String,
    locked_by: Option<(String, String)>,
    missing_feature: Option<String>,
    /// Who last set the team's value, and when.
    last_change: Option<(String, human::When)>,
}

impl SettingRow {
    /// The team's own value as a person reads it (for a row without a control).
    fn own_label(&self) -> String {
        match &self.kind {
            SettingType::Bool => match self.own.as_str() {
                "true" => "On".to_owned(),
                "false" => "Off".to_owned(),
                other => other.to_owned(),
            },
            SettingType::Enum => self
                .choices
                .iter()
                .find(|(v, _)| *v == self.own)
                .map_or_else(|| self.own.clone(), |(_, l)| l.clone()),
            SettingType::Integer => self.own.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "portal/team_settings.html")]
struct TeamSettingsPage {
    shell: Shell,
    org: String,
    team: TeamView,
    teams: Vec<TeamChoice>,
    rows: Vec<SettingRow>,
    may_edit: bool,
    error: Option<FormError>,
}

fn rows(settings: &[TeamSettingView], zone: &human::Zone) -> Vec<SettingRow> {
    catalog()
        .iter()
        .filter_map(|spec| {
            let s = settings.iter().find(|s| s.effective.key == spec.key)?;
            let (locked_by, missing_feature) = match &s.effective.source {
                Source::Policy { policy } => (Some((policy.id.clone(), policy.name.clone())), None),
                Source::Unavailable { missing_feature } => (None, Some(missing_feature.clone())),
                _ => (None, None),
            };
            Some(SettingRow {
                key: spec.key.clone(),
                label: spec.label.clone(),
                help: spec.help.clone(),
                kind: spec.kind.clone(),
                choices: spec
                    .values
                    .iter()
                    .flatten()
                    .map(|v| (v.clone(), spec.value_label(&Value::String(v.clone()))))
                    .collect(),
                effective: readable(spec, &s.effective.value),
                own: shown(s.team_value.as_ref()),
                default: readable(spec, &spec.default),
                locked_by,
                missing_feature: missing_feature.map(|f| human::feature(&f).to_owned()),
                last_change: s.last_change.as_ref().map(|c| {
                    let who = c
                        .by_name
                        .clone()
                        .unwrap_or_else(|| "someone no longer here".to_owned());
                    (who, zone.when(&c.at))
                }),
            })
        })
        .collect()
}

async fn team_settings_page(
    state: &AppState,
    p: &OrgPage,
    team: &TeamId,
    error: Option<FormError>,
) -> PageResult {
    let view = state.services.team_settings(&p.who, team).await?;
    let team_view = state.services.get_team(&p.who, team).await?;
    let teams = state.services.team_choices(&p.who).await?;
    let id = team.clone();
    let shell = Shell::for_org(
        state,
        p,
        &format!("Team settings · {}", team_view.name),
        Section::Settings,
    )
    .await?;
    Ok(page(
        &p.browser,
        &TeamSettingsPage {
            rows: rows(&view.settings, &shell.zone),
            shell,
            org: p.who.org.to_string(),
            may_edit: p.who.may(Action::EditTeamSettings(&id)).is_ok(),
            team: team_view,
            teams,
            error,
        },
    ))
}

/// `/orgs/{org}/settings/teams/{team}`.
pub async fn team_settings(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(team): PageAt<TeamId>,
) -> PageResult {
    team_settings_page(&state, &p, &team, None).await
}

/// Saves the team's own values that changed (blank: back to the default).
pub async fn save_team_settings(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(team): PageAt<TeamId>,
    PageForm(f): PageForm,
) -> PageResult {
    let current = state.services.team_settings(&p.who, &team).await?;
    let mut changes = serde_json::Map::new();
    let mut failed = None;
    for s in &current.settings {
        let Some(spec) = catalog().iter().find(|c| c.key == s.effective.key) else {
            continue;
        };
        let field = format!("value.{}", spec.key);
        if s.effective.locked || !f.0.iter().any(|(k, _)| *k == field) {
            continue;
        }
        match parse_value(spec, f.get(&field)) {
            Ok(v) if v.as_ref() != s.team_value.as_ref() => {
                changes.insert(spec.key.clone(), v.unwrap_or(Value::Null));
            }
            Ok(_) => {}
            Err(e) => failed = Some(e),
        }
    }
    let result = match failed {
        Some(e) => Err(e),
        None if changes.is_empty() => Ok("Nothing changed.".to_owned()),
        None => {
            let n = changes.len();
            state
                .services
                .update_team_settings(
                    &p.who,
                    &req,
                    &team,
                    serde_json::json!({ "values": changes }),
                )
                .await
                .map(|_| format!("Saved {}.", human::counted(n as i64, "setting", "settings")))
        }
    };
    match result {
        Ok(message) => Ok(done(
            &format!("/orgs/{}/settings/teams/{team}", p.who.org),
            &message,
        )),
        Err(e) => team_settings_page(&state, &p, &team, Some(FormError::from_service(e)?)).await,
    }
}

/// `/orgs/{org}/settings`: the first team's settings.
pub async fn settings_home(State(state): State<AppState>, p: OrgPage) -> PageResult {
    let teams = state.services.team_choices(&p.who).await?;
    let to = match teams.first() {
        Some(t) => format!("/orgs/{}/settings/teams/{}", p.who.org, t.id),
        None => format!("/orgs/{}/settings/policies", p.who.org),
    };
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&to),
    ))
}
