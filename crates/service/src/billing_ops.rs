//! The operator's side of billing: creating and changing subscriptions (plan, pool size, status,
//! price), and closing ended periods into invoices (R18), by hand (`switchboard billing
//! close-period`) or by the server's background task.

use crate::billing::{InvoiceView, SubscriptionView, subscription_view};
use crate::seats::pool_of;
use crate::write::Actor;
use crate::{Ctx, ServiceError, ServiceResult, Services};
use serde::Deserialize;
use switchboard_domain::audit::event::{AuditEvent, Terms};
use switchboard_domain::billing::{InvoiceLine, InvoiceStatus, Period, SubscriptionStatus};
use switchboard_domain::ids::{InvoiceId, OrgId, SubscriptionId};
use switchboard_domain::plan;
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::billing::{self, InvoiceRow, SubscriptionRow};
use switchboard_store::{now_ms, orgs};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    #[schema(min_length = 1, max_length = 64)]
    pub plan: String,
    #[schema(minimum = 0, maximum = 1000000)]
    pub seats: i64,
    /// Default: the plan's label.
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    /// Default: monthly.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub period: Option<Period>,
    /// Default: the plan's price.
    #[schema(minimum = 0, maximum = 100000000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub unit_price_cents: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateSubscription {
    #[schema(minimum = 0, maximum = 1_000_000)]
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub seats: Option<i64>,
    #[schema(min_length = 1, max_length = 64, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub plan: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub status: Option<SubscriptionStatus>,
    #[schema(minimum = 0, maximum = 100000000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub unit_price_cents: Option<i64>,
    /// Shrink the pool below its current use: existing seats stay, new ones are refused until use
    /// is back under the pool.
    #[serde(default)]
    pub force: bool,
}

/// `ms` plus `months` calendar months (the day clamped to the target month's length), in UTC.
pub fn add_months(ms: i64, months: i64) -> i64 {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let total = t.year() as i64 * 12 + (t.month() as i64 - 1) + months;
    let (year, month0) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u8);
    let month = time::Month::try_from(month0 + 1).unwrap_or(time::Month::January);
    let day = t.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).unwrap_or(t.date());
    let moved = t.replace_date(date);
    (moved.unix_timestamp_nanos() / 1_000_000) as i64
}

fn price(unit_price_cents: Option<i64>, default: i64) -> ServiceResult<i64> {
    match unit_price_cents {
        None => Ok(default),
        Some(p) if (0..=100_000_000).contains(&p) => Ok(p),
        Some(_) => Err(ServiceError::invalid(
            "unit_price_cents",
            "must be from 0 to 100000000",
        )),
    }
}

/// A new subscription row starting its first period now.
pub fn new_subscription(
    org: &str,
    plan: &plan::Plan,
    seats: i64,
    name: &str,
    period: Period,
    unit_price_cents: i64,
    now: i64,
) -> SubscriptionRow {
    SubscriptionRow {
        org_id: org.to_owned(),
        id: SubscriptionId::generate().to_string(),
        name: name.to_owned(),
        plan: plan.name.clone(),
        seats,
        status: "active".into(),
        period: period.as_str().into(),
        unit_price_cents,
        period_start: now,
        period_end: add_months(now, period.months()),
        pm_provider_token: None,
        pm_brand: None,
        pm_last4: None,
        pm_exp_month: None,
        pm_exp_year: None,
        created_at: now,
    }
}

