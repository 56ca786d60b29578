//! The operator's side of billing: creating and changing subscriptions (plan, pool size, status,
//! price), and closing ended periods into invoices (R18), by hand (`switchboard billing
//! close-period`) or by the server's background task.

mod invoice_status;
mod periods;
mod terms;

use crate::{ServiceError, ServiceResult};
use serde::Deserialize;
use switchboard_domain::audit::event::Terms;
use switchboard_domain::billing::{InvoiceStatus, Period, SubscriptionStatus};
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::SubscriptionId;
use switchboard_domain::plan;
use switchboard_store::billing::SubscriptionRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    #[schema(min_length = 1, max_length = 64)]
    pub plan: String,
    #[schema(minimum = 0, maximum = 1000000)]
    pub seats: i64,
    /// Default: the plan's label.
    #[schema(min_length = 1, max_length = 100, nullable = false)]
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
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let total = i64::from(t.year()) * 12 + (t.month() as i64 - 1) + months;
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
    org: &OrgId,
    plan: &plan::Plan,
    seats: i64,
    name: &str,
    period: Period,
    unit_price_cents: i64,
    now: i64,
) -> SubscriptionRow {
    SubscriptionRow {
        org_id: org.to_owned(),
        id: SubscriptionId::generate(),
        name: name.to_owned(),
        plan: plan.name.clone(),
        seats,
        status: SubscriptionStatus::Active,
        period,
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetInvoiceStatus {
    /// `paid` or `void` (from `open`).
    pub status: InvoiceDecision,
}

switchboard_domain::text_enum!(
    /// What the operator records of an open invoice: it was paid, or it is void.
    InvoiceDecision, "status", { Paid = "paid", Void = "void" });

impl From<InvoiceDecision> for InvoiceStatus {
    fn from(d: InvoiceDecision) -> Self {
        match d {
            InvoiceDecision::Paid => InvoiceStatus::Paid,
            InvoiceDecision::Void => InvoiceStatus::Void,
        }
    }
}

/// A subscription's terms as the audit log shows them.
fn terms(s: &SubscriptionRow) -> ServiceResult<Terms> {
    Ok(Terms {
        plan: s.plan.clone(),
        seats: s.seats,
        status: s.status,
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
