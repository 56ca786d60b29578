//! R33: a person's provider accounts in the organization (one per SSO policy they signed in
//! through), and an Org Admin's reset of them when a person's account legitimately changes —
//! their next sign-in links the account it comes with.

use crate::views::rfc3339;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use serde::Serialize;
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::UserId;
use switchboard_store::{people, settings, sso_links};
use utoipa::ToSchema;

/// The provider account a person is linked to under one SSO policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SsoLinkView {
    pub policy_id: String,
    pub policy_name: String,
    /// The OIDC issuer, or the SAML IdP's entity id.
    pub issuer: String,
    /// The provider's stable subject (`sub`, or the SAML NameID).
    pub subject: String,
    pub linked_at: String,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound { what: "user" }
}

impl Services {
    /// The person's provider accounts in the organization.
    pub async fn sso_links(&self, who: &OrgCaller, id: &UserId) -> ServiceResult<Vec<SsoLinkView>> {
        who.may(Action::ViewPolicies)?;
        let mut c = self.store.read().await?;
        if !people::presence(&mut c, &who.org, id).await?.is_member() {
            return Err(not_found());
        }
        let mut out = Vec::new();
        for l in sso_links::links_of(&mut c, &who.org, id).await? {
            let name = settings::get_policy(
                &mut c,
                &who.org,
                &l.policy_id,
                switchboard_domain::settings::PolicyKind::Sso,
            )
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| "A deleted policy".to_owned());
            out.push(SsoLinkView {
                policy_id: l.policy_id.to_string(),
                policy_name: name,
                issuer: l.issuer,
                subject: l.subject,
                linked_at: rfc3339(l.linked_at),
            });
        }
        Ok(out)
    }

    /// Unlinks the person's provider accounts (audited `sso.link_reset`); nothing linked is
    /// nothing to change, and no entry.
    pub async fn reset_sso_links(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageSsoPolicies)?;
        let email = people::org_member(w.db(), &who.org, id)
            .await?
            .ok_or_else(not_found)?
            .email;
        let policies = sso_links::unlink(w.db(), &who.org, id).await?;
        if policies.is_empty() {
            return w.unchanged().await;
        }
        w.record(AuditEvent::SsoLinkReset {
            user: id.clone(),
            email,
            policies,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