impl Services {
    /// R12: the operator adds a subscription (covering no team yet) to an organization.
    pub async fn create_subscription(
        &self,
        ctx: &Ctx,
        org: &str,
        req: CreateSubscription,
    ) -> ServiceResult<SubscriptionView> {
        let org = OrgId::parse(org).ok_or(ServiceError::NotFound {
            what: "organization",
        })?;
        let plan = plan::find(&req.plan)?;
        let seats = plan::parse_seats("seats", req.seats)?;
        let name = match &req.name {
            Some(n) => Name::parse("name", n)?.as_str().to_owned(),
            None => plan.label.clone(),
        };
        let period = req.period.unwrap_or(Period::Monthly);
        let unit_price = price(req.unit_price_cents, plan.unit_price_cents)?;
        let mut w = self.write_as(&org, Actor::Operator, ctx).await?;
        let row = new_subscription(
            org.as_str(),
            plan,
            seats,
            &name,
            period,
            unit_price,
            now_ms(),
        );
        billing::insert_subscription(w.db(), &row).await?;
        w.record(AuditEvent::SubscriptionCreated {
            subscription: SubscriptionId::from_db(row.id.clone()),
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
        ctx: &Ctx,
        sub: &str,
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
        let id = SubscriptionId::parse(sub).ok_or_else(not_found)?;
        let org = {
            let mut c = self.store.read().await?;
            billing::find_subscription(&mut c, id.as_str())
                .await?
                .ok_or_else(not_found)?
                .org_id
        };
        let org = OrgId::from_db(org);
        let mut w = self.write_as(&org, Actor::Operator, ctx).await?;
        let before = billing::get_subscription(w.db(), org.as_str(), id.as_str())
            .await?
            .ok_or_else(not_found)?;
        let mut next = before.clone();
        if let Some(p) = &req.plan {
            let plan = plan::find(p)?;
            for t in orgs::teams_of_subscription(w.db(), org.as_str(), id.as_str()).await? {
                let login = LoginType::parse(&t.login_type).unwrap_or(LoginType::Email);
                if !plan.allows(login) {
                    return Err(ServiceError::conflict(
                        "plan_incompatible",
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
            next.status = s.as_str().to_owned();
        }
        next.unit_price_cents = price(req.unit_price_cents, next.unit_price_cents)?;
        if next.seats < before.seats {
            let pool = pool_of(w.db(), &next).await?;
            if pool.reserved_total() > next.seats {
                return Err(ServiceError::conflict(
                    "reservations_exceed_pool",
                    format!(
                        "Teams reserve {} seats, more than {}: lower reservations first.",
                        pool.reserved_total(),
                        next.seats
                    ),
                ));
            }
            if let Some(v) = pool.violation().filter(|_| !req.force) {
                return Err(ServiceError::conflict(
                    "seats_in_use",
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
            subscription: SubscriptionId::from_db(next.id.clone()),
            name: next.name.clone(),
            before: terms(&before)?,
            after: terms(&next)?,
        })
        .await?;
        let view = subscription_view(w.db(), next).await?;
        w.commit().await?;
        Ok(view)
    }

    /// R18: closes every period that ended by `now` into an invoice (one per period, numbered
    /// without gaps) and starts the next period. Running it again closes nothing twice.
    /// Returns the number of invoices written.
    pub async fn close_periods(&self, now: i64) -> ServiceResult<usize> {
        let due = {
            let mut c = self.store.read().await?;
            billing::subscriptions_due(&mut c, now).await?
        };
        let ctx = Ctx {
            request_id: "close-period".into(),
        };
        let mut written = 0;
        for s in due {
            let org = OrgId::from_db(s.org_id.clone());
            let mut w = self.write_as(&org, Actor::System, &ctx).await?;
            // Re-read under the lock: another closer may have been first.
            let Some(mut sub) = billing::get_subscription(w.db(), org.as_str(), &s.id).await?
            else {
                continue;
            };
            if sub.period_end > now {
                w.unchanged().await?;
                continue;
            }
            while sub.period_end <= now {
                let period = Period::parse(&sub.period)?;
                let label = plan::find(&sub.plan)
                    .map(|p| p.label.clone())
                    .unwrap_or_else(|_| sub.plan.clone());
                let line =
                    InvoiceLine::new(&sub.plan, &label, sub.seats, sub.unit_price_cents, period);
                let invoice = InvoiceRow {
                    org_id: sub.org_id.clone(),
                    id: InvoiceId::generate().to_string(),
                    number: billing::next_number(w.db(), "invoice_number").await?,
                    subscription_id: sub.id.clone(),
                    period_start: sub.period_start,
                    period_end: sub.period_end,
                    total_cents: line.amount_cents,
                    lines_json: serde_json::to_string(&[&line]).unwrap_or_else(|_| "[]".into()),
                    status: InvoiceStatus::Open.as_str().into(),
                    created_at: now_ms(),
                };
                billing::insert_invoice(w.db(), &invoice).await?;
                w.record(AuditEvent::InvoiceClosed {
                    subscription: SubscriptionId::from_db(sub.id.clone()),
                    invoice: InvoiceId::from_db(invoice.id.clone()),
                    number: invoice.number,
                    total_cents: invoice.total_cents,
                })
                .await?;
                sub.period_start = sub.period_end;
                sub.period_end = add_months(sub.period_end, period.months());
                written += 1;
            }
            billing::set_period(
                w.db(),
                org.as_str(),
                &sub.id,
                sub.period_start,
                sub.period_end,
            )
            .await?;
            w.commit().await?;
        }
        Ok(written)
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetInvoiceStatus {
    /// `paid` or `void` (from `open`).
    pub status: InvoiceStatus,
}

impl Services {
    /// The operator records an open invoice as paid or voids it; paid and void are final.
    pub async fn set_invoice_status(
        &self,
        ctx: &Ctx,
        invoice: &str,
        req: SetInvoiceStatus,
    ) -> ServiceResult<InvoiceView> {
        let not_found = || ServiceError::NotFound { what: "invoice" };
        let status = match req.status {
            InvoiceStatus::Open => {
                return Err(ServiceError::invalid(
                    "status",
                    "must be \"paid\" or \"void\", not \"open\"",
                ));
            }
            s => s,
        };
        let id = InvoiceId::parse(invoice).ok_or_else(not_found)?;
        let org = {
            let mut c = self.store.read().await?;
            billing::find_invoice(&mut c, id.as_str())
                .await?
                .ok_or_else(not_found)?
                .org_id
        };
        let org = OrgId::from_db(org);
        let mut w = self.write_as(&org, Actor::Operator, ctx).await?;
        let mut row = billing::find_invoice(w.db(), id.as_str())
            .await?
            .ok_or_else(not_found)?;
        let before = InvoiceStatus::parse(&row.status)?;
        if before != InvoiceStatus::Open {
            return Err(ServiceError::conflict(
                "invoice_closed",
                format!(
                    "Invoice {} is already {}; only open invoices change status.",
                    row.number, row.status
                ),
            ));
        }
        billing::set_invoice_status(w.db(), org.as_str(), &row.id, status.as_str()).await?;
        w.record(AuditEvent::InvoiceStatusChanged {
            invoice: id,
            number: row.number,
            before,
            after: status,
        })
        .await?;
        w.commit().await?;
        row.status = status.as_str().to_owned();
        Ok(crate::billing::invoice_view(row))
    }
}

/// A subscription's terms as the audit log shows them.
fn terms(s: &SubscriptionRow) -> ServiceResult<Terms> {
    Ok(Terms {
        plan: s.plan.clone(),
        seats: s.seats,
        status: SubscriptionStatus::parse(&s.status)?,
        unit_price_cents: s.unit_price_cents,
    })
}

#[cfg(test)]
mod tests {
    use super::add_months;

    fn ms(s: &str) -> i64 {
        let t =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        (t.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn r18_periods_advance_by_calendar_months() {
        assert_eq!(
            add_months(ms("2026-01-31T10:00:00Z"), 1),
            ms("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            add_months(ms("2026-11-15T00:00:00Z"), 2),
            ms("2027-01-15T00:00:00Z")
        );
        assert_eq!(
            add_months(ms("2028-02-29T00:00:00Z"), 12),
            ms("2029-02-28T00:00:00Z")
        );
    }
}
