//! R14, R16: adding compatible teams to a subscription, reserving seats for them, taking them out.

use super::{
    CompatibleTeamView, SubscriptionView, TeamAllocation, load_subscription, parse_reservation,
    placement, refuse_join, subscription_view,
};
use crate::ProblemCode;
use crate::seats::pool_of;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, Placement};
use switchboard_domain::ids::{SubscriptionId, TeamId};
use switchboard_store::orgs::{self};

impl Services {
    /// R14, R16: adds a compatible team to the subscription and/or sets or clears its reservation.
    pub async fn set_team_allocation(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        sub: &SubscriptionId,
        team: &TeamId,
        req: TeamAllocation,
    ) -> ServiceResult<SubscriptionView> {
        let reserved = parse_reservation(req.reserved_seats)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageBilling)?;
        let row = load_subscription(w.db(), &who.org, sub).await?;
        let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
        match &t.subscription_id {
            Some(other) if *other != row.id => {
                return Err(ServiceError::conflict(
                    ProblemCode::TeamInOtherSubscription,
                    format!(
                        "Team {} is covered by another subscription; move it with POST …/subscriptions/{other}/teams/{}/move.",
                        t.name, t.id
                    ),
                ));
            }
            _ => {}
        }
        let pool = pool_of(w.db(), &row).await?;
        if let Some(e) = refuse_join(&row, &pool, &t, reserved) {
            return Err(e);
        }
        orgs::set_team_subscription(w.db(), &who.org, &t.id, Some(&row.id), reserved).await?;
        let (before, after) = (
            placement(&t),
            Placement {
                subscription_id: Some(row.id.clone()),
                reserved_seats: reserved,
                used: t.seats_used,
            },
        );
        let (team, team_name) = (t.id.clone(), t.name.clone());
        w.record(if t.subscription_id.is_none() {
            AuditEvent::TeamAddedToSubscription {
                team,
                team_name,
                before,
                after,
            }
        } else {
            AuditEvent::TeamReservationChanged {
                team,
                team_name,
                before,
                after,
            }
        })
        .await?;
        let view = subscription_view(w.db(), row).await?;
        w.commit().await?;
        Ok(view)
    }

    /// Takes a team out of the subscription; only a team holding no seats can leave.
    pub async fn remove_team_from_subscription(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        sub: &SubscriptionId,
        team: &TeamId,
    ) -> ServiceResult<SubscriptionView> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageBilling)?;
        let row = load_subscription(w.db(), &who.org, sub).await?;
        let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
        if t.subscription_id.as_ref() != Some(&row.id) {
            return Err(ServiceError::NotFound {
                what: "team in this subscription",
            });
        }
        if t.seats_used > 0 {
            return Err(ServiceError::conflict(
                ProblemCode::TeamHoldsSeats,
                format!(
                    "Team {} holds {} seats; turn app access off (or move the team) before removing it.",
                    t.name, t.seats_used
                ),
            ));
        }
        orgs::set_team_subscription(w.db(), &who.org, &t.id, None, None).await?;
        w.record(AuditEvent::TeamRemovedFromSubscription {
            team: t.id.clone(),
            team_name: t.name.clone(),
            before: placement(&t),
        })
        .await?;
        let view = subscription_view(w.db(), row).await?;
        w.commit().await?;
        Ok(view)
    }

    /// R16: the organization's other teams, each saying whether it may join this subscription.
    pub async fn compatible_teams(
        &self,
        who: &OrgCaller,
        sub: &SubscriptionId,
    ) -> ServiceResult<Vec<CompatibleTeamView>> {
        who.may(Action::ViewBilling)?;
        let mut c = self.store.read().await?;
        let row = load_subscription(&mut c, &who.org, sub).await?;
        let pool = pool_of(&mut c, &row).await?;
        let teams = orgs::list_teams(&mut c, &who.org).await?;
        Ok(teams
            .into_iter()
            .filter(|t| t.subscription_id.as_ref() != Some(&row.id))
            .map(|t| {
                let reason = match &t.subscription_id {
                    Some(other) => Some(format!(
                        "covered by subscription {other}; move it from there"
                    )),
                    None => refuse_join(&row, &pool, &t, None).map(|e| e.to_string()),
                };
                CompatibleTeamView {
                    compatible: reason.is_none(),
                    reason,
                    login_type: t.login_type,
                    seats_used: t.seats_used,
                    used: t.seats_used,
                    team_id: t.id.into(),
                    team_name: t.name,
                }
            })
            .collect())
    }
}
