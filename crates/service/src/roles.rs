//! Org roles (R9, R10): at most one per user per organization; assigning one by email makes the
//! user a member of the initial team if needed; the last Org Admin can never be removed or demoted.
//! Every change runs under the organization's write lock, so "last" holds under concurrency.

use crate::seats;
use crate::views::{OrgRoleView, parse_org_role};
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::OrgRole;
use switchboard_domain::team::LoginType;
use switchboard_store::{Conn, now_ms, orgs, people};
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
async fn current_role(c: &mut Conn, org: &str, user: &str) -> ServiceResult<OrgRole> {
    parse_org_role(people::org_role(c, org, user).await?.flatten().as_deref())
        .ok_or_else(not_found_role)
}

/// R10, the one place it is decided: refuses if `role` is Org Admin and its holder is the
/// organization's only one. Callers hold the organization's write lock, so "only" holds until
/// they commit.
pub(crate) async fn guard_last_admin(
    c: &mut Conn,
    org: &str,
    role: Option<OrgRole>,
) -> ServiceResult<()> {
    if role == Some(OrgRole::OrgAdmin)
        && people::count_org_role(c, org, OrgRole::OrgAdmin.as_str()).await? <= 1
    {
        return Err(ServiceError::last_org_admin());
    }
    Ok(())
}

impl Services {
    pub async fn list_org_roles(&self, who: &OrgCaller) -> ServiceResult<Vec<OrgRoleView>> {
        who.may(Action::ViewOrgRoles)?;
        let mut c = self.store.read().await?;
        Ok(people::list_org_roles(&mut c, who.org.as_str())
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(OrgRoleView::new(
                    r.user_id,
                    r.email,
                    r.name,
                    parse_org_role(Some(&r.org_role))?,
                ))
            })
            .collect())
    }

    /// R9: gives a user (by email) an org role.
    pub async fn assign_org_role(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        req: AssignRole,
    ) -> ServiceResult<AssignedRole> {
        let email = Email::parse(&req.email)?;
        let role = req.role;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        let now = now_ms();
        let user =
            people::ensure_user(w.db(), UserId::generate().as_str(), email.as_str(), now).await?;
        let current = people::org_role(w.db(), who.org.as_str(), &user).await?;
        if let Some(Some(existing)) = &current {
            return Err(ServiceError::conflict(
                "org_role_exists",
                format!(
                    "{email} already has the org role {existing}; change it instead (one org role per user)."
                ),
            ));
        }
        let mut added = None;
        if current.is_none() {
            let org = orgs::get_org(w.db(), who.org.as_str())
                .await?
                .ok_or(ServiceError::NotFound {
                    what: "organization",
                })?;
            let initial = orgs::get_team(w.db(), who.org.as_str(), &org.initial_team_id)
                .await?
                .ok_or(ServiceError::NotFound { what: "team" })?;
            let access = initial.login_type == LoginType::Email.as_str()
                && seats::has_free_seat(w.db(), who.org.as_str(), &initial.id).await?;
            people::insert_org_members(w.db(), who.org.as_str(), std::slice::from_ref(&user), now)
                .await?;
            people::insert_memberships(
                w.db(),
                who.org.as_str(),
                &initial.id,
                std::slice::from_ref(&user),
                "member",
                access,
                now,
            )
            .await?;
            added = Some(access);
        }
        people::set_org_role(w.db(), who.org.as_str(), &user, Some(role.as_str())).await?;
        w.record(AuditEvent::OrgRoleAssigned {
            user: UserId::from_db(user.clone()),
            email: email.to_string(),
            role,
            added_to_initial_team: added.is_some(),
            app_access: added,
        })
        .await?;
        w.commit().await?;
        Ok(AssignedRole {
            user_id: user,
            email: email.to_string(),
            role,
            added_to_initial_team: added.is_some(),
            app_access: added,
        })
    }

    /// Changes a user's org role; demoting the last Org Admin is refused (R10).
    pub async fn change_org_role(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
        req: ChangeRole,
    ) -> ServiceResult<OrgRoleView> {
        let role = req.role;
        let id = UserId::parse(user).ok_or_else(not_found_role)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        let current = current_role(w.db(), who.org.as_str(), id.as_str()).await?;
        if role != OrgRole::OrgAdmin {
            guard_last_admin(w.db(), who.org.as_str(), Some(current)).await?;
        }
        people::set_org_role(w.db(), who.org.as_str(), id.as_str(), Some(role.as_str())).await?;
        let u = people::get_user(w.db(), id.as_str())
            .await?
            .ok_or_else(not_found_role)?;
        w.record(AuditEvent::OrgRoleChanged {
            user: id,
            email: u.email.clone(),
            before: current,
            after: role,
        })
        .await?;
        w.commit().await?;
        Ok(OrgRoleView::new(u.id, u.email, u.name, role))
    }

    /// Revokes a user's org role (they stay a member of their teams); never the last Org Admin's.
    pub async fn revoke_org_role(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
    ) -> ServiceResult<()> {
        let id = UserId::parse(user).ok_or_else(not_found_role)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        let current = current_role(w.db(), who.org.as_str(), id.as_str()).await?;
        guard_last_admin(w.db(), who.org.as_str(), Some(current)).await?;
        people::set_org_role(w.db(), who.org.as_str(), id.as_str(), None).await?;
        let email = people::get_user(w.db(), id.as_str())
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        w.record(AuditEvent::OrgRoleRevoked {
            user: id,
            email,
            role: current,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
