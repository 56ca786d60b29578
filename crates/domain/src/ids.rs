//! Typed identifiers. Each is an opaque string made of a type prefix and a ULID (`team_01J…`), so
//! ids sort by creation time (stable cursors) and an id of one kind can never be passed as another.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `prefix_` and a new ULID in lower case, built in one allocation (every request makes one).
fn with_ulid(prefix: &str) -> String {
    let mut buf = [0u8; ulid::ULID_LEN];
    let ulid = ulid::Ulid::new().array_to_str(&mut buf);
    ulid.make_ascii_lowercase();
    let mut id = String::with_capacity(prefix.len() + 1 + ulid::ULID_LEN);
    id.push_str(prefix);
    id.push('_');
    id.push_str(ulid);
    id
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, example = json!(concat!($prefix, "_01JD0000000000000000000000")))]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id, ordered after every id made earlier in a previous millisecond.
            pub fn generate() -> Self {
                Self(with_ulid($prefix))
            }

            /// Accepts only a well-formed id of this kind; anything else is "not found" to callers.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?.strip_prefix('_')?;
                (rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .then(|| Self(s.to_owned()))
            }

            /// Wraps a value read back from the database, which only ever stores valid ids.
            pub fn from_db(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = crate::DomainError;
            /// A stored id that is not one of this kind is an error, never a silent default.
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s).ok_or_else(|| {
                    crate::DomainError::new("id", format!("{s:?} is not a {} id", $prefix))
                })
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// An organization: one customer of the vendor.
    OrgId, "org");
typed_id!(
    /// A team of an organization.
    TeamId, "team");
typed_id!(
    /// A user: one identity per normalized email, across organizations.
    UserId, "usr");
typed_id!(
    /// A subscription: a plan and a seat pool.
    SubscriptionId, "sub");
typed_id!(
    /// A setting policy or SSO policy.
    PolicyId, "pol");
typed_id!(
    /// One audit log entry.
    AuditId, "aud");
typed_id!(
    /// An invoice.
    InvoiceId, "inv");
typed_id!(
    /// An enrolled device (a workstation seat of a device-login team).
    DeviceId, "dev");
typed_id!(
    /// An enrollment key of a device-login team.
    EnrollmentKeyId, "ekey");
typed_id!(
    /// One HTTP request, as recorded in logs and the audit log.
    RequestId, "req");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds() {
        let team = TeamId::generate();
        assert!(team.as_str().starts_with("team_"));
        assert_eq!(team.as_str().len(), "team_".len() + 26);
        assert_eq!(team.as_str(), team.as_str().to_ascii_lowercase());
        assert_eq!(TeamId::parse(team.as_str()), Some(team.clone()));
        assert_eq!(OrgId::parse(team.as_str()), None);
        assert_eq!(TeamId::parse("team_"), None);
        assert_eq!(TeamId::parse("team_../../etc/passwd000000000"), None);
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = UserId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = UserId::generate();
        assert!(a < b);
    }
}
typed_id!(
    /// An organization's API token (its secret is shown once and stored as a hash).
    ApiTokenId, "tok");
