//! R7, R8: removing a user from one team (the last one takes them out of the organization), or
//! from the organization.

use super::{RemovedMembership, load_member, load_target};
use crate::memberships::{self, Noted};
use crate::teams::load_team_by_id;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::{Action, MembershipChange};
use switchboard_domain::ids::{TeamId, UserId};

/// What a removal would do, said before it is done: the confirmation page shows it. Asking
/// needs the right to make the removal itself (the removal checks again under the lock).
#[derive(Debug, Clone)]
pub struct RemovalPreview {
    pub email: String,
    /// The team the user would be removed from; `None` for a removal from the organization.
    pub team_name: Option<String>,
    /// How many memberships the removal ends.
    pub teams_removed: usize,
    /// The teams they would stay in.
    pub staying_in: Vec<String>,
    /// Whether they would leave the organization (their last team, or removed from it).
    pub leaves_org: bool,
    /// The teams where a seat they hold would be freed.
    pub seats_freed_in: Vec<String>,
    /// The caller would be removing themselves.
    pub yourself: bool,
}

impl Services {
    /// What removing `user` from `team` (or, with `None`, from the organization) would do.
    pub async fn removal_preview(
        &self,
        who: &OrgCaller,
        user: &UserId,
        team: Option<&TeamId>,
    ) -> ServiceResult<RemovalPreview> {
        if team.is_none() {
            // Asked first, so a caller without the right can't learn who is a member.
            who.may(Action::RemoveFromOrg)?;
        }
        let mut c = self.store.read().await?;
        let member = load_member(&mut c, who, user).await?;
        let removed: Vec<_> = match team {
            None => member.memberships.iter().collect(),
            Some(team) => {
                let team = load_team_by_id(&mut c, who, team).await?;
                who.may(Action::ManageMembership(&team.id))?;
                let m = member
                    .memberships
                    .iter()
                    .find(|m| m.team_id == team.id)
                    .ok_or(ServiceError::NotFound { what: "membership" })?;
                who.may(Action::ChangeMembership(
                    &team.id,
                    MembershipChange {
                        target_org_role: member.org_role(),
                        removes_last_team: member.memberships.len() == 1,
                    },
                ))?;
                vec![m]
            }
        };
        let staying_in = member
            .memberships
            .iter()
            .filter(|m| !removed.iter().any(|r| r.team_id == m.team_id))
            .map(|m| m.team_name.clone())
            .collect::<Vec<_>>();
        Ok(RemovalPreview {
            team_name: team.and(removed.first().map(|m| m.team_name.clone())),
            leaves_org: staying_in.is_empty(),
            teams_removed: removed.len(),
            seats_freed_in: removed
                .iter()
                .filter(|m| m.app_access != 0)
                .map(|m| m.team_name.clone())
                .collect(),
            staying_in,
            yourself: *user == who.user,
            email: member.person.email,
        })
    }

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
