//! R19, R20, R23: a team's settings, each with its effective value and source, and setting the team's own values.

use super::{LastChange, TeamSettingView, TeamSettingsView, effective_settings};
use crate::ProblemCode;
use crate::teams::load_team_by_id;
use crate::views::rfc3339;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::TeamId;
use switchboard_domain::settings::{self, SettingSpec};
use switchboard_store::settings::{self as store};
use switchboard_store::{Conn, now_ms, orgs};

impl Services {
    pub fn settings_catalog(&self) -> &'static [SettingSpec] {
        settings::catalog()
    }

    /// R23: every catalog key with its effective value and source for the team.
    pub async fn team_settings(
        &self,
        who: &OrgCaller,
        team: &TeamId,
    ) -> ServiceResult<TeamSettingsView> {
        let mut c = self.store.read().await?;
        let t = load_team_by_id(&mut c, who, team).await?;
        who.may(Action::ViewTeamSettings(&t.id.clone()))?;
        self.team_settings_view(&mut c, &who.org, &t).await
    }

    pub(crate) async fn team_settings_view(
        &self,
        c: &mut Conn,
        org: &OrgId,
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
                        by_name: r.updated_by_name.clone(),
                        at: rfc3339(r.updated_at),
                    }),
                    effective: e,
                }
            })
            .collect();
        Ok(TeamSettingsView {
            team_id: t.id.clone().into(),
            plan,
            settings,
        })
    }

    /// R20, R23: sets (or with null clears) the team's own values. Locked keys are refused
    /// naming the policy; keys the plan lacks are refused naming the feature.
    pub async fn update_team_settings(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
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
        let t = load_team_by_id(w.db(), who, team).await?;
        let team_id = t.id.clone();
        w.may(Action::EditTeamSettings(&team_id))?;
        let (_, effective, rows) = effective_settings(w.db(), &who.org, &t).await?;
        for key in changes.keys() {
            let e = effective
                .iter()
                .find(|e| &e.key == key)
                .expect("catalog keys resolve");
            match &e.source {
                settings::Source::Policy { policy } => {
                    let policy_name = &policy.name;
                    return Err(ServiceError::conflict(
                        ProblemCode::SettingLocked,
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
                store::delete_team_setting(w.db(), &who.org, &t.id, key).await?;
            } else {
                store::put_team_setting(
                    w.db(),
                    &who.org,
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
        let view = self.team_settings_view(w.db(), &who.org, &t).await?;
        w.commit().await?;
        Ok(view)
    }
}
