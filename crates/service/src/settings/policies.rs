//! R21, R22: setting policies: named values applied to teams, never two setting one key on one team.

use super::{
    CreatePolicy, PolicyView, SETTING, SSO, UpdatePolicy, check_conflicts, check_policy_values,
    load_teams, not_found_policy, policy_view, require_teams,
};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, PolicyState};
use switchboard_domain::ids::{PolicyId, TeamId};
use switchboard_domain::settings::PolicyKind;
use switchboard_domain::settings::{self};
use switchboard_domain::team::Name;
use switchboard_store::now_ms;
use switchboard_store::settings::{self as store, PolicyRow};

impl Services {
    pub async fn list_policies(&self, who: &OrgCaller) -> ServiceResult<Vec<PolicyView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let applied = store::policy_teams(&mut c, &who.org, SETTING).await?;
        store::list_policies(&mut c, &who.org, SETTING)
            .await?
            .into_iter()
            .map(|p| policy_view(p, &applied))
            .collect()
    }

    pub async fn get_policy(&self, who: &OrgCaller, id: &PolicyId) -> ServiceResult<PolicyView> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let p = store::get_policy(&mut c, &who.org, id, SETTING)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(&mut c, &who.org, SETTING).await?;
        policy_view(p, &applied)
    }

    /// R21, R22: a named set of values applied to teams, refused if it would share a key with
    /// another policy on a shared team.
    pub async fn create_policy(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
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
        check_conflicts(w.db(), &who.org, None, &req.values, &teams).await?;
        let now = now_ms();
        let row = PolicyRow {
            org_id: who.org.clone(),
            id: PolicyId::generate(),
            kind: SETTING,
            name: name.as_str().to_owned(),
            values_json: serde_json::to_string(&req.values).unwrap_or_default(),
            issuer: None,
            client_id: None,
            client_secret_enc: None,
            allowed_domains_json: None,
            sso_json: None,
            created_at: now,
            updated_at: now,
        };
        store::insert_policy(w.db(), &row).await?;
        let team_ids: Vec<TeamId> = teams.iter().map(|t| t.id.clone()).collect();
        store::set_policy_teams(w.db(), &who.org, &row.id, SETTING, &team_ids).await?;
        w.record(AuditEvent::PolicyCreated {
            policy: row.id.clone(),
            state: PolicyState {
                name: row.name.clone(),
                values: req.values.clone(),
                team_ids: team_ids.to_vec(),
            },
        })
        .await?;
        let applied = store::policy_teams(w.db(), &who.org, SETTING).await?;
        w.commit().await?;
        policy_view(row, &applied)
    }

    pub async fn update_policy(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &PolicyId,
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
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManagePolicies)?;
        let before = store::get_policy(w.db(), &who.org, id, SETTING)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), &who.org, SETTING).await?;
        let old = policy_view(before.clone(), &applied)?;
        let values = req.values.clone().unwrap_or_else(|| old.values.clone());
        let team_ids = req
            .team_ids
            .clone()
            .unwrap_or_else(|| old.team_ids.iter().map(|t| t.to_string()).collect());
        let teams = load_teams(w.db(), who, &team_ids).await?;
        check_conflicts(w.db(), &who.org, Some(id.as_str()), &values, &teams).await?;
        let mut row = before;
        if let Some(n) = name {
            row.name = n.as_str().to_owned();
        }
        row.values_json = serde_json::to_string(&values).unwrap_or_default();
        row.updated_at = now_ms();
        store::update_policy(w.db(), &row).await?;
        let team_ids: Vec<TeamId> = teams.iter().map(|t| t.id.clone()).collect();
        store::set_policy_teams(w.db(), &who.org, &row.id, SETTING, &team_ids).await?;
        w.record(AuditEvent::PolicyUpdated {
            policy: id.clone(),
            before: PolicyState {
                name: old.name.clone(),
                values: old.values.clone(),
                team_ids: old.team_ids.to_vec(),
            },
            after: PolicyState {
                name: row.name.clone(),
                values: values.clone(),
                team_ids: team_ids.to_vec(),
            },
        })
        .await?;
        let applied = store::policy_teams(w.db(), &who.org, SETTING).await?;
        w.commit().await?;
        policy_view(row, &applied)
    }

    /// Deletes a setting policy; its teams' own values apply again (R21).
    pub async fn delete_policy(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &PolicyId,
    ) -> ServiceResult<()> {
        self.delete_policy_of_kind(who, ctx, id, SETTING).await
    }

    /// Deletes an SSO policy; its teams sign in by emailed code again (R24).
    pub async fn delete_sso_policy(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &PolicyId,
    ) -> ServiceResult<()> {
        self.delete_policy_of_kind(who, ctx, id, SSO).await
    }

    async fn delete_policy_of_kind(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &PolicyId,
        kind: PolicyKind,
    ) -> ServiceResult<()> {
        let kind_sso = kind == SSO;
        let mut w = self.write(who, ctx).await?;
        w.may(if kind_sso {
            Action::ManageSsoPolicies
        } else {
            Action::ManagePolicies
        })?;
        let row = store::get_policy(w.db(), &who.org, id, kind)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), &who.org, kind).await?;
        store::delete_policy(w.db(), &who.org, &row.id).await?;
        // A policy whose stored values can't be read can still be deleted (that is how it is
        // fixed); its entry then keeps the stored text as it was.
        let teams: Vec<TeamId> = applied
            .iter()
            .filter(|(p, _)| *p == row.id)
            .map(|(_, t)| t.clone())
            .collect();
        let unreadable = |row: &PolicyRow| serde_json::json!({"unreadable": row.sso_json.clone().unwrap_or_else(|| row.values_json.clone())});
        w.record(if kind_sso {
            let state = match self.sso_view(row.clone(), &applied) {
                Ok(view) => super::sso_shape::sso_settings(&view),
                Err(_) => switchboard_domain::audit::event::SsoSettings {
                    settings: unreadable(&row),
                    name: row.name,
                    team_ids: teams,
                },
            };
            AuditEvent::SsoPolicyDeleted {
                policy: id.clone(),
                state,
            }
        } else {
            let state = match policy_view(row.clone(), &applied) {
                Ok(view) => PolicyState {
                    name: view.name,
                    values: view.values,
                    team_ids: view.team_ids.into_iter().collect(),
                },
                Err(_) => PolicyState {
                    values: [(
                        "unreadable".to_owned(),
                        unreadable(&row)["unreadable"].clone(),
                    )]
                    .into(),
                    name: row.name,
                    team_ids: teams.into_iter().collect(),
                },
            };
            AuditEvent::PolicyDeleted {
                policy: id.clone(),
                state,
            }
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
