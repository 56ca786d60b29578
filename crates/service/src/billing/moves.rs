//! R16: moving a team to another subscription of the organization, in one step.

use super::{
    MoveTeam, SubscriptionView, load_subscription, parse_reservation, placement, refuse_join,
    subscription_view,
};
use crate::seats::pool_of;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, Placement};
use switchboard_domain::ids::{SubscriptionId, TeamId};
use switchboard_store::orgs::{self};

impl Services {
    /// R16: moves a team to another subscription of the organization in one step, only if its use
    /// fits there. Answers the target subscription.
    pub async fn move_team(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        sub: &SubscriptionId,
        team: &TeamId,
        req: MoveTeam,
    ) -> ServiceResult<SubscriptionView> {
        let reserved = parse_reservation(req.reserved_seats)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageBilling)?;
        let from = load_subscription(w.db(), &who.org, sub).await?;
        let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
        if t.subscription_id.as_ref() != Some(&from.id) {
            return Err(ServiceError::NotFound {
                what: "team in this subscription",
            });
        }
        let to_id =
            SubscriptionId::parse(&req.to_subscription_id).ok_or(ServiceError::NotFound {
                what: "subscription",
            })?;
        let to = load_subscription(w.db(), &who.org, &to_id).await?;
        if to.id == from.id {
            return Err(ServiceError::invalid(
                "to_subscription_id",
                "is the subscription the team is already in",
            ));
        }
        let pool = pool_of(w.db(), &to).await?;
        if let Some(e) = refuse_join(&to, &pool, &t, reserved) {
            return Err(e);
        }
        orgs::set_team_subscription(w.db(), &who.org, &t.id, Some(&to.id), reserved).await?;
        w.record(AuditEvent::TeamMoved {
            team: t.id.clone(),
            team_name: t.name.clone(),
            before: placement(&t),
            after: Placement {
                subscription_id: Some(to.id.clone()),
                reserved_seats: reserved,
                used: t.seats_used,
            },
        })
        .await?;
        let view = subscription_view(w.db(), to).await?;
        w.commit().await?;
        Ok(view)
    }
}
