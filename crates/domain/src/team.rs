//! R3: team names (unique per organization, case-insensitively, trimmed, 1–100 characters), login
//! types (fixed at creation) and descriptions (up to 500 characters). Also used for organization
//! names, which follow the same shape.

use crate::DomainError;
use serde::Serialize;

/// A trimmed name of 1–100 characters; [`TeamName::key`] is what uniqueness is decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::new(field, "must not be blank"));
        }
        if s.chars().count() > 100 {
            return Err(DomainError::new(field, "must be at most 100 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::new(
                field,
                "must not contain control characters",
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

/// A team description of at most 500 characters (trimmed; empty means none).
pub fn parse_description(raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(s) = raw.map(str::trim) else {
        return Ok(None);
    };
    if s.chars().count() > 500 {
        return Err(DomainError::new(
            "description",
            "must be at most 500 characters",
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
            TeamName::parse("name", "  Sales EU ").unwrap().as_str(),
            "Sales EU"
        );
        assert!(TeamName::parse("name", "   ").is_err());
        assert!(TeamName::parse("name", &"x".repeat(101)).is_err());
        assert!(TeamName::parse("name", &"é".repeat(100)).is_ok());
    }

    #[test]
    fn r3_team_name_key_ignores_case() {
        let a = TeamName::parse("name", "Sales EU").unwrap();
        let b = TeamName::parse("name", "SALES eu").unwrap();
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
