//! R10: changing or revoking an org role, never leaving the organization without an Org Admin.

use super::{ChangeRole, current_role, guard_last_admin, not_found_role};
use crate::views::OrgRoleView;
use crate::{OrgCaller, RequestInfo, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::OrgRole;
use switchboard_store::people;

impl Services {
    /// Changes a user's org role; demoting the last Org Admin is refused (R10).
    pub async fn change_org_role(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
        req: ChangeRole,
    ) -> ServiceResult<OrgRoleView> {
        let role = req.role;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        let current = current_role(w.db(), &who.org, id).await?;
        if role != OrgRole::OrgAdmin {
            guard_last_admin(w.db(), &who.org, Some(current)).await?;
        }
        people::set_org_role(w.db(), &who.org, id, Some(role)).await?;
        let u = people::get_user(w.db(), id)
            .await?
            .ok_or_else(not_found_role)?;
        w.record(AuditEvent::OrgRoleChanged {
            user: id.clone(),
            email: u.email.clone(),
            before: current,
            after: role,
        })
        .await?;
        w.commit().await?;
        Ok(OrgRoleView::new(u.id.into(), u.email, u.name, role))
    }

    /// Revokes a user's org role (they stay a member of their teams); never the last Org Admin's.
    pub async fn revoke_org_role(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        // Their role and email in one read.
        let member = people::org_member(w.db(), &who.org, id).await?;
        let (current, email) = member
            .and_then(|m| Some((m.org_role?, m.email)))
            .ok_or_else(not_found_role)?;
        guard_last_admin(w.db(), &who.org, Some(current)).await?;
        people::set_org_role(w.db(), &who.org, id, None).await?;
        w.record(AuditEvent::OrgRoleRevoked {
            user: id.clone(),
            email,
            role: current,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
