//! R18: closing every ended period into an invoice, numbered without gaps, idempotently.

use super::add_months;
use crate::write::Actor;
use crate::{RequestInfo, ServiceResult, Services};
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::billing::{InvoiceLine, InvoiceStatus};
use switchboard_domain::ids::InvoiceId;
use switchboard_domain::plan;
use switchboard_store::billing::{self, InvoiceRow};
use switchboard_store::now_ms;

impl Services {
    /// R18: closes every period that ended by `now` into an invoice (one per period, numbered
    /// without gaps) and starts the next period. Running it again closes nothing twice.
    /// Returns the number of invoices written.
    pub async fn close_periods(&self, now: i64) -> ServiceResult<usize> {
        let due = {
            let mut c = self.store.read().await?;
            billing::subscriptions_due(&mut c, now).await?
        };
        let ctx = RequestInfo {
            request_id: "close-period".into(),
        };
        let mut written = 0;
        for s in due {
            let org = s.org_id.clone();
            let mut w = self.write_as(&org, Actor::System, &ctx).await?;
            // Re-read under the lock: another closer may have been first.
            let Some(mut sub) = billing::get_subscription(w.db(), &org, &s.id).await? else {
                continue;
            };
            if sub.period_end > now {
                w.unchanged().await?;
                continue;
            }
            while sub.period_end <= now {
                let period = sub.period;
                let label = plan::find(&sub.plan)
                    .map(|p| p.label.clone())
                    .unwrap_or_else(|_| sub.plan.clone());
                let line =
                    InvoiceLine::new(&sub.plan, &label, sub.seats, sub.unit_price_cents, period);
                let invoice = InvoiceRow {
                    org_id: sub.org_id.clone(),
                    id: InvoiceId::generate(),
                    number: billing::next_number(w.db(), "invoice_number").await?,
                    subscription_id: sub.id.clone(),
                    period_start: sub.period_start,
                    period_end: sub.period_end,
                    total_cents: line.amount_cents,
                    lines_json: serde_json::to_string(&[&line]).unwrap_or_else(|_| "[]".into()),
                    status: InvoiceStatus::Open,
                    created_at: now_ms(),
                };
                billing::insert_invoice(w.db(), &invoice).await?;
                w.record(AuditEvent::InvoiceClosed {
                    subscription: sub.id.clone(),
                    invoice: invoice.id.clone(),
                    number: invoice.number,
                    total_cents: invoice.total_cents,
                })
                .await?;
                sub.period_start = sub.period_end;
                sub.period_end = add_months(sub.period_end, period.months());
                written += 1;
            }
            billing::set_period(w.db(), &org, &sub.id, sub.period_start, sub.period_end).await?;
            w.commit().await?;
        }
        Ok(written)
    }
}
