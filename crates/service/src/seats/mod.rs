//! The one seat check (R13, R14, R17). Every path that creates a seat holder calls
//! [`check`] inside its write transaction, after the organization's write lock is held, so
//! concurrent requests are counted one after another and can never oversell. Seat use is read from
//! the teams' counters (`teams.seats_used`), so a check costs one small query however many seats
//! the pool has.
//!
//! [`release`] is the idle-seat rule (R29).

pub mod history;
pub mod idle;
pub mod release;

use crate::ProblemCode;
use crate::{ServiceError, ServiceResult};
use switchboard_domain::billing::SubscriptionStatus;
use switchboard_domain::seats::{Pool, TeamSeats, Totals};
use switchboard_store::Conn;
use switchboard_store::billing::{self, SubscriptionRow};
use switchboard_store::orgs::{self, TeamRow};

/// The pool of a subscription with the teams it covers.
pub async fn pool_of(c: &mut Conn, sub: &SubscriptionRow) -> ServiceResult<Pool> {
    let teams = orgs::teams_of_subscription(c, &sub.org_id, &sub.id).await?;
    Ok(Pool {
        seats: sub.seats,
        teams: teams.iter().map(team_seats).collect(),
    })
}

pub fn team_seats(t: &TeamRow) -> TeamSeats {
    TeamSeats {
        team_id: t.id.clone().into(),
        team_name: t.name.clone(),
        reserved: t.reserved_seats,
        used: t.seats_used,
    }
}

/// Refuses with `seat_limit_reached` unless `team` may take `needed` more seats. `team` is the
/// row read under the organization's write lock (its `seats_used` is current: the membership
/// primitives keep it so); this reads its subscription and one row of totals over the
/// subscription's teams — the hot path of every app-access toggle, so it never loads the pool
/// team by team.
pub async fn check(c: &mut Conn, team: &TeamRow, needed: i64) -> ServiceResult<()> {
    if needed <= 0 {
        return Ok(());
    }
    let no_seats = |why: &str| {
        ServiceError::conflict(
            ProblemCode::SeatLimitReached,
            format!("Team {} {why}", team.name),
        )
    };
    let Some(sub_id) = &team.subscription_id else {
        return Err(no_seats(
            "is not covered by a subscription, so it has no seats: add it to a subscription before turning app access on.",
        ));
    };
    let sub = billing::get_subscription(c, &team.org_id, sub_id)
        .await?
        .ok_or(ServiceError::NotFound {
            what: "subscription",
        })?;
    if sub.status == SubscriptionStatus::Canceled {
        return Err(no_seats(
            "belongs to a canceled subscription, so it has no seats.",
        ));
    }
    let sums = orgs::seat_totals(c, &team.org_id, sub_id).await?;
    let totals = Totals {
        seats: sub.seats,
        reserved_total: sums.reserved,
        reserved_left: sums.reserved_unused,
        shared_used: sums.unreserved_used,
        used_total: sums.used,
    };
    totals
        .check(&team_seats(team), needed)
        .map_err(|r| ServiceError::conflict(ProblemCode::SeatLimitReached, r.detail()))
}
