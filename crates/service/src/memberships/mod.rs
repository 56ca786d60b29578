//! The membership primitives: the only code that makes, changes or ends a membership (a test in
//! `write.rs` keeps every other module off the store's membership writes). Each takes the team
//! row its caller loaded under the organization's write lock, does the seat check (R13, R14,
//! R17) when a seat is taken, the store write, and the audit entry — so no path can add a seat
//! holder without counting it, or change a membership without recording it.
//!
//! - [`join()`] / [`join_many`]: people become members of a team (and of its organization);
//! - [`set_access`]: a membership's team role or app access changes;
//! - [`leave()`] / [`leave_org`]: a membership ends, or all of a person's in one organization.

mod change;
mod join;
mod leave;

pub use change::{Noted, set_access};
pub use join::{added, join, join_many};
pub use leave::{leave, leave_org};

use crate::{ServiceError, ServiceResult, seats};
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::UserId;
use switchboard_domain::team::LoginType;
use switchboard_store::Conn;
use switchboard_store::orgs::TeamRow;

/// A person a membership is about, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub email: String,
}

/// Whether a joining person gets app access (a seat) in the team (R13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No app access.
    Off,
    /// Asked for: refused in a device-login team (its seats are held by devices) and when the
    /// team has no free seat.
    On,
    /// The person holds a seat wherever the team's people do: on in an email-login team (refused
    /// when it has no free seat), off in a device-login team.
    Holder,
    /// R13's default: on in an email-login team covered by a subscription (refused when it has no
    /// free seat), off elsewhere.
    Default,
    /// R9: as [`Access::Default`], but off instead of refused when no seat is free.
    IfSeatFree,
}

impl Access {
    /// What a request's optional `app_access` asks for.
    pub fn asked(app_access: Option<bool>) -> Self {
        match app_access {
            Some(true) => Access::On,
            Some(false) => Access::Off,
            None => Access::Default,
        }
    }
}

/// Refuses app access asked for in a device-login team, before anything is read or written.
pub fn allowed(team: &TeamRow, access: Access) -> ServiceResult<()> {
    if access == Access::On && team.login_type != LoginType::Email {
        return Err(device_team_has_no_people_seats(team));
    }
    Ok(())
}

/// Whether `needed` people joining `team` with `access` get app access, checking the seats when
/// they do.
async fn resolve(c: &mut Conn, team: &TeamRow, access: Access, needed: i64) -> ServiceResult<bool> {
    allowed(team, access)?;
    let email_team = team.login_type == LoginType::Email;
    let on = match access {
        Access::Off => false,
        Access::On => true,
        Access::Holder => email_team,
        Access::Default | Access::IfSeatFree => email_team && team.subscription_id.is_some(),
    };
    if !on {
        return Ok(false);
    }
    match seats::check(c, team, needed).await {
        Ok(()) => Ok(true),
        Err(e) if access == Access::IfSeatFree && e.is_seat_limit() => Ok(false),
        Err(e) => Err(e),
    }
}

/// R13: app access in a device-login team is asked for, which has no seats for people.
pub fn device_team_has_no_people_seats(team: &TeamRow) -> ServiceError {
    ServiceError::invalid(
        "app_access",
        format!(
            "team {} signs in by device: its seats are held by enrolled devices, not by people",
            team.name
        ),
    )
}

/// The membership state as stored (app access as a 0/1 column).
pub fn state_of(m: &switchboard_store::people::MembershipRow) -> MembershipState {
    MembershipState {
        team_role: m.team_role,
        app_access: m.app_access != 0,
    }
}
