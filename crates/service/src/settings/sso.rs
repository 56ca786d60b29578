//! R24: SSO policies: an identity provider per set of email-login teams, its secret stored encrypted.

use super::sso_shape as shape;
use super::{
    CreateSsoPolicy, SSO, SsoPolicyView, UpdateSsoPolicy, load_teams, not_found_policy,
    require_teams,
};
use crate::ProblemCode;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::PolicyId;
use switchboard_domain::ids::TeamId;
use switchboard_domain::sso::{SsoOptions, SsoProtocol};
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::settings::{self as store, PolicyRow};
use switchboard_store::{Conn, now_ms};

impl Services {
    pub async fn list_sso_policies(&self, who: &OrgCaller) -> ServiceResult<Vec<SsoPolicyView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let applied = store::policy_teams(&mut c, &who.org, SSO).await?;
        let mut views: Vec<SsoPolicyView> = store::list_policies(&mut c, &who.org, SSO)
            .await?
            .into_iter()
            .map(|p| self.sso_view(p, &applied))
            .collect::<ServiceResult<_>>()?;
        for v in &mut views {
            shape::unverified_of(&mut c, &who.org, v).await?;
        }
        Ok(views)
    }

    pub async fn get_sso_policy(
        &self,
        who: &OrgCaller,
        id: &PolicyId,
    ) -> ServiceResult<SsoPolicyView> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        let p = store::get_policy(&mut c, &who.org, id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(&mut c, &who.org, SSO).await?;
        let mut view = self.sso_view(p, &applied)?;
        shape::unverified_of(&mut c, &who.org, &mut view).await?;
        Ok(view)
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
        // Before anything is fetched for this caller (the IdP's metadata), and again under the
        // lock.
        who.may(Action::ManageSsoPolicies)?;
        let name = Name::parse("name", &req.name)?;
        let protocol = req.protocol.unwrap_or_default();
        let domains = shape::domains(&req.allowed_domains)?;
        let break_glass =
            shape::check_break_glass(req.break_glass_emails.as_deref().unwrap_or_default())?;
        let mut options = SsoOptions {
            protocol,
            break_glass_emails: break_glass,
            allow_idp_initiated: req.allow_idp_initiated.unwrap_or(false),
            email_attribute: shape::optional("email_attribute", req.email_attribute.as_deref())?,
            ..SsoOptions::default()
        };
        if protocol == SsoProtocol::Saml
            || req.idp_metadata_url.is_some()
            || req.idp_metadata_xml.is_some()
        {
            let (url, xml) = shape::import_metadata(
                &self.outbound,
                req.idp_metadata_url.as_deref(),
                req.idp_metadata_xml.as_deref(),
            )
            .await?;
            options.idp_metadata_url = url;
            options.idp_metadata_xml = Some(xml);
        }
        let issuer = shape::oidc_fields(&self.outbound, req.issuer.as_deref())?;
        let client_id = shape::optional("client_id", req.client_id.as_deref())?;
        let secret = shape::optional("client_secret", req.client_secret.as_deref())?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageSsoPolicies)?;
        shape::only_verified(w.db(), &who.org, &domains).await?;
        let team_ids = self.sso_teams(w.db(), who, None, &req.team_ids).await?;
        options.jit = shape::check_jit(&req.jit.unwrap_or_default(), &team_ids, &domains)?;
        let now = now_ms();
        let row = PolicyRow {
            org_id: who.org.clone(),
            id: PolicyId::generate(),
            kind: SSO,
            name: name.as_str().to_owned(),
            values_json: "{}".into(),
            issuer,
            client_id,
            client_secret_enc: secret.map(|s| self.secrets.seal(&s)),
            allowed_domains_json: Some(serde_json::to_string(&domains).unwrap_or_default()),
            sso_json: Some(serde_json::to_string(&options).unwrap_or_default()),
            created_at: now,
            updated_at: now,
        };
        shape::check_provider(&row, &options)?;
        store::insert_policy(w.db(), &row).await?;
        store::set_policy_teams(w.db(), &who.org, &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
        let view = self.sso_view(row, &applied)?;
        w.record(AuditEvent::SsoPolicyCreated {
            policy: PolicyId::from_db(view.id.clone()),
            state: shape::sso_settings(&view),
        })
        .await?;
        w.commit().await?;
        Ok(view)
    }

    pub async fn update_sso_policy(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &PolicyId,
        req: UpdateSsoPolicy,
    ) -> ServiceResult<SsoPolicyView> {
        who.may(Action::ManageSsoPolicies)?;
        if req.is_empty() {
            return Err(ServiceError::invalid(
                "name",
                "send at least one field to change",
            ));
        }
        let name = req
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?;
        let issuer = shape::oidc_fields(&self.outbound, req.issuer.as_deref())?;
        let client_id = shape::optional("client_id", req.client_id.as_deref())?;
        let secret = shape::optional("client_secret", req.client_secret.as_deref())?;
        let domains = req
            .allowed_domains
            .as_deref()
            .map(shape::domains)
            .transpose()?;
        let break_glass = req
            .break_glass_emails
            .as_deref()
            .map(shape::check_break_glass)
            .transpose()?;
        // A blank attribute clears it (the NameID gives the email again).
        let email_attribute = shape::optional(
            "email_attribute",
            req.email_attribute
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty()),
        )?;
        let metadata = if req.idp_metadata_url.is_some() || req.idp_metadata_xml.is_some() {
            Some(
                shape::import_metadata(
                    &self.outbound,
                    req.idp_metadata_url.as_deref(),
                    req.idp_metadata_xml.as_deref(),
                )
                .await?,
            )
        } else {
            None
        };
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageSsoPolicies)?;
        if let Some(d) = &domains {
            shape::only_verified(w.db(), &who.org, d).await?;
        }
        let before = store::get_policy(w.db(), &who.org, id, SSO)
            .await?
            .ok_or_else(not_found_policy)?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
        let old = self.sso_view(before.clone(), &applied)?;
        let team_ids = match &req.team_ids {
            Some(ids) => self.sso_teams(w.db(), who, Some(id.as_str()), ids).await?,
            None => old.team_ids.clone(),
        };
        let mut row = before;
        let mut options = crate::sso::options_of(&row)?;
        if let Some(p) = req.protocol
            && p != options.protocol
        {
            // Switching protocols drops the other protocol's fields.
            options.protocol = p;
            match p {
                SsoProtocol::Oidc => {
                    options.idp_metadata_url = None;
                    options.idp_metadata_xml = None;
                }
                SsoProtocol::Saml => {
                    row.issuer = None;
                    row.client_id = None;
                    row.client_secret_enc = None;
                }
            }
        }
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
        if let Some((url, xml)) = metadata {
            options.idp_metadata_url = url;
            options.idp_metadata_xml = Some(xml);
        }
        if let Some(b) = break_glass {
            options.break_glass_emails = b;
        }
        if let Some(a) = req.allow_idp_initiated {
            options.allow_idp_initiated = a;
        }
        if req.email_attribute.is_some() {
            options.email_attribute = email_attribute;
        }
        let jit = req.jit.clone().unwrap_or_else(|| options.jit.clone());
        options.jit = shape::check_jit(&jit, &team_ids, &crate::sso::domains_of(&row)?)?;
        shape::check_provider(&row, &options)?;
        row.sso_json = Some(serde_json::to_string(&options).unwrap_or_default());
        row.updated_at = now_ms();
        store::update_policy(w.db(), &row).await?;
        store::set_policy_teams(w.db(), &who.org, &row.id, SSO, &team_ids).await?;
        let applied = store::policy_teams(w.db(), &who.org, SSO).await?;
        let mut new = self.sso_view(row, &applied)?;
        shape::unverified_of(w.db(), &who.org, &mut new).await?;
        w.record(AuditEvent::SsoPolicyUpdated {
            policy: id.clone(),
            before: shape::sso_settings(&old),
            after: shape::sso_settings(&new),
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
