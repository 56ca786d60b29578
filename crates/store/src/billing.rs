//! Subscriptions (seat pools, periods, payment methods), invoices and the deployment-wide
//! counters that number them.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::billing::{InvoiceStatus, Period, SubscriptionStatus};
use switchboard_domain::ids::{InvoiceId, OrgId, SubscriptionId};

#[derive(Debug, Clone, FromRow)]
pub struct SubscriptionRow {
    pub org_id: OrgId,
    pub id: SubscriptionId,
    pub name: String,
    pub plan: String,
    pub seats: i64,
    pub status: SubscriptionStatus,
    pub period: Period,
    pub unit_price_cents: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub pm_provider_token: Option<String>,
    pub pm_brand: Option<String>,
    pub pm_last4: Option<String>,
    pub pm_exp_month: Option<i64>,
    pub pm_exp_year: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "org_id, id, name, plan, seats, status, period, unit_price_cents, period_start, period_end, \
     pm_provider_token, pm_brand, pm_last4, pm_exp_month, pm_exp_year, created_at";

pub async fn insert_subscription(c: &mut Conn, s: &SubscriptionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO subscriptions (org_id, id, name, plan, seats, status, period, unit_price_cents, period_start, \
         period_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&s.org_id)
    .bind(&s.id)
    .bind(&s.name)
    .bind(&s.plan)
    .bind(s.seats)
    .bind(s.status)
    .bind(s.period)
    .bind(s.unit_price_cents)
    .bind(s.period_start)
    .bind(s.period_end)
    .bind(s.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn get_subscription(
    c: &mut Conn,
    org: &OrgId,
    id: &SubscriptionId,
) -> Result<Option<SubscriptionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE org_id = $1 AND id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

/// A subscription by id alone, for the operator API (which is not scoped to an organization).
pub async fn find_subscription(
    c: &mut Conn,
    id: &SubscriptionId,
) -> Result<Option<SubscriptionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn list_subscriptions(c: &mut Conn, org: &OrgId) -> Result<Vec<SubscriptionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE org_id = $1 ORDER BY id"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Subscriptions whose current period ended before `now`, across organizations (not canceled ones:
/// they bill nothing more).
pub async fn subscriptions_due(c: &mut Conn, now: i64) -> Result<Vec<SubscriptionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE period_end <= $1 AND status <> 'canceled' ORDER BY id"
    ))
    .bind(now)
    .fetch_all(c)
    .await?)
}

/// Writes the operator-controlled terms: plan, pool size, status, unit price.
pub async fn update_terms(c: &mut Conn, s: &SubscriptionRow) -> Result<()> {
    sqlx::query("UPDATE subscriptions SET plan = $3, seats = $4, status = $5, unit_price_cents = $6 WHERE org_id = $1 AND id = $2")
        .bind(&s.org_id)
        .bind(&s.id)
        .bind(&s.plan)
        .bind(s.seats)
        .bind(s.status)
        .bind(s.unit_price_cents)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn rename(c: &mut Conn, org: &OrgId, id: &SubscriptionId, name: &str) -> Result<()> {
    sqlx::query("UPDATE subscriptions SET name = $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .bind(name)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_period(
    c: &mut Conn,
    org: &OrgId,
    id: &SubscriptionId,
    start: i64,
    end: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE subscriptions SET period_start = $3, period_end = $4 WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(start)
    .bind(end)
    .execute(c)
    .await?;
    Ok(())
}

/// A payment method as stored: provider token, brand, last four digits, expiry month and year.
#[derive(Debug, Clone)]
pub struct PaymentMethodRow {
    pub provider_token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

pub async fn set_payment_method(
    c: &mut Conn,
    org: &OrgId,
    id: &SubscriptionId,
    pm: &PaymentMethodRow,
) -> Result<()> {
    sqlx::query(
        "UPDATE subscriptions SET pm_provider_token = $3, pm_brand = $4, pm_last4 = $5, pm_exp_month = $6, \
         pm_exp_year = $7 WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(&pm.provider_token)
    .bind(&pm.brand)
    .bind(&pm.last4)
    .bind(pm.exp_month)
    .bind(pm.exp_year)
    .execute(c)
    .await?;
    Ok(())
}

/// The next number of a deployment-wide sequence. Gapless: the increment commits or rolls back
/// with the row that uses it.
pub async fn next_number(c: &mut Conn, counter: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
            .bind(counter)
            .fetch_one(c)
            .await?,
    )
}

#[derive(Debug, Clone, FromRow)]
pub struct InvoiceRow {
    pub org_id: OrgId,
    pub id: InvoiceId,
    pub number: i64,
    pub subscription_id: SubscriptionId,
    pub period_start: i64,
    pub period_end: i64,
    pub lines_json: String,
    pub total_cents: i64,
    pub status: InvoiceStatus,
    pub created_at: i64,
}

const INVOICE_COLUMNS: &str = "org_id, id, number, subscription_id, period_start, period_end, lines_json, total_cents, status, created_at";

pub async fn insert_invoice(c: &mut Conn, i: &InvoiceRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&i.org_id)
    .bind(&i.id)
    .bind(i.number)
    .bind(&i.subscription_id)
    .bind(i.period_start)
    .bind(i.period_end)
    .bind(&i.lines_json)
    .bind(i.total_cents)
    .bind(i.status)
    .bind(i.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn list_invoices(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
) -> Result<Vec<InvoiceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE org_id = $1 AND subscription_id = $2 ORDER BY number DESC"
    ))
    .bind(org)
    .bind(sub)
    .fetch_all(c)
    .await?)
}

pub async fn get_invoice(c: &mut Conn, org: &OrgId, id: &InvoiceId) -> Result<Option<InvoiceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE org_id = $1 AND id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

/// An invoice by id alone, for the operator API.
pub async fn find_invoice(c: &mut Conn, id: &InvoiceId) -> Result<Option<InvoiceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn set_invoice_status(
    c: &mut Conn,
    org: &OrgId,
    id: &InvoiceId,
    status: InvoiceStatus,
) -> Result<()> {
    sqlx::query("UPDATE invoices SET status = $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .bind(status)
        .execute(c)
        .await?;
    Ok(())
}
