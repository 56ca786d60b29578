//! The operator adds subscriptions and changes their terms: pool size, plan, status, price.

use super::{CreateSubscription, UpdateSubscription, new_subscription, price, terms};
use crate::ProblemCode;
use crate::billing::{SubscriptionView, subscription_view};
use crate::seats::pool_of;
use crate::write::Actor;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::billing::Period;
use switchboard_domain::ids::{OrgId, SubscriptionId};
use switchboard_domain::plan;
use switchboard_domain::team::Name;
use switchboard_store::billing::{self};
use switchboard_store::{now_ms, orgs};

impl Services {
    /// R12: the operator adds a subscription (covering no team yet) to an organization.
    pub async fn create_subscription(
        &self,
        ctx: &RequestInfo,
        org: &OrgId,
        req: CreateSubscription,
    ) -> ServiceResult<SubscriptionView> {
        let plan = plan::find(&req.plan)?;
        let seats = plan::parse_seats("seats", req.seats)?;
        let name = match &req.name {
            Some(n) => Name::parse("name", n)?.as_str().to_owned(),
            None => plan.label.clone(),
        };
        let period = req.period.unwrap_or(Period::Monthly);
        let unit_price = price(req.unit_price_cents, plan.unit_price_cents)?;
        let mut w = self.write_as(org, Actor::Operator, ctx).await?;
        let row = new_subscription(org, plan, seats, &name, period, unit_price, now_ms());
        billing::insert_subscription(w.db(), &row).await?;
        w.record(AuditEvent::SubscriptionCreated {
            subscription: row.id.clone(),
            name: name.clone(),
            terms: terms(&row)?,
            period,
        })
        .await?;
        let view = subscription_view(w.db(), row).await?;
        w.commit().await?;
        Ok(view)
    }

    /// The operator resizes a pool, changes plan, status or price. A smaller pool must still hold
    /// the reservations, and its current use unless `force`; a plan must allow every covered
    /// team's login type.
    pub async fn update_subscription(
        &self,
        ctx: &RequestInfo,
        id: &SubscriptionId,
        req: UpdateSubscription,
    ) -> ServiceResult<SubscriptionView> {
        if req.seats.is_none()
            && req.plan.is_none()
            && req.status.is_none()
            && req.unit_price_cents.is_none()
        {
            return Err(ServiceError::invalid(
                "seats",
                "send seats, plan, status or unit_price_cents to change",
            ));
        }
        let not_found = || ServiceError::NotFound {
            what: "subscription",
        };
        let org = {
            let mut c = self.store.read().await?;
            billing::find_subscription(&mut c, id)
                .await?
                .ok_or_else(not_found)?
                .org_id
        };
        let mut w = self.write_as(&org, Actor::Operator, ctx).await?;
        let before = billing::get_subscription(w.db(), &org, id)
            .await?
            .ok_or_else(not_found)?;
        let mut next = before.clone();
        if let Some(p) = &req.plan {
            let plan = plan::find(p)?;
            for t in orgs::teams_of_subscription(w.db(), &org, id).await? {
                let login = t.login_type;
                if !plan.allows(login) {
                    return Err(ServiceError::conflict(
                        ProblemCode::PlanIncompatible,
                        format!(
                            "Plan {} does not allow {}-login teams, and team {} is covered.",
                            plan.label,
                            login.as_str(),
                            t.name
                        ),
                    ));
                }
            }
            next.plan = plan.name.clone();
        }
        if let Some(s) = req.seats {
            next.seats = plan::parse_seats("seats", s)?;
        }
        if let Some(s) = req.status {
            next.status = s;
        }
        next.unit_price_cents = price(req.unit_price_cents, next.unit_price_cents)?;
        if next.seats < before.seats {
            let pool = pool_of(w.db(), &next).await?;
            if pool.reserved_total() > next.seats {
                return Err(ServiceError::conflict(
                    ProblemCode::ReservationsExceedPool,
                    format!(
                        "Teams reserve {} seats, more than {}: lower reservations first.",
                        pool.reserved_total(),
                        next.seats
                    ),
                ));
            }
            if let Some(v) = pool.violation().filter(|_| !req.force) {
                return Err(ServiceError::conflict(
                    ProblemCode::SeatsInUse,
                    format!(
                        "{} seats are in use: {} Pass \"force\": true to shrink anyway (new seats are then refused until use is back under the pool).",
                        pool.used_total(),
                        v.detail()
                    ),
                ));
            }
        }
        billing::update_terms(w.db(), &next).await?;
        w.record(AuditEvent::SubscriptionTermsChanged {
            subscription: next.id.clone(),
            name: next.name.clone(),
            before: terms(&before)?,
            after: terms(&next)?,
        })
        .await?;
        let view = subscription_view(w.db(), next).await?;
        w.commit().await?;
        Ok(view)
    }
}
