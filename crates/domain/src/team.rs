//! R3: display names (a team's is unique per organization, case-insensitively, trimmed, 1–100
//! characters; organizations, policies, subscriptions and devices are named the same way), login
//! types (fixed at creation) and descriptions (up to 500 characters).

use crate::{DomainError, text};
use serde::Serialize;

/// A display name (of a team, an organization, a policy, a subscription, a device): NFKC
/// normalized, trimmed, 1–100 characters, with no invisible or reordering characters (see
/// [`crate::text`]). [`Name::key`] is what uniqueness is decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let normalized = text::nfkc(raw);
        let s = normalized.trim();
        if s.is_empty() {
            return Err(DomainError::new(field, "must not be blank"));
        }
        if s.chars().count() > 100 {
            return Err(DomainError::new(field, "must be at most 100 characters"));
        }
        if let Some(c) = text::forbidden_char(s) {
            return Err(DomainError::new(
                field,
                format!(
                    "must not contain invisible, control or direction-changing characters ({} found)",
                    text::describe(c)
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key that must be unique within an organization.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A team description of at most 500 characters (normalized and trimmed; empty means none). Line
/// breaks are allowed; other invisible characters are not.
pub fn parse_description(raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(normalized) = raw.map(text::nfkc) else {
        return Ok(None);
    };
    let s = normalized.trim();
    if s.chars().count() > 500 {
        return Err(DomainError::new(
            "description",
            "must be at most 500 characters",
        ));
    }
    if let Some(c) = text::forbidden_char(&s.replace(['\n', '\r', '\t'], " ")) {
        return Err(DomainError::new(
            "description",
            format!(
                "must not contain invisible, control or direction-changing characters ({} found)",
                text::describe(c)
            ),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

crate::text_enum!(
    /// How a team's agents sign in to the app: each person by email, or each workstation as a
    /// device. Fixed at the team's creation (R3).
    LoginType, "login_type", { Email = "email", Device = "device" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r3_team_names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("name", "  Sales EU ").unwrap().as_str(),
            "Sales EU"
        );
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"x".repeat(101)).is_err());
        assert!(Name::parse("name", &"é".repeat(100)).is_ok());
    }

    #[test]
    fn r3_invisible_and_look_alike_names_are_refused_or_folded() {
        assert!(
            Name::parse("name", "\u{200B}").is_err(),
            "only a zero-width space"
        );
        assert!(
            Name::parse("name", "A\u{200B}").is_err(),
            "A plus a zero-width space"
        );
        assert!(
            Name::parse("name", "Sales\u{202E}UE").is_err(),
            "a bidi override"
        );
        assert!(
            Name::parse("name", "Sales\u{2066}EU").is_err(),
            "a bidi isolate"
        );
        assert_eq!(
            Name::parse("name", "Ｓａｌｅｓ").unwrap().key(),
            "sales",
            "full-width folds"
        );
        assert!(parse_description(Some("line one\nline two")).is_ok());
        assert!(parse_description(Some("x\u{200D}y")).is_err());
    }

    #[test]
    fn r3_team_name_key_ignores_case() {
        let a = Name::parse("name", "Sales EU").unwrap();
        let b = Name::parse("name", "SALES eu").unwrap();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn r3_description_is_bounded() {
        assert_eq!(parse_description(Some("  ")).unwrap(), None);
        assert!(parse_description(Some(&"d".repeat(501))).is_err());
        assert_eq!(
            parse_description(Some(" hi ")).unwrap().as_deref(),
            Some("hi")
        );
    }

    #[test]
    fn r3_login_type_is_email_or_device() {
        assert_eq!(LoginType::parse("email").unwrap(), LoginType::Email);
        assert!(LoginType::parse("sms").is_err());
    }
}
