//! R9: giving a user an org role by email; a newcomer joins the initial team.

use super::{AssignRole, AssignedRole};
use crate::ProblemCode;
use crate::memberships::{self, Access, Person};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::TeamRole;
use switchboard_store::{now_ms, orgs, people};

impl Services {
    /// R9: gives a user (by email) an org role.
    pub async fn assign_org_role(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        req: AssignRole,
    ) -> ServiceResult<AssignedRole> {
        let email = Email::parse(&req.email)?;
        let role = req.role;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageOrgRoles)?;
        let now = now_ms();
        let user = people::ensure_user(w.db(), &UserId::generate(), email.as_str(), now).await?;
        let presence = people::presence(w.db(), &who.org, &user).await?;
        if let Some(existing) = presence.org_role() {
            return Err(ServiceError::conflict(
                ProblemCode::OrgRoleExists,
                format!(
                    "{email} already has the org role {existing}; change it instead (one org role per user)."
                ),
            ));
        }
        let mut added = None;
        let assigned = |added: Option<bool>| AuditEvent::OrgRoleAssigned {
            user: user.clone(),
            email: email.to_string(),
            role,
            added_to_initial_team: added.is_some(),
            app_access: added,
        };
        if !presence.is_member() {
            // A newcomer joins the initial team, with a seat if one is free (R9); the role's
            // entry says so.
            let org = orgs::get_org(w.db(), &who.org)
                .await?
                .ok_or(ServiceError::NotFound {
                    what: "organization",
                })?;
            let mut initial = orgs::get_team(w.db(), &who.org, &org.initial_team_id)
                .await?
                .ok_or(ServiceError::NotFound { what: "team" })?;
            let person = Person {
                id: user.clone(),
                email: email.to_string(),
            };
            let state = memberships::join(
                &mut w,
                &mut initial,
                &person,
                presence,
                TeamRole::Member,
                Access::IfSeatFree,
                |state| assigned(Some(state.app_access)),
            )
            .await?;
            added = Some(state.app_access);
        } else {
            w.record(assigned(None)).await?;
        }
        people::set_org_role(w.db(), &who.org, &user, Some(role)).await?;
        w.commit().await?;
        Ok(AssignedRole {
            user_id: user.into(),
            email: email.to_string(),
            role,
            added_to_initial_team: added.is_some(),
            app_access: added,
        })
    }
}
