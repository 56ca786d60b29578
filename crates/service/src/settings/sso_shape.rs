//! The shape of an SSO policy (R24): what the API takes and answers, and the checks that make a
//! policy's provider usable — an OIDC issuer with its client, or a SAML IdP's metadata (imported
//! from a URL or pasted, and checked for an entity id, a redirect endpoint and a signing
//! certificate) — plus just-in-time membership and break-glass emails.

pub(crate) use super::sso_view::unverified_of;
use super::{check_domains, check_url, required};
use crate::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use switchboard_domain::audit::event::SsoSettings;
use switchboard_domain::email::Email;
use switchboard_domain::ids::TeamId;
use switchboard_domain::sso::{Jit, SsoOptions, SsoProtocol};
use switchboard_sso::outbound::Outbound;
use switchboard_store::settings::PolicyRow;
use utoipa::ToSchema;

/// Most break-glass emails one policy names.
pub const MAX_BREAK_GLASS: usize = 100;
/// Largest pasted IdP metadata.
pub const MAX_METADATA: usize = 200 * 1024;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SsoPolicyView {
    pub id: String,
    pub name: String,
    pub protocol: SsoProtocol,
    /// OIDC: the provider's issuer (empty for SAML).
    pub issuer: String,
    pub client_id: String,
    /// The secret is stored encrypted and never returned.
    pub has_client_secret: bool,
    /// OIDC: the redirect URI to register at the provider.
    pub redirect_uri: Option<String>,
    /// SAML: where the IdP metadata was imported from.
    pub idp_metadata_url: Option<String>,
    /// SAML: the IdP's entity id and sign-in address, from its metadata.
    pub idp_entity_id: Option<String>,
    pub idp_sso_url: Option<String>,
    /// SAML: our entity id (also our metadata's address) and ACS URL, to give the IdP.
    pub sp_entity_id: Option<String>,
    pub sp_metadata_url: Option<String>,
    pub acs_url: Option<String>,
    pub allow_idp_initiated: bool,
    pub email_attribute: Option<String>,
    pub allowed_domains: Vec<String>,
    /// Allowed domains the organization hasn't verified (or whose verification lapsed): they
    /// route nobody until verified (R34).
    pub unverified_domains: Vec<String>,
    pub team_ids: Vec<TeamId>,
    pub jit: Jit,
    pub break_glass_emails: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSsoPolicy {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `oidc` (the default) or `saml`.
    #[serde(default)]
    pub protocol: Option<SsoProtocol>,
    /// OIDC: `https://…` (plain `http://` only on loopback).
    #[schema(max_length = 500, nullable = false)]
    #[serde(default)]
    pub issuer: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default)]
    pub client_id: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default)]
    pub client_secret: Option<String>,
    /// SAML: the IdP metadata's URL (imported now), or…
    #[schema(max_length = 500, nullable = false)]
    #[serde(default)]
    pub idp_metadata_url: Option<String>,
    /// …SAML: the IdP metadata's XML.
    #[schema(max_length = 204800, nullable = false)]
    #[serde(default)]
    pub idp_metadata_xml: Option<String>,
    /// SAML: accept IdP-initiated responses (off by default).
    #[serde(default)]
    pub allow_idp_initiated: Option<bool>,
    /// SAML: the attribute holding the email; the NameID when absent.
    #[schema(max_length = 200, nullable = false)]
    #[serde(default)]
    pub email_attribute: Option<String>,
    #[serde(alias = "allowed_email_domains")]
    #[schema(max_items = 100)]
    pub allowed_domains: Vec<String>,
    #[schema(min_items = 1, max_items = 1000)]
    pub team_ids: Vec<String>,
    #[serde(default)]
    pub jit: Option<Jit>,
    #[schema(max_items = 100, nullable = false)]
    #[serde(default)]
    pub break_glass_emails: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateSsoPolicy {
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::json::present")]
    pub protocol: Option<SsoProtocol>,
    #[schema(max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub issuer: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub client_id: Option<String>,
    #[schema(pattern = "\\S", min_length = 1, max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub client_secret: Option<String>,
    #[schema(max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub idp_metadata_url: Option<String>,
    #[schema(max_length = 204800, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub idp_metadata_xml: Option<String>,
    #[serde(default, deserialize_with = "crate::json::present")]
    pub allow_idp_initiated: Option<bool>,
    #[schema(max_length = 200, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub email_attribute: Option<String>,
    #[serde(alias = "allowed_email_domains")]
    #[schema(max_items = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub allowed_domains: Option<Vec<String>>,
    #[schema(min_items = 1, max_items = 1000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::json::present")]
    pub jit: Option<Jit>,
    #[schema(max_items = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub break_glass_emails: Option<Vec<String>>,
}

