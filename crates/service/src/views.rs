//! The shapes use cases return, which the JSON API serializes as they are. Names follow the API
//! conventions in docs/api.md: plain field names, ids with type prefixes, RFC 3339 times.

use serde::Serialize;
use switchboard_domain::role::{OrgRole, TeamRole, UserStatus};
use switchboard_domain::team::LoginType;
use utoipa::ToSchema;

/// Epoch milliseconds as an RFC 3339 UTC time.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    /// Null until the organization is established (R2).
    pub name: Option<String>,
    pub established: bool,
    pub initial_team_id: String,
    /// The IANA time zone analytics count calendar days in (R26).
    pub time_zone: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub login_type: LoginType,
    pub description: Option<String>,
    pub is_initial_team: bool,
    pub subscription_id: Option<String>,
    /// The plan of the team's subscription; null when the team has none.
    pub plan: Option<String>,
    pub reserved_seats: Option<i64>,
    pub seats_used: i64,
    pub member_count: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    pub team_id: String,
    pub team_name: String,
    pub team_role: TeamRole,
    pub app_access: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub status: UserStatus,
    /// When the user was last invited to the organization (null: never, or added without one).
    pub invited_at: Option<String>,
    /// The last calendar day (organization's time zone, `YYYY-MM-DD`) the user used the app;
    /// null: never (R26).
    pub last_active: Option<String>,
    pub org_role: Option<OrgRole>,
    pub memberships: Vec<MembershipView>,
}

/// An Org Admin or Org Analyst. Named as in the user list: `id` and `org_role`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgRoleView {
    /// The user's id.
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub org_role: OrgRole,
    /// Deprecated: the same as `id`.
    #[schema(deprecated)]
    pub user_id: String,
    /// Deprecated: the same as `org_role`.
    #[schema(deprecated)]
    pub role: OrgRole,
}

impl OrgRoleView {
    pub fn new(id: String, email: String, name: Option<String>, org_role: OrgRole) -> Self {
        Self {
            user_id: id.clone(),
            id,
            email,
            name,
            org_role,
            role: org_role,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// The bearer token (also set as the `sb_session` cookie).
    pub token: String,
    pub expires_at: String,
    /// Send it as `X-CSRF-Token` with every state-changing request authenticated by the cookie.
    pub csrf_token: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub status: UserStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeOrg {
    pub id: String,
    pub name: Option<String>,
    pub established: bool,
    /// The IANA time zone the organization's days and times are shown in.
    pub time_zone: String,
    pub org_role: Option<OrgRole>,
    pub memberships: Vec<MembershipView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub user: MeUser,
    pub orgs: Vec<MeOrg>,
    /// The session's CSRF token, for requests authenticated by the cookie.
    pub csrf_token: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    pub seq: i64,
    pub at: String,
    /// A user id, `operator`, `system` or `enrollment_key:…`.
    pub actor: String,
    /// The acting user's email at the time, when the actor is a user.
    pub actor_name: Option<String>,
    pub action: String,
    /// The id of the changed object.
    pub target: String,
    /// What the changed object was called at the time (a team's name, a user's email, …).
    pub target_name: Option<String>,
    /// The entry as a sentence a person reads ("Assigned Org Analyst to vera@acme.com").
    pub summary: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

pub(crate) fn status_of(first_signed_in_at: Option<i64>) -> UserStatus {
    if first_signed_in_at.is_some() {
        UserStatus::SignedIn
    } else {
        UserStatus::NotSignedIn
    }
}

pub(crate) fn membership_view(m: &switchboard_store::people::MembershipRow) -> MembershipView {
    MembershipView {
        team_id: m.team_id.clone().into(),
        team_name: m.team_name.clone(),
        team_role: m.team_role,
        app_access: m.app_access != 0,
    }
}

/// An RFC 3339 time in the future, as epoch milliseconds.
pub(crate) fn future_time(field: &'static str, s: &str) -> crate::ServiceResult<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            crate::ServiceError::invalid(
                field,
                "must be an RFC 3339 time like 2027-01-31T00:00:00Z",
            )
        })?;
    let ms = (t.unix_timestamp_nanos() / 1_000_000) as i64;
    if ms <= switchboard_store::now_ms() {
        return Err(crate::ServiceError::invalid(field, "is in the past"));
    }
    Ok(ms)
}
