//! R4: a user is one identity per normalized email. [`Email::parse`] is the normalization: trimmed,
//! lower-cased, and checked for a plausible shape (one `@`, a dotted domain, no spaces).

use crate::DomainError;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let err = |reason: &str| Err(DomainError::new("email", reason));
        if s.is_empty() {
            return err("is empty");
        }
        if s.len() > 254 {
            return err("is longer than 254 characters");
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
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return err("contains spaces or characters not allowed in an address");
        }
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

    proptest! {
        #[test]
        fn parse_is_idempotent(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,5}") {
            if let Ok(e) = Email::parse(&format!("{local}@{domain}")) {
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