impl UpdateSsoPolicy {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.protocol.is_none()
            && self.issuer.is_none()
            && self.client_id.is_none()
            && self.client_secret.is_none()
            && self.idp_metadata_url.is_none()
            && self.idp_metadata_xml.is_none()
            && self.allow_idp_initiated.is_none()
            && self.email_attribute.is_none()
            && self.allowed_domains.is_none()
            && self.team_ids.is_none()
            && self.jit.is_none()
            && self.break_glass_emails.is_none()
    }
}

/// Break-glass emails, parsed and lowercased.
pub(crate) fn check_break_glass(emails: &[String]) -> ServiceResult<Vec<String>> {
    if emails.len() > MAX_BREAK_GLASS {
        return Err(ServiceError::invalid(
            "break_glass_emails",
            format!("lists {} emails; at most {MAX_BREAK_GLASS}", emails.len()),
        ));
    }
    let mut out = Vec::new();
    for e in emails {
        let email = Email::parse(e).map_err(|_| {
            ServiceError::invalid("break_glass_emails", format!("{e:?} is not an email"))
        })?;
        if !out.contains(&email.to_string()) {
            out.push(email.to_string());
        }
    }
    Ok(out)
}

/// A SAML IdP's metadata: fetched from `url` or given as `xml`, and checked.
pub(crate) async fn import_metadata(
    outbound: &Outbound,
    url: Option<&str>,
    xml: Option<&str>,
) -> ServiceResult<(Option<String>, String)> {
    match (url, xml) {
        (Some(_), Some(_)) => Err(ServiceError::invalid(
            "idp_metadata_xml",
            "give the IdP metadata's URL or its XML, not both",
        )),
        (Some(url), None) => {
            let url = check_url(outbound, "idp_metadata_url", url)?;
            let (xml, _) = switchboard_sso::saml::fetch_metadata(outbound, &url)
                .await
                .map_err(|e| ServiceError::invalid("idp_metadata_url", e))?;
            Ok((Some(url), xml))
        }
        (None, Some(xml)) => {
            if xml.len() > MAX_METADATA {
                return Err(ServiceError::invalid(
                    "idp_metadata_xml",
                    format!("is larger than {} KiB", MAX_METADATA / 1024),
                ));
            }
            switchboard_sso::saml::check_metadata(xml)
                .map_err(|e| ServiceError::invalid("idp_metadata_xml", e))?;
            Ok((None, xml.to_owned()))
        }
        (None, None) => Err(ServiceError::invalid(
            "idp_metadata_url",
            "a SAML policy needs the IdP's metadata: its URL or its XML",
        )),
    }
}

