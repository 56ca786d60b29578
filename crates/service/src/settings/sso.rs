//! R24: SSO policies: an identity provider per set of email-login teams, its secret stored encrypted.

use super::{
    CreateSsoPolicy, SSO, SsoPolicyView, UpdateSsoPolicy, check_domains, check_issuer, load_teams,
    not_found_policy, require_teams, required, sso_settings, sso_view,
};
use crate::ProblemCode;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::PolicyId;
use switchboard_domain::ids::TeamId;
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::settings::{self as store, PolicyRow};
use switchboard_store::{Conn, now_ms};

impl Services {
    pub async fn list_sso_policies(&self, who: &OrgCaller) -> ServiceResult<Vec<SsoPolicyView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let applied = store::policy_teams(&mut c, &who.org, SSO).await?;
        Ok(store::list_policies(&mut c, &who.org, SSO)
            .await?
            .into_iter()
            .map(|p| sso_view(p, &applied))
            .collect())
    }

    pub async fn get_sso_policy(&self, who: &OrgCaller, id: &str) -> ServiceResult<SsoPolicyView> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let id = PolicyId::parse(id).ok_or_else(not_found_policy)?;
        let p = store::get_policy(&mut c, &who.org, &id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(&mut c, &who.org, SSO).await?;
        Ok(sso_view(p, &applied))
    }

    /// Teams for an SSO policy: email-login teams only, each with at most one SSO policy (R24).
    pub(crate) async fn sso_teams(
        &self,
        c: &mut Conn,
        who: &OrgCaller,
        me: Option<&str>,
        ids: &[String],
    ) -> ServiceResult<Vec<TeamId>> {
        require_teams(ids)?;
        let teams = load_teams(c, who, ids).await?;
        if let Some(t) = teams.iter().find(|t| t.login_type != LoginType::Email) {
            return Err(ServiceError::invalid(
                "team_ids",
                format!(
                    "team {} signs in by device; SSO applies to email-login teams only",
                    t.name
                ),
            ));
        }
        let applied = store::policy_teams(c, &who.org, SSO).await?;
        if let Some(t) = teams.iter().find(|t| {
            applied
                .iter()
                .any(|(p, team)| Some(p.as_str()) != me && *team == t.id)
        }) {
            return Err(ServiceError::conflict(
                ProblemCode::SsoPolicyConflict,
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
        ctx: &RequestInfo,
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
            org_id: who.org.clone(),
            id: PolicyId::generate(),
            kind: SSO,
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
        store::set_policy_teams(w.db(), &who.org, &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
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
        ctx: &RequestInfo,
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
        let before = store::get_policy(w.db(), &who.org, &id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
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
        store::set_policy_teams(w.db(), &who.org, &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
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
    pub async fn sso_client_secret(
        &self,
        org: &OrgId,
        id: &PolicyId,
    ) -> ServiceResult<Option<String>> {
        let mut c = self.store.read().await?;
        let p = store::get_policy(&mut c, org, id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        Ok(p.client_secret_enc
            .as_deref()
            .and_then(|s| self.secrets.open(s)))
    }
}
