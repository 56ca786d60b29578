//! R7, R8: removing a user from one team (the last one takes them out of the organization), or from the organization.

use super::{RemovedMembership, load_member, load_target};
use crate::{OrgCaller, RequestInfo, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::AuditEvent;
use switchboard_store::people::{self};

impl Services {
    /// R7: removes one membership; the last one takes the user out of the organization, unless
    /// they are its last Org Admin (R10).
    pub async fn remove_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &str,
        team: &str,
    ) -> ServiceResult<RemovedMembership> {
        let mut w = self.write(who, ctx).await?;
        let t = load_target(&mut w, who, user, team, true).await?;
        let last = t.memberships.len() == 1;
        if last {
            crate::roles::guard_last_admin(w.db(), &who.org, t.org_role).await?;
            people::delete_org_member(w.db(), &who.org, &t.user).await?;
        }
        people::delete_membership(w.db(), &who.org, &t.user, &t.team.id).await?;
        w.record(AuditEvent::MembershipRemoved {
            user: t.user.clone(),
            email: t.email.clone(),
            team: t.team_id(),
            team_name: t.team.name.clone(),
            before: t.state(),
            org_role: t.org_role,
            removed_from_org: last,
        })
        .await?;
        w.commit().await?;
        Ok(RemovedMembership {
            removed_from_org: last,
        })
    }

    /// R8: removes every membership and the org role at once.
    pub async fn remove_from_org(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &str,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::RemoveFromOrg)?;
        let (id, role, memberships) = load_member(w.db(), who, user).await?;
        crate::roles::guard_last_admin(w.db(), &who.org, role).await?;
        people::delete_memberships_of_user(w.db(), &who.org, &id).await?;
        people::delete_org_member(w.db(), &who.org, &id).await?;
        let email = people::get_user(w.db(), &id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        w.record(AuditEvent::RemovedFromOrg {
            user: id,
            email,
            org_role: role,
            teams: memberships.iter().map(|m| m.team_id.clone()).collect(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