/// Checks the provider fields against the protocol: OIDC needs issuer, client id and secret
/// (the stored secret counts), SAML its metadata; the other protocol's fields are refused.
pub(crate) fn check_provider(row: &PolicyRow, options: &SsoOptions) -> ServiceResult<()> {
    match options.protocol {
        SsoProtocol::Oidc => {
            if row.issuer.is_none() {
                return Err(ServiceError::invalid(
                    "issuer",
                    "an OIDC policy needs its provider's issuer",
                ));
            }
            if row.client_id.is_none() {
                return Err(ServiceError::invalid(
                    "client_id",
                    "an OIDC policy needs a client id",
                ));
            }
            if row.client_secret_enc.is_none() {
                return Err(ServiceError::invalid(
                    "client_secret",
                    "an OIDC policy needs a client secret",
                ));
            }
            if options.idp_metadata_xml.is_some() {
                return Err(ServiceError::invalid(
                    "idp_metadata_url",
                    "applies to SAML policies only",
                ));
            }
        }
        SsoProtocol::Saml => {
            if options.idp_metadata_xml.is_none() {
                return Err(ServiceError::invalid(
                    "idp_metadata_url",
                    "a SAML policy needs the IdP's metadata: its URL or its XML",
                ));
            }
            if row.issuer.is_some() || row.client_id.is_some() || row.client_secret_enc.is_some() {
                return Err(ServiceError::invalid(
                    "issuer",
                    "issuer and client fields apply to OIDC policies only",
                ));
            }
        }
    }
    Ok(())
}

/// Just-in-time membership: its team must be one of the policy's, and people may join only
/// from allowed domains, so the policy must name some.
pub(crate) fn check_jit(jit: &Jit, teams: &[TeamId], domains: &[String]) -> ServiceResult<Jit> {
    if !jit.enabled {
        return Ok(Jit {
            enabled: false,
            team_id: jit.team_id.clone(),
        });
    }
    if domains.is_empty() {
        return Err(ServiceError::invalid(
            "jit",
            "just-in-time membership needs allowed_domains: people join only from those domains",
        ));
    }
    let team = match &jit.team_id {
        Some(t) if teams.contains(t) => t.clone(),
        Some(_) => {
            return Err(ServiceError::invalid(
                "jit",
                "jit.team_id must be one of the policy's team_ids",
            ));
        }
        None => teams
            .first()
            .cloned()
            .ok_or_else(|| ServiceError::invalid("team_ids", "must name at least one team"))?,
    };
    Ok(Jit {
        enabled: true,
        team_id: Some(team),
    })
}

pub(crate) fn optional(field: &'static str, v: Option<&str>) -> ServiceResult<Option<String>> {
    v.map(|v| required(field, v)).transpose()
}

pub(crate) fn oidc_fields(
    outbound: &Outbound,
    issuer: Option<&str>,
) -> ServiceResult<Option<String>> {
    issuer.map(|i| check_url(outbound, "issuer", i)).transpose()
}

pub(crate) fn domains(d: &[String]) -> ServiceResult<Vec<String>> {
    check_domains(d)
}

/// R34: a policy's allowed domains must be verified by its organization, read under its lock.
pub(crate) async fn only_verified(
    c: &mut switchboard_store::Conn,
    org: &switchboard_domain::ids::OrgId,
    domains: &[String],
) -> ServiceResult<()> {
    let verified = switchboard_store::domains::verified_of(c, org).await?;
    match domains.iter().find(|d| !verified.contains(d)) {
        None => Ok(()),
        Some(d) => Err(ServiceError::invalid(
            "allowed_domains",
            format!(
                "{d} is not a verified domain of this organization: claim it and publish its DNS record on the Domains page first"
            ),
        )),
    }
}

/// An SSO policy as its audit entries show it (never the secret, nor the metadata's bulk).
pub(crate) fn sso_settings(v: &SsoPolicyView) -> SsoSettings {
    SsoSettings {
        name: v.name.clone(),
        settings: json!({
            "protocol": v.protocol, "issuer": v.issuer, "client_id": v.client_id,
            "idp_metadata_url": v.idp_metadata_url, "idp_entity_id": v.idp_entity_id,
            "allow_idp_initiated": v.allow_idp_initiated, "email_attribute": v.email_attribute,
            "allowed_domains": v.allowed_domains, "jit": v.jit,
            "break_glass_emails": v.break_glass_emails,
        }),
        team_ids: v.team_ids.to_vec(),
    }
}
