//! Single sign-on rules (R24, R24a): which protocol a policy speaks, its options, and which email
//! domains a policy admits (whether a code reaches an organization is R33, in `reach`).

use crate::ids::TeamId;
use serde::{Deserialize, Serialize};

crate::text_enum!(
    /// The identity provider's protocol: OpenID Connect (the default) or SAML 2.0.
    SsoProtocol, "protocol", { Oidc = "oidc", Saml = "saml" });

crate::text_enum!(
    /// What a sign-in through a provider is for: the portal, an app (RFC 8252 loopback), or an
    /// Org Admin's Test connection (which shows each check and signs nobody in).
    SsoPurpose, "purpose", { Portal = "portal", App = "app", Test = "test" });

/// Just-in-time membership (R24a): off by default; when on, a person the provider vouches for,
/// with an allowed domain and no membership yet, joins `team_id` with app access.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jit {
    #[serde(default)]
    pub enabled: bool,
    /// One of the policy's teams (the first one when not given).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub team_id: Option<TeamId>,
}

/// An SSO policy's options beyond its provider's address and client, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoOptions {
    pub protocol: SsoProtocol,
    #[serde(default)]
    pub jit: Jit,
    /// People who keep email-code sign-in besides the Org Admins (lowercase emails).
    #[serde(default)]
    pub break_glass_emails: Vec<String>,
    /// SAML: where the IdP's metadata was imported from, if from a URL.
    #[serde(default)]
    pub idp_metadata_url: Option<String>,
    /// SAML: the IdP's metadata as imported.
    #[serde(default)]
    pub idp_metadata_xml: Option<String>,
    /// SAML: accept responses the IdP sends without our request (off by default).
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// SAML: the attribute that holds the email; the NameID when not set.
    #[serde(default)]
    pub email_attribute: Option<String>,
}

// `text_enum!` writes the enum's derives, so its default is written out here.
#[allow(clippy::derivable_impls)]
impl Default for SsoProtocol {
    fn default() -> Self {
        SsoProtocol::Oidc
    }
}

/// Whether `email`'s domain is one of `domains`, compared in their one canonical form (ASCII
/// IDNA, lower case: `münchen.de` is `xn--mnchen-3ya.de`); a subdomain is another domain.
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    let Some(d) = crate::domain_name::of_email(email) else {
        return false;
    };
    domains
        .iter()
        .any(|a| crate::domain_name::DomainName::parse("domain", a).is_ok_and(|a| a == d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r24_domains_match_exactly() {
        let d = vec!["acme.com".to_owned()];
        assert!(domain_allowed("ana@ACME.com", &d));
        assert!(!domain_allowed("ana@eu.acme.com", &d));
        assert!(!domain_allowed("ana@acme.com.evil.io", &d));
        assert!(!domain_allowed("no-at-sign", &d));
    }
}
