//! R3: display names (a team's is unique per organization — compared without case, with white
//! space collapsed, on the confusable skeleton of Unicode TS #39 — trimmed, 1–100 characters; organizations, policies, subscriptions and devices are named the same way), login
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
        // Runs of white space are one space: "B  Sales" is "B Sales".
        let collapsed = normalized.split_whitespace().collect::<Vec<_>>().join(" ");
        let s = collapsed.as_str();
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

    /// The key that must be unique within an organization: the name's confusable skeleton
    /// (Unicode TS #39: Greek "Β" and Cyrillic "В" read as Latin "B", "rn" as "m"), without
    /// case — so two names that look alike can't sit side by side.
    pub fn key(&self) -> String {
        let once: String = unicode_security::skeleton(&self.0).collect();
        unicode_security::skeleton(&once.to_lowercase()).collect()
    }
}

/// What [`Name::parse`] accepts, as the JSON Schema pattern the OpenAPI document gives every
/// name field (stated once: `web::openapi::Constraints` applies it): at least one visible
/// character, no control, invisible or direction-changing characters.
pub const NAME_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ue000-\uf8ff]*[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ue000-\uf8ff][^\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ue000-\uf8ff]*$";

/// What [`parse_description`] accepts: the same characters as a name, blank allowed.
pub const DESCRIPTION_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ue000-\uf8ff]*$";

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
    fn r3_look_alike_team_names_share_a_key() {
        let key = |s: &str| Name::parse("name", s).unwrap().key();
        let latin = key("B Sales");
        for same in [
            "Β Sales",
            "В Sales",
            "B  Sales",
            " b sales ",
            "B\u{00a0}Sales",
        ] {
            assert_eq!(key(same), latin, "{same:?}");
        }
        assert_eq!(key("Sales EU"), key("SALES eu"));
        assert_ne!(key("Sales EU"), key("Sales US"));
        assert_eq!(Name::parse("name", "B  Sales").unwrap().as_str(), "B Sales");
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
