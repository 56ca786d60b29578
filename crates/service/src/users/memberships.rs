//! R5, R13: adding a user to another team, and changing a membership's team role or app access.

use super::{AddMembership, UpdateMembership, load_member, load_target};
use crate::ProblemCode;
use crate::memberships::{self, Access, Noted};
use crate::teams::in_scope;
use crate::views::{MembershipView, UserView};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::{Action, MembershipChange, Scope};
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::Presence;

impl Services {
    /// R5: adds an organization's user to another team.
    pub async fn add_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &UserId,
        req: AddMembership,
    ) -> ServiceResult<UserView> {
        let mut w = self.write(who, ctx).await?;
        let mut member = load_member(w.db(), who, user).await?;
        let team_id = TeamId::parse(&req.team_id).ok_or(ServiceError::NotFound { what: "team" })?;
        let mut team = crate::teams::load_team_by_id(w.db(), who, &team_id).await?;
        let scope = w.may(Action::ManageMembership(&team.id))?;
        // A Team Admin may only reach users they can see (members of their own teams).
        if scope != Scope::Org
            && !member
                .memberships
                .iter()
                .any(|m| in_scope(&scope, &m.team_id))
        {
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        w.may(Action::ChangeMembership(
            &team.id,
            MembershipChange {
                target_org_role: member.org_role(),
                removes_last_team: false,
            },
        ))?;
        if member.memberships.iter().any(|m| m.team_id == team.id) {
            return Err(ServiceError::conflict(
                ProblemCode::AlreadyMember,
                format!("The user is already a member of team {}.", team.name),
            ));
        }
        let event = memberships::added(&member.person, &team);
        let state = memberships::join(
            &mut w,
            &mut team,
            &member.person,
            Presence::Member(member.org_role()),
            req.team_role,
            Access::asked(req.app_access),
            event,
        )
        .await?;
        member
            .memberships
            .push(switchboard_store::people::MembershipRow {
                user_id: user.clone(),
                team_id: team.id.clone(),
                team_name: team.name.clone(),
                login_type: team.login_type,
                team_role: state.team_role,
                app_access: i64::from(state.app_access),
            });
        member.memberships.sort_by(|a, b| a.team_id.cmp(&b.team_id));
        let view = self.member_view(w.db(), who, &scope, member).await?;
        w.commit().await?;
        Ok(view)
    }

    /// Changes a membership's team role or app access; turning access on takes a seat (R13).
    pub async fn update_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &UserId,
        team: &TeamId,
        req: UpdateMembership,
    ) -> ServiceResult<MembershipView> {
        if req.team_role.is_none() && req.app_access.is_none() {
            return Err(ServiceError::invalid(
                "team_role",
                "send a new team_role or app_access",
            ));
        }
        let mut w = self.write(who, ctx).await?;
        let mut t = load_target(&mut w, who, user, team, false).await?;
        let before = t.state();
        let after = MembershipState {
            team_role: req.team_role.unwrap_or(before.team_role),
            app_access: req.app_access.unwrap_or(before.app_access),
        };
        memberships::set_access(&mut w, &mut t.team, &t.person, before, after, Noted::Own).await?;
        if before == after {
            w.unchanged().await?;
        } else {
            w.commit().await?;
        }
        Ok(MembershipView {
            team_id: t.team.id.into(),
            team_name: t.team.name,
            team_role: after.team_role,
            app_access: after.app_access,
        })
    }
}
