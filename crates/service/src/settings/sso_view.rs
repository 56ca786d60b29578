//! An SSO policy as the API shows it (`SsoPolicyView`, built from its stored row), with the
//! domains it names that its organization hasn't verified.

use super::sso_shape::SsoPolicyView;
use crate::{ServiceResult, Services};
use switchboard_domain::ids::{PolicyId, TeamId};
use switchboard_domain::sso::SsoProtocol;
use switchboard_store::settings::PolicyRow;

/// The allowed domains of a policy that its organization hasn't verified (or whose
/// verification lapsed): they route nobody until verified.
pub(crate) async fn unverified_of(
    c: &mut switchboard_store::Conn,
    org: &switchboard_domain::ids::OrgId,
    view: &mut SsoPolicyView,
) -> ServiceResult<()> {
    let verified = switchboard_store::domains::verified_of(c, org).await?;
    view.unverified_domains = view
        .allowed_domains
        .iter()
        .filter(|d| !verified.contains(d))
        .cloned()
        .collect();
    Ok(())
}

impl Services {
    pub(crate) fn sso_view(
        &self,
        p: PolicyRow,
        applied: &[(PolicyId, TeamId)],
    ) -> ServiceResult<SsoPolicyView> {
        let options = crate::sso::options_of(&p)?;
        let saml = options.protocol == SsoProtocol::Saml;
        let idp = options
            .idp_metadata_xml
            .as_deref()
            .and_then(|x| switchboard_sso::saml::check_metadata(x).ok());
        Ok(SsoPolicyView {
            team_ids: applied
                .iter()
                .filter(|(id, _)| *id == p.id)
                .map(|(_, t)| t.clone())
                .collect(),
            allowed_domains: crate::sso::domains_of(&p)?,
            unverified_domains: Vec::new(),
            has_client_secret: p.client_secret_enc.is_some(),
            protocol: options.protocol,
            redirect_uri: (!saml).then(|| self.oidc_redirect_uri()),
            idp_metadata_url: options.idp_metadata_url.clone(),
            idp_entity_id: idp.as_ref().map(|m| m.entity_id.clone()),
            idp_sso_url: idp.map(|m| m.sso_url),
            sp_entity_id: saml.then(|| self.saml_entity_id(&p.id)),
            sp_metadata_url: saml.then(|| self.saml_entity_id(&p.id)),
            acs_url: saml.then(|| self.saml_acs_url(&p.id)),
            allow_idp_initiated: options.allow_idp_initiated,
            email_attribute: options.email_attribute.clone(),
            jit: options.jit.clone(),
            break_glass_emails: options.break_glass_emails.clone(),
            issuer: p.issuer.unwrap_or_default(),
            client_id: p.client_id.unwrap_or_default(),
            created_at: crate::views::rfc3339(p.created_at),
            updated_at: crate::views::rfc3339(p.updated_at),
            id: p.id.into(),
            name: p.name,
        })
    }
}
