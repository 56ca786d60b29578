//! The one seat check (R13, R14, R17). Every path that creates a seat holder calls
//! [`check_team`] inside its write transaction, after the organization's write lock is held, so
//! concurrent requests are counted one after another and can never oversell. Seat use is read from
//! the teams' counters (`teams.seats_used`), so a check costs one small query however many seats
//! the pool has.

use crate::{ServiceError, ServiceResult};
use switchboard_domain::seats::{Pool, TeamSeats};
use switchboard_store::Conn;
use switchboard_store::billing::{self, SubscriptionRow};
use switchboard_store::orgs::{self, TeamRow};

/// The pool of a subscription with the teams it covers.
pub async fn pool_of(c: &mut Conn, sub: &SubscriptionRow) -> ServiceResult<Pool> {
    let teams = orgs::teams_of_subscription(c, &sub.org_id, &sub.id).await?;
    Ok(Pool {
        seats: sub.seats,
        teams: teams.into_iter().map(team_seats).collect(),
    })
}

pub fn team_seats(t: TeamRow) -> TeamSeats {
    TeamSeats {
        team_id: t.id,
        team_name: t.name,
        reserved: t.reserved_seats,
        used: t.seats_used,
    }
}

/// The subscription covering `team` and its pool, or `None` if the team has no subscription.
pub async fn pool_of_team(
    c: &mut Conn,
    org: &str,
    team: &str,
) -> ServiceResult<Option<(SubscriptionRow, Pool)>> {
    let Some(t) = orgs::get_team(c, org, team).await? else {
        return Err(ServiceError::NotFound { what: "team" });
    };
    let Some(sub_id) = t.subscription_id else {
        return Ok(None);
    };
    let Some(sub) = billing::get_subscription(c, org, &sub_id).await? else {
        return Ok(None);
    };
    let pool = pool_of(c, &sub).await?;
    Ok(Some((sub, pool)))
}

/// Refuses with `seat_limit_reached` unless `team` may take `needed` more seats.
pub async fn check_team(
    c: &mut Conn,
    org: &str,
    team: &str,
    team_name: &str,
    needed: i64,
) -> ServiceResult<()> {
    if needed <= 0 {
        return Ok(());
    }
    match pool_of_team(c, org, team).await? {
        None => Err(ServiceError::conflict(
            "seat_limit_reached",
            format!(
                "Team {team_name} is not covered by a subscription, so it has no seats: add it to a subscription before turning app access on."
            ),
        )),
        Some((sub, _)) if sub.status == "canceled" => Err(ServiceError::conflict(
            "seat_limit_reached",
            format!("The subscription of team {team_name} is canceled, so it has no seats."),
        )),
        Some((_, pool)) => pool
            .check(team, needed)
            .map_err(|r| ServiceError::conflict("seat_limit_reached", r.detail())),
    }
}

/// Whether `team` could take one more seat now (R9: assigning a role turns app access on only then).
pub async fn has_free_seat(c: &mut Conn, org: &str, team: &str) -> ServiceResult<bool> {
    Ok(match pool_of_team(c, org, team).await? {
        Some((sub, pool)) => sub.status != "canceled" && pool.check(team, 1).is_ok(),
        None => false,
    })
}
