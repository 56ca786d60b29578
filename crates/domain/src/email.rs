//! R4: a user is one identity per normalized email. [`Email::parse`] is the normalization: trimmed,
//! lower-cased, an internationalized domain in its Unicode form whether it came as Unicode or as
//! ASCII `xn--` labels (`a@xn--mnchen-3ya.de` is `a@münchen.de`), and checked for a plausible
//! shape (one `@`, a dotted domain, no spaces).

use crate::{DomainError, text};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let mut s = text::nfkc(raw.trim()).to_lowercase();
        let err = |reason: &str| Err(DomainError::new("email", reason));
        if s.is_empty() {
            return err("is empty");
        }
        if s.len() > 254 {
            return err("is longer than 254 characters");
        }
        if let Some(c) = text::forbidden_char(&s) {
            return Err(DomainError::new(
                "email",
                format!(
                    "contains an invisible or control character ({})",
                    text::describe(c)
                ),
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("has no @");
        };
        if local.is_empty() || local.len() > 64 {
            return err("has an empty or over-long part before the @");
        }
        if domain.contains('@') {
            return err("has more than one @");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || "<>()[]\\,;:\"".contains(c))
        {
            return err("contains spaces or characters not allowed in an address");
        }
        // An IDNA domain in its ASCII form (`xn--…`) is the same identity as its Unicode form:
        // both become the Unicode one, with the same checks.
        let punycode = domain.split('.').any(|l| l.starts_with("xn--"));
        if !s.is_ascii() || punycode {
            // An internationalized address: a valid IDNA domain, and no label nor the local part
            // mixing scripts (the look-alike trick: a Cyrillic "а" in a Latin name).
            let (local, domain) = (local.to_owned(), domain.to_owned());
            let Ok(ascii) = idna::domain_to_ascii_strict(&domain) else {
                return err("has a domain that is not a valid internationalized domain name");
            };
            let (unicode, checked) = idna::domain_to_unicode(&ascii);
            if checked.is_err() || !unicode.split('.').all(text::single_script) {
                return err("has a domain that mixes scripts (like Latin and Cyrillic letters)");
            }
            if !text::single_script(&local) {
                return err("mixes scripts before the @ (like Latin and Cyrillic letters)");
            }
            s = format!("{local}@{unicode}");
        }
        let (local, domain) = s.split_once('@').expect("checked above");
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
        {
            return err("has no valid domain after the @ (like example.com)");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return err("has misplaced dots before the @");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Wraps a value read back from the database, which only ever stores parsed emails.
    pub fn from_db(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r4_an_idn_domain_is_one_identity_in_either_form() {
        let unicode = Email::parse("a@münchen.de").unwrap();
        let ascii = Email::parse("A@XN--MNCHEN-3YA.DE").unwrap();
        assert_eq!(unicode, ascii);
        assert_eq!(ascii.as_str(), "a@münchen.de");
        assert!(
            Email::parse("a@xn--zz.de").is_err(),
            "not a valid IDNA label"
        );
    }

    #[test]
    fn r4_email_is_normalized() {
        assert_eq!(
            Email::parse("  Ann.Lee@Example.COM ").unwrap().as_str(),
            "ann.lee@example.com"
        );
    }

    #[test]
    fn r4_malformed_emails_are_rejected_with_a_reason() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@@example.com",
            "ann@exa mple.com",
            "ann@-x.com",
            "ann..lee@example.com",
        ] {
            let e = Email::parse(bad).unwrap_err();
            assert_eq!(e.field, "email");
            assert!(!e.reason.is_empty(), "{bad}");
        }
    }

    #[test]
    fn r4_invisible_and_look_alike_addresses_are_refused() {
        for bad in [
            "ann\u{200B}@example.com",
            "ann@exam\u{200D}ple.com",
            "ann@example.com\u{202E}",
            "ann@pаypal.com",
            "аnn@example.com",
            "ann@exa_mple.рф",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        // One script, a valid IDNA domain: accepted, in its normal form.
        assert_eq!(
            Email::parse("José@Bücher.DE").unwrap().as_str(),
            "josé@bücher.de"
        );
        assert_eq!(
            Email::parse("иван@пример.рф").unwrap().domain(),
            "пример.рф"
        );
        // Full-width letters fold into ASCII: the same identity.
        assert_eq!(
            Email::parse("ａｎｎ@example.com").unwrap().as_str(),
            "ann@example.com"
        );
    }

    proptest! {
        #[test]
        fn parse_is_idempotent(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,5}") {
            if let Ok(e) = Email::parse(&format!("{local}@{domain}")) {
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
