//! R7, R8: removing a user from one team (the last one takes them out of the organization), or
//! from the organization.

use super::{RemovedMembership, load_member, load_target};
use crate::memberships::{self, Noted};
use crate::{OrgCaller, RequestInfo, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::ids::{TeamId, UserId};

impl Services {
    /// R7: removes one membership; the last one takes the user out of the organization, unless
    /// they are its last Org Admin (R10).
    pub async fn remove_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &UserId,
        team: &TeamId,
    ) -> ServiceResult<RemovedMembership> {
        let mut w = self.write(who, ctx).await?;
        let mut t = load_target(&mut w, who, user, team, true).await?;
        let last = t.teams == 1;
        let before = t.state();
        memberships::leave(
            &mut w,
            &mut t.team,
            &t.person,
            before,
            t.org_role,
            last,
            Noted::Own,
        )
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
        user: &UserId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::RemoveFromOrg)?;
        let member = load_member(w.db(), who, user).await?;
        let teams = member
            .memberships
            .iter()
            .map(|m| m.team_id.clone())
            .collect();
        memberships::leave_org(&mut w, &member.person, member.org_role(), teams).await?;
        w.commit().await?;
        Ok(())
    }
}
