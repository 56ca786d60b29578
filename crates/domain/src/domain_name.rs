//! R34: an email domain an organization claims, in its one canonical form — ASCII (IDNA
//! A-labels), lower case, no trailing dot — so `münchen.de` and `xn--mnchen-3ya.de` are one
//! domain; its verification status; and the DNS record that proves it.

use crate::DomainError;
use std::fmt;

/// A domain name as Switchboard keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Accepts `acme.com`, `@acme.com`, `Acme.COM.`, `münchen.de`; refuses what can't be an
    /// email domain (one label, an empty label, bad characters, an invalid IDN).
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim().trim_start_matches('@').trim_end_matches('.');
        let bad = |why: &str| DomainError::new(field, format!("{raw:?} {why}"));
        if trimmed.is_empty() {
            return Err(bad("is not a domain"));
        }
        let ascii = idna::domain_to_ascii_strict(trimmed)
            .map_err(|_| bad("is not a valid domain name"))?
            .to_ascii_lowercase();
        let labels: Vec<&str> = ascii.split('.').collect();
        if ascii.len() > 253
            || labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        {
            return Err(bad("is not a domain like acme.com"));
        }
        Ok(Self(ascii))
    }

    /// The ASCII form, as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form a person reads (`münchen.de`).
    pub fn unicode(&self) -> String {
        idna::domain_to_unicode(&self.0).0
    }

    /// The DNS name whose TXT record proves the claim.
    pub fn challenge_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.0)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The label the TXT record sits under: `_switchboard-challenge.acme.com`.
pub const CHALLENGE_LABEL: &str = "_switchboard-challenge";

/// The TXT record's value for a claim's token.
pub fn challenge_value(token: &str) -> String {
    format!("switchboard-verify={token}")
}

/// An email's domain in the canonical form: what domains are compared as.
pub fn of_email(email: &str) -> Option<DomainName> {
    let (_, domain) = email.rsplit_once('@')?;
    DomainName::parse("email", domain).ok()
}

crate::text_enum!(
    /// Where a claim stands: waiting for its DNS record, proven, or lapsed (the record has been
    /// gone 7 days).
    DomainStatus, "status", { Pending = "pending", Verified = "verified", Lapsed = "lapsed" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r34_one_domain_however_it_is_written() {
        let a = DomainName::parse("domain", "xn--mnchen-3ya.de").unwrap();
        let b = DomainName::parse("domain", "München.DE.").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "xn--mnchen-3ya.de");
        assert_eq!(a.unicode(), "münchen.de");
        assert_eq!(
            DomainName::parse("domain", "@Acme.COM").unwrap().as_str(),
            "acme.com"
        );
        assert_eq!(
            a.challenge_name(),
            "_switchboard-challenge.xn--mnchen-3ya.de"
        );
        for bad in [
            "",
            "com",
            "acme..com",
            "-acme.com",
            "acme.com/x",
            "a b.com",
            "a_b.com",
        ] {
            assert!(DomainName::parse("domain", bad).is_err(), "{bad:?}");
        }
        assert_eq!(of_email("vic@München.de"), Some(b));
    }
}
