//! R5, R13: adding a user to another team, and changing a membership's team role or app access.

use super::{AddMembership, UpdateMembership, app_access_for, load_member, load_target};
use crate::ProblemCode;
use crate::seats;
use crate::teams::{in_scope, load_team};
use crate::views::{MembershipView, UserView};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::{Action, MembershipChange, Scope};
use switchboard_domain::audit::event::{AuditEvent, MembershipState};
use switchboard_store::now_ms;
use switchboard_store::people::{self};

impl Services {
    /// R5: adds an organization's user to another team.
    pub async fn add_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &str,
        req: AddMembership,
    ) -> ServiceResult<UserView> {
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let (id, org_role, memberships) = load_member(w.db(), who, user).await?;
        let team = load_team(w.db(), who, &req.team_id).await?;
        let team_id = team.id.clone();
        let scope = w.may(Action::ManageMembership(&team_id))?;
        // A Team Admin may only reach users they can see (members of their own teams).
        if scope != Scope::Org && !memberships.iter().any(|m| in_scope(&scope, &m.team_id)) {
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        w.may(Action::ChangeMembership(
            &team_id,
            MembershipChange {
                target_org_role: org_role,
                removes_last_team: false,
            },
        ))?;
        if memberships.iter().any(|m| m.team_id == team.id) {
            return Err(ServiceError::conflict(
                ProblemCode::AlreadyMember,
                format!("The user is already a member of team {}.", team.name),
            ));
        }
        let app_access = app_access_for(&team, req.app_access)?;
        if app_access {
            seats::check_team(w.db(), &who.org, &team.id, &team.name, 1).await?;
        }
        people::insert_memberships(
            w.db(),
            &who.org,
            &team.id,
            std::slice::from_ref(&id),
            role,
            app_access,
            now_ms(),
        )
        .await?;
        let email = people::get_user(w.db(), &id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        w.record(AuditEvent::MembershipAdded {
            user: id.clone(),
            email,
            team: team_id,
            team_name: team.name.clone(),
            state: MembershipState {
                team_role: role,
                app_access,
            },
        })
        .await?;
        let view = self.user_in_scope(w.db(), who, &scope, id.as_str()).await?;
        w.commit().await?;
        Ok(view)
    }

    /// Changes a membership's team role or app access; turning access on takes a seat (R13).
    pub async fn update_membership(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        user: &str,
        team: &str,
        req: UpdateMembership,
    ) -> ServiceResult<MembershipView> {
        if req.team_role.is_none() && req.app_access.is_none() {
            return Err(ServiceError::invalid(
                "team_role",
                "send a new team_role or app_access",
            ));
        }
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let t = load_target(&mut w, who, user, team, false).await?;
        let before = t.state();
        let after = MembershipState {
            team_role: role.unwrap_or(before.team_role),
            app_access: match req.app_access {
                Some(a) => app_access_for(&t.team, Some(a))?,
                None => before.app_access,
            },
        };
        if after.app_access && !before.app_access {
            seats::check_team(w.db(), &who.org, &t.team.id, &t.team.name, 1).await?;
        }
        people::update_membership(
            w.db(),
            &who.org,
            &t.user,
            &t.team.id,
            after.team_role,
            after.app_access,
        )
        .await?;
        w.record(AuditEvent::MembershipUpdated {
            user: t.user.clone(),
            email: t.email.clone(),
            team: t.team_id(),
            team_name: t.team.name.clone(),
            before,
            after,
        })
        .await?;
        w.commit().await?;
        Ok(MembershipView {
            team_id: t.team.id.into(),
            team_name: t.team.name,
            team_role: after.team_role,
            app_access: after.app_access,
        })
    }
}
