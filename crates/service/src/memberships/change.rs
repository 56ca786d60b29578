//! Changing a membership's team role or app access: turning app access on takes a seat
//! (seat-checked, R13), turning it off frees one.

use super::{Person, device_team_has_no_people_seats};
use crate::write::Write;
use crate::{ServiceResult, seats};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::team::LoginType;
use switchboard_store::orgs::TeamRow;
use switchboard_store::people;

/// How a membership change is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noted {
    /// By its own entry (`MembershipUpdated`, `MembershipRemoved`).
    Own,
    /// Within the entry of the change it is part of, which the caller records (SCIM's
    /// `active`, a user removed from the organization).
    Within,
}

/// Sets `person`'s membership of `team` from `before` (as read under the lock) to `after`.
/// Nothing is written when they are the same.
pub async fn set_access(
    w: &mut Write,
    team: &mut TeamRow,
    person: &Person,
    before: MembershipState,
    after: MembershipState,
    noted: Noted,
) -> ServiceResult<()> {
    if before == after {
        return Ok(());
    }
    let takes_seat = after.app_access && !before.app_access;
    if takes_seat {
        if team.login_type != LoginType::Email {
            return Err(device_team_has_no_people_seats(team));
        }
        seats::check(w.db(), team, 1).await?;
    }
    people::update_membership(
        w.db(),
        &team.org_id,
        &person.id,
        &team.id,
        after.team_role,
        after.app_access,
        before.app_access,
    )
    .await?;
    team.seats_used += i64::from(after.app_access) - i64::from(before.app_access);
    if noted == Noted::Own {
        w.record(AuditEvent::MembershipUpdated {
            user: person.id.clone(),
            email: person.email.clone(),
            team: team.id.clone(),
            team_name: team.name.clone(),
            before,
            after,
        })
        .await?;
    }
    Ok(())
}
