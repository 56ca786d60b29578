//! Joining a team: one person ([`join`], audited by the caller's event, which says why they
//! joined) or many at once ([`join_many`], one `MembersAdded` entry). Joining a team makes the
//! person a member of its organization too when they were not.

use super::{Access, Person, resolve};
use crate::ServiceResult;
use crate::write::Write;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::{Presence, TeamRole};
use switchboard_store::orgs::TeamRow;
use switchboard_store::{now_ms, people};

/// Makes `person` (`presence`: whether they are a user of the organization already) a member of
/// `team` with `role`, with app access as `access` decides (seat-checked), and records
/// `event(state)` — `MembershipAdded` by default (see [`added`]), or the
/// entry of the change the joining is part of (a role assigned, a just-in-time sign-in, an
/// organization provisioned). `team.seats_used` follows, so the row stays true for a next join
/// in the same write. The caller has checked the person is not a member of `team` yet.
pub async fn join(
    w: &mut Write,
    team: &mut TeamRow,
    person: &Person,
    presence: Presence,
    role: TeamRole,
    access: Access,
    event: impl FnOnce(MembershipState) -> AuditEvent,
) -> ServiceResult<MembershipState> {
    let app_access = resolve(w.db(), team, access, 1).await?;
    let users = std::slice::from_ref(&person.id);
    let now = now_ms();
    if !presence.is_member() {
        people::insert_org_members(w.db(), &team.org_id, users, now).await?;
    }
    people::insert_memberships(w.db(), &team.org_id, &team.id, users, role, app_access, now)
        .await?;
    team.seats_used += i64::from(app_access);
    let state = MembershipState {
        team_role: role,
        app_access,
    };
    w.record(event(state)).await?;
    Ok(state)
}

/// The `MembershipAdded` entry of `person` joining `team`: [`join`]'s usual event.
pub fn added(
    person: &Person,
    team: &TeamRow,
) -> impl FnOnce(MembershipState) -> AuditEvent + use<> {
    let (user, email) = (person.id.clone(), person.email.clone());
    let (team, team_name) = (team.id.clone(), team.name.clone());
    move |state| AuditEvent::MembershipAdded {
        user,
        email,
        team,
        team_name,
        state,
    }
}

/// Makes `users` (none of them a member of `team` yet) members with one role and app access
/// (R6), seat-checked for all of them at once, recorded as one `MembersAdded` entry.
pub async fn join_many(
    w: &mut Write,
    team: &mut TeamRow,
    users: Vec<UserId>,
    role: TeamRole,
    access: Access,
) -> ServiceResult<MembershipState> {
    let app_access = resolve(w.db(), team, access, users.len() as i64).await?;
    let now = now_ms();
    people::insert_org_members(w.db(), &team.org_id, &users, now).await?;
    people::insert_memberships(
        w.db(),
        &team.org_id,
        &team.id,
        &users,
        role,
        app_access,
        now,
    )
    .await?;
    if app_access {
        team.seats_used += users.len() as i64;
    }
    let state = MembershipState {
        team_role: role,
        app_access,
    };
    w.record(AuditEvent::MembersAdded {
        team: team.id.clone(),
        team_name: team.name.clone(),
        state,
        users,
    })
    .await?;
    Ok(state)
}
