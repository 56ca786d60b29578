//! Single sign-on (R24, R24a): sign-ins through an organization's identity provider, OIDC or
//! SAML 2.0, for the portal, for the apps (RFC 8252 loopback + PKCE) and for an Org Admin's Test
//! connection.
//!
//! A sign-in starts ([`start`]) by finding the SSO policy for the email's domain, remembering the
//! flow in the database under the hash of its `state` (so any instance can finish it, once) and
//! sending the browser to the provider. It comes back at the OIDC callback ([`oidc`]) or the SAML
//! ACS ([`saml`]); the protocol checks are the `switchboard-sso` crate's. What follows is the same
//! for both ([`finish`]): a verified email in an allowed domain, a member of the policy's teams —
//! or one who joins just in time ([`jit`]) — and then a session limited to that organization,
//! or the app's one-time code ([`app`]), the person linked to the provider's account on first use
//! ([`link`]). [`enforce`] says how far an emailed code reaches into each organization.

mod app;
mod confirm;
pub(crate) mod enforce;
mod finish;
mod jit;
mod link;
mod links;
mod oidc;
mod policy;
mod saml;
mod start;

pub use app::{AppSsoStart, AppSsoToken};
pub use finish::{CheckOutcome, CheckResult, SsoOutcome};
pub use links::SsoLinkView;
pub use oidc::OidcCallback;
pub(crate) use policy::{domains_of, options_of};
pub use saml::SamlPost;
pub use start::{SsoRedirect, safe_next};
pub use switchboard_sso::{Check, Failure};

use crate::auth::sha256_hex;

/// How long a sign-in may stay at the provider.
pub(crate) const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// How long an app's one-time code lives before it must be exchanged.
pub(crate) const APP_CODE_TTL_MS: i64 = 60 * 1000;

/// The stored form of a flow's `state` (or RelayState) and of an app's one-time code.
pub(crate) fn secret_hash(kind: &str, secret: &str) -> String {
    sha256_hex(&[kind, secret])
}

/// A random, URL-safe secret of 32 bytes.
pub(crate) fn random_secret() -> String {
    use rand::Rng;
    hex::encode(rand::rng().random::<[u8; 32]>())
}
