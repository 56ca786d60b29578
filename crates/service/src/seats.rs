//! The one seat check (R13, R14, R17). Every path that creates a seat holder calls
//! [`check_team`] inside its write transaction, after the organization's write lock is held, so
//! concurrent requests are counted one after another and can never oversell.

use crate::{ServiceError, ServiceResult};
use switchboard_domain::seats::{Pool, TeamSeats};
use switchboard_store::{Conn, orgs};

/// The pool of the subscription covering `team`, or `None` if the team has no subscription.
pub async fn pool_of_team(c: &mut Conn, org: &str, team: &str) -> ServiceResult<Option<Pool>> {
    let Some(t) = orgs::get_team(c, org, team).await? else {
        return Err(ServiceError::NotFound { what: "team" });
    };
    let Some(sub_id) = t.subscription_id else {
        return Ok(None);
    };
    let Some(sub) = orgs::get_subscription(c, org, &sub_id).await? else {
        return Ok(None);
    };
    let used = orgs::seats_used_by_team(c, org).await?;
    let teams = orgs::list_teams(c, org)
        .await?
        .into_iter()
        .filter(|t| t.subscription_id.as_deref() == Some(sub_id.as_str()))
        .map(|t| TeamSeats {
            used: used
                .iter()
                .find(|(id, _)| *id == t.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            team_id: t.id,
            team_name: t.name,
            reserved: t.reserved_seats,
        })
        .collect();
    Ok(Some(Pool {
        seats: sub.seats,
        teams,
    }))
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
        Some(pool) => pool
            .check(team, needed)
            .map_err(|r| ServiceError::conflict("seat_limit_reached", r.detail())),
    }
}

/// Whether `team` could take one more seat now (R9: assigning a role turns app access on only then).
pub async fn has_free_seat(c: &mut Conn, org: &str, team: &str) -> ServiceResult<bool> {
    Ok(match pool_of_team(c, org, team).await? {
        Some(pool) => pool.check(team, 1).is_ok(),
        None => false,
    })
}
