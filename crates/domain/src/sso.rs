//! Single sign-on rules (R24, R24a): which protocol a policy speaks, its options, and the one
//! decision that says whether a person may sign in by emailed code.

use crate::ids::{OrgId, PolicyId, TeamId};
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

/// One email-login team a person is a member of, and the SSO policy over it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTeam {
    pub org: OrgId,
    pub team: TeamId,
    pub sso: Option<PolicyId>,
}

/// How a person may sign in by emailed code (R24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailSignIn {
    /// No SSO policy stands in the way: some email team of theirs is not under SSO, or they
    /// have no email team at all.
    Allowed,
    /// All their email teams are under SSO, but they are an Org Admin or a break-glass email:
    /// allowed, and audited as break-glass in these organizations.
    BreakGlass(Vec<OrgId>),
    /// All their email teams are under SSO: they sign in through the provider only.
    SsoOnly,
}

/// R24: whether a person whose email-team memberships are `teams` may sign in by code.
/// `admin_of` lists the organizations they are an Org Admin of; `break_glass` says whether a
/// policy over one of their teams names their email as break-glass.
pub fn email_sign_in(teams: &[EmailTeam], admin_of: &[OrgId], break_glass: bool) -> EmailSignIn {
    if teams.is_empty() || teams.iter().any(|t| t.sso.is_none()) {
        return EmailSignIn::Allowed;
    }
    if break_glass || !admin_of.is_empty() {
        let mut orgs: Vec<OrgId> = teams.iter().map(|t| t.org.clone()).collect();
        orgs.sort();
        orgs.dedup();
        return EmailSignIn::BreakGlass(orgs);
    }
    EmailSignIn::SsoOnly
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

    fn team(org: &OrgId, sso: bool) -> EmailTeam {
        EmailTeam {
            org: org.clone(),
            team: TeamId::generate(),
            sso: sso.then(PolicyId::generate),
        }
    }

    #[test]
    fn r24_all_email_teams_under_sso_means_sso_only() {
        let org = OrgId::generate();
        assert_eq!(
            email_sign_in(&[team(&org, true), team(&org, true)], &[], false),
            EmailSignIn::SsoOnly
        );
    }

    #[test]
    fn r24_one_team_without_sso_keeps_email_codes() {
        let org = OrgId::generate();
        assert_eq!(
            email_sign_in(&[team(&org, true), team(&org, false)], &[], false),
            EmailSignIn::Allowed
        );
        assert_eq!(email_sign_in(&[], &[], false), EmailSignIn::Allowed);
    }

    #[test]
    fn r24_org_admins_and_break_glass_emails_keep_codes_as_break_glass() {
        let org = OrgId::generate();
        let teams = [team(&org, true)];
        assert_eq!(
            email_sign_in(&teams, std::slice::from_ref(&org), false),
            EmailSignIn::BreakGlass(vec![org.clone()])
        );
        assert_eq!(
            email_sign_in(&teams, &[], true),
            EmailSignIn::BreakGlass(vec![org])
        );
    }

    #[test]
    fn r24_domains_match_exactly() {
        let d = vec!["acme.com".to_owned()];
        assert!(domain_allowed("ana@ACME.com", &d));
        assert!(!domain_allowed("ana@eu.acme.com", &d));
        assert!(!domain_allowed("ana@acme.com.evil.io", &d));
        assert!(!domain_allowed("no-at-sign", &d));
    }
}
