//! Identity-provider protocols, and nothing else: an OpenID Connect relying party ([`oidc`]) and a
//! SAML 2.0 service provider ([`saml`]). They turn a provider's answer into a verified
//! [`Identity`] or a [`Failure`] naming the [`Check`] that refused it. Which provider applies to
//! whom, sessions, memberships and seats are the service layer's business; this crate keeps no
//! state but caches of what providers publish (discovery documents, keys).
//!
//! It sits beside `store`, under `service`, so the heavy protocol dependencies (openidconnect,
//! samael over libxmlsec1) are compiled and reasoned about in one place.

pub mod check;
pub mod oidc;
pub mod outbound;
pub mod saml;

pub use check::{Check, Failure};

/// Who a provider vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The email the provider asserts (not yet checked against a policy's domains).
    pub email: String,
    /// OIDC: the `email_verified` claim; SAML: an asserted email is taken as verified by the IdP.
    pub email_verified: bool,
    /// Who issued it: the OIDC `iss`, or the SAML assertion's Issuer (the IdP's entity id).
    pub issuer: String,
    /// The provider's stable subject (`sub`, or the SAML NameID); with `issuer`, the identity a
    /// person is linked to on first use (R33).
    pub subject: String,
}

/// Makes ring the process's TLS crypto provider (the mailer's TLS uses ring too). Every HTTP
/// client of the process needs one chosen before it is built; calling this again is harmless.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
