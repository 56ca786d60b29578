//! A SCIM group's members brought to what the identity provider sent: newcomers join with app
//! access where they are active and the team is covered (R13, R14); those left out leave, and
//! someone left with no team goes back to the initial team, with a seat only if they held one
//! and one is free there. Every change goes through the membership primitives.

use crate::ServiceError;
use crate::ServiceResult;
use crate::memberships::{self, Access, Noted, Person};
use crate::write::Write;
use switchboard_domain::ids::{OrgId, UserId};
use switchboard_domain::role::{Presence, TeamRole};
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::people;
use switchboard_store::scim as store;

/// Brings the team's memberships to exactly `wanted` (all users of the organization).
pub(super) async fn set_members(
    w: &mut Write,
    org: &OrgId,
    team: &TeamRow,
    wanted: &[UserId],
) -> ServiceResult<()> {
    let current: Vec<UserId> = store::team_members(w.db(), org)
        .await?
        .into_iter()
        .filter(|(t, _)| *t == team.id)
        .map(|(_, u)| u)
        .collect();
    let initial = orgs::get_org(w.db(), org)
        .await?
        .map(|o| o.initial_team_id)
        .ok_or(ServiceError::NotFound {
            what: "organization",
        })?;
    let mut team = team.clone();
    for user in wanted.iter().filter(|u| !current.contains(u)) {
        let not_a_user = || {
            ServiceError::invalid(
                "members",
                format!("{user} is not a user of this organization"),
            )
        };
        let member = people::org_member(w.db(), org, user)
            .await?
            .ok_or_else(not_a_user)?;
        let person = Person {
            id: user.clone(),
            email: member.email,
        };
        let active = store::user(w.db(), org, user)
            .await?
            .is_none_or(|r| r.active != 0);
        let access = if active { Access::Default } else { Access::Off };
        let event = memberships::added(&person, &team);
        let presence = Presence::Member(member.org_role);
        memberships::join(
            w,
            &mut team,
            &person,
            presence,
            TeamRole::Member,
            access,
            event,
        )
        .await?;
    }
    let mut initial_team: Option<TeamRow> = None;
    for user in current.iter().filter(|u| !wanted.contains(u)) {
        let memberships_now =
            people::memberships_of_users(w.db(), org, std::slice::from_ref(user)).await?;
        let Some(m) = memberships_now.iter().find(|m| m.team_id == team.id) else {
            continue;
        };
        if memberships_now.len() == 1 && team.id == initial {
            // Their only team is the initial team: they stay (a SCIM user with no group belongs there).
            continue;
        }
        let member = people::org_member(w.db(), org, user)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        let person = Person {
            id: user.clone(),
            email: member.email,
        };
        let before = memberships::state_of(m);
        memberships::leave(
            w,
            &mut team,
            &person,
            before,
            member.org_role,
            false,
            Noted::Own,
        )
        .await?;
        if memberships_now.len() == 1 {
            // No team left: the initial team, as for a SCIM user with no group; a seat there if
            // they held one here and one is free.
            if initial_team.is_none() {
                initial_team = orgs::get_team(w.db(), org, &initial).await?;
            }
            let Some(to) = initial_team.as_mut() else {
                return Err(ServiceError::NotFound { what: "team" });
            };
            let access = if before.app_access {
                Access::IfSeatFree
            } else {
                Access::Off
            };
            let event = memberships::added(&person, to);
            let presence = Presence::Member(member.org_role);
            memberships::join(w, to, &person, presence, TeamRole::Member, access, event).await?;
        }
    }
    Ok(())
}
