//! The checks a sign-in through a provider passes, in the order they run, and a failure naming
//! the one that refused it. The portal's "Test connection" shows them one by one; the sign-in
//! page shows the failed check's message; the log gets the detail (never a token).

use std::fmt;

/// One check of an SSO sign-in, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// The provider answered: discovery document and keys (OIDC), metadata (SAML).
    Provider,
    /// The authorization code was exchanged for tokens (OIDC).
    TokenExchange,
    /// The token or assertion is signed by the provider's key.
    Signature,
    /// It was issued by the configured provider.
    Issuer,
    /// It was issued for us (our client id / SP entity id).
    Audience,
    /// It was sent to our ACS URL (SAML Destination and Recipient).
    Recipient,
    /// It is within its validity period (with a small clock skew).
    Validity,
    /// It answers the request we sent (OIDC nonce, SAML InResponseTo).
    Request,
    /// It was not used before (SAML assertion id).
    Replay,
    /// It names an email the provider verified.
    Email,
    /// The email's domain is one of the policy's allowed domains.
    Domain,
    /// The person may sign in here: a member of the policy's teams, or joined just in time.
    Account,
    /// The provider's account is the one linked to this person (R33): the same issuer and
    /// subject as at their first sign-in through this policy.
    Subject,
    /// Joining just in time found a free seat on the policy's team (R14, R24a).
    Seat,
}

impl Check {
    /// The checks of an OIDC sign-in, in order.
    pub const OIDC: &[Check] = &[
        Check::Provider,
        Check::TokenExchange,
        Check::Signature,
        Check::Issuer,
        Check::Audience,
        Check::Validity,
        Check::Request,
        Check::Email,
        Check::Domain,
        Check::Account,
        Check::Subject,
        Check::Seat,
    ];

    /// The checks of a SAML sign-in, in order.
    pub const SAML: &[Check] = &[
        Check::Provider,
        Check::Signature,
        Check::Issuer,
        Check::Audience,
        Check::Recipient,
        Check::Validity,
        Check::Request,
        Check::Replay,
        Check::Email,
        Check::Domain,
        Check::Account,
        Check::Subject,
        Check::Seat,
    ];

    /// What the check establishes, as the Test connection page lists it.
    pub fn label(self) -> &'static str {
        match self {
            Check::Provider => "The identity provider answers and publishes its keys",
            Check::TokenExchange => "The authorization code is exchanged for tokens",
            Check::Signature => "Signed by the identity provider's key",
            Check::Issuer => "Issued by the configured identity provider",
            Check::Audience => "Issued for Switchboard (audience)",
            Check::Recipient => "Sent to Switchboard's ACS URL",
            Check::Validity => "Within its validity period",
            Check::Request => "Answers the sign-in request Switchboard sent",
            Check::Replay => "Not used before",
            Check::Email => "Names a verified email",
            Check::Domain => "The email's domain is allowed by the policy",
            Check::Account => "The person is a member of the policy's teams (or may join)",
            Check::Subject => "The provider's account is the one linked to this person",
            Check::Seat => "A seat is free for a person who joins just in time",
        }
    }

    /// What a person signing in is told when this check fails.
    pub fn message(self) -> &'static str {
        match self {
            Check::Provider | Check::TokenExchange => {
                "Your organization's identity provider could not be reached. Try again in a few minutes; if it persists, tell your admin."
            }
            Check::Email => {
                "Your identity provider did not confirm a verified email address for you. Ask your admin."
            }
            Check::Domain => {
                "Your email's domain is not allowed by your organization's single sign-on. Ask your admin."
            }
            Check::Account => {
                "Single sign-on worked, but you are not a member of a team that signs in with it. Ask your admin to add you."
            }
            Check::Subject => {
                "Your identity provider signed in a different account with this email than before, so you are not signed in. Ask your admin to check your account and reset its link."
            }
            Check::Seat => {
                "Single sign-on worked, but your team has no free seat, so you could not be added. Ask your admin to free or add a seat."
            }
            _ => {
                "The sign-in answer from your identity provider was not valid, so you are not signed in. Try again; if it persists, tell your admin."
            }
        }
    }
}

/// Why a provider's answer was refused: the check, and a detail for the log and for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub check: Check,
    pub detail: String,
}

impl Failure {
    /// A failure and what happened, made safe to show and to log whatever a provider put in it
    /// ([`log_safe`]): a provider's `error_description` can't forge a log line or flood a page.
    pub fn new(check: Check, detail: impl Into<String>) -> Self {
        Failure {
            check,
            detail: log_safe(&detail.into(), MAX_DETAIL),
        }
    }
}

/// The longest detail a failure keeps, in characters.
const MAX_DETAIL: usize = 300;

/// `s` with every control, format and bidirectional character written as `\u{…}` (so nothing
/// starts a new log line or reorders a page's text), cut to `max` characters with "…".
pub fn log_safe(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        let unsafe_char = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}');
        if unsafe_char {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.check, self.detail)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_text_cant_forge_a_log_line_or_flood_a_page() {
        let f = Failure::new(
            Check::TokenExchange,
            "the provider answered access_denied: x\nINFO forged line\u{202e}",
        );
        assert!(!f.detail.contains('\n'), "{}", f.detail);
        assert!(
            f.detail.contains("\\u{a}INFO forged line\\u{202e}"),
            "{}",
            f.detail
        );
        let long = Failure::new(Check::Email, "y".repeat(5000));
        assert_eq!(long.detail.chars().count(), MAX_DETAIL + 1);
        assert!(long.detail.ends_with('…'));
        assert_eq!(log_safe("plain ünïcode", 50), "plain ünïcode");
    }
}
