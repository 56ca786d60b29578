//! SCIM 2.0 provisioning (RFC 7643/7644) as use cases: users and groups (teams) of the token's
//! organization, changed through the same rules as the portal — seats checked under the write
//! lock (R14, R17), the last Org Admin kept (R10), every change audited as the token.
//!
//! The wire format (filters, PATCH, attribute selection, documents) is the web layer's; here a
//! user is what the identity provider said about them (`attrs`, answered back exactly) plus what
//! it means: `userName`, the account's email (the primary email, else the first; it names the
//! account when it is created and never re-keys it), `active` (app access everywhere, or none).
//! A user with no group belongs to the organization's initial team. Groups are email-login
//! teams; their members are memberships with the role member.

mod group_members;
mod groups;
mod users;

pub use groups::{GroupQuery, ScimGroup};
pub use switchboard_store::scim::UserQuery;
pub use users::ScimUser;

use crate::{ServiceError, ServiceResult};
use serde_json::Value;
use switchboard_domain::email::Email;

/// A page of a SCIM list: the matching total and the page (1-based `start`).
#[derive(Debug, Clone)]
pub struct ScimPage<T> {
    pub total: i64,
    pub start: i64,
    pub items: Vec<T>,
}

/// The values a user's attributes must give, read from them.
pub(crate) struct UserFacts {
    pub user_name: String,
    pub email: Email,
    /// Whether they hold app access (a seat): `active`, and our extension's `appAccess` unless
    /// it is false.
    pub app_access: bool,
    pub external_id: Option<String>,
}

/// Our User extension: `appAccess`, whether the person should run the app (default: yes).
pub const USER_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:switchboard:2.0:User";

/// A SCIM boolean: JSON `true`/`false`, or the strings Microsoft Entra ID sends (`"True"`).
pub fn scim_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Case-insensitive attribute lookup (SCIM attribute names ignore case).
pub fn get_ci<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

impl UserFacts {
    pub(crate) fn of(attrs: &Value) -> ServiceResult<UserFacts> {
        let user_name = get_ci(attrs, "userName")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 254)
            .ok_or_else(|| ServiceError::invalid("userName", "is required: 1–254 characters"))?
            .to_owned();
        let emails: Vec<&Value> = get_ci(attrs, "emails")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let chosen = emails
            .iter()
            .find(|e| get_ci(e, "primary").and_then(scim_bool) == Some(true))
            .or_else(|| emails.first())
            .and_then(|e| get_ci(e, "value"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            // An IdP that sends no emails names the user by email in userName (Okta, Entra).
            .unwrap_or_else(|| user_name.clone());
        let email = Email::parse(&chosen).map_err(|_| {
            ServiceError::invalid(
                "emails",
                "needs an email: a work email in emails, or userName as an email",
            )
        })?;
        let active = match get_ci(attrs, "active") {
            None => true,
            Some(v) => scim_bool(v)
                .ok_or_else(|| ServiceError::invalid("active", "must be true or false"))?,
        };
        let wanted = match get_ci(attrs, USER_EXTENSION).and_then(|e| get_ci(e, "appAccess")) {
            None => true,
            Some(v) => scim_bool(v)
                .ok_or_else(|| ServiceError::invalid("appAccess", "must be true or false"))?,
        };
        let external_id = get_ci(attrs, "externalId")
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ServiceError::invalid("externalId", "must be a string"))
            })
            .transpose()?;
        Ok(UserFacts {
            user_name,
            email,
            app_access: active && wanted,
            external_id,
        })
    }
}

/// A stale `If-Match` (RFC 7644 §3.14).
pub(crate) fn check_version(if_match: Option<i64>, current: i64) -> ServiceResult<()> {
    match if_match {
        Some(v) if v != current => Err(ServiceError::conflict(
            crate::ProblemCode::PreconditionFailed,
            format!("The resource is at version {current}, not {v}: read it again."),
        )),
        _ => Ok(()),
    }
}
