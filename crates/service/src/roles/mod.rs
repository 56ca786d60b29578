//! Org roles (R9, R10): at most one per user per organization; assigning one by email makes the
//! user a member of the initial team if needed; the last Org Admin can never be removed or demoted.
//! Every change runs under the organization's write lock, so "last" holds under concurrency.

mod assign;
mod change;
mod list;

use crate::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::OrgRole;
use switchboard_store::{Conn, people};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRole {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    pub role: OrgRole,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: OrgRole,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignedRole {
    pub user_id: String,
    pub email: String,
    pub role: OrgRole,
    /// True when the user was not in the organization and was added to the initial team.
    pub added_to_initial_team: bool,
    /// Whether that new membership got app access (only when a seat was free).
    pub app_access: Option<bool>,
}

fn not_found_role() -> ServiceError {
    ServiceError::NotFound { what: "org role" }
}

/// The user's org role, or 404 if they have none in the organization.
async fn current_role(c: &mut Conn, org: &OrgId, user: &UserId) -> ServiceResult<OrgRole> {
    people::presence(c, org, user)
        .await?
        .org_role()
        .ok_or_else(not_found_role)
}

/// R10, the one place it is decided: refuses if `role` is Org Admin and its holder is the
/// organization's only one. Callers hold the organization's write lock, so "only" holds until
/// they commit.
pub(crate) async fn guard_last_admin(
    c: &mut Conn,
    org: &OrgId,
    role: Option<OrgRole>,
) -> ServiceResult<()> {
    if role == Some(OrgRole::OrgAdmin)
        && people::count_org_role(c, org, OrgRole::OrgAdmin).await? <= 1
    {
        return Err(ServiceError::last_org_admin());
    }
    Ok(())
}
