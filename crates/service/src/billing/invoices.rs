//! R18: a subscription's invoices.

use super::{InvoiceView, invoice_view, load_subscription};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::ids::InvoiceId;
use switchboard_domain::ids::SubscriptionId;
use switchboard_store::billing::{self, SubscriptionRow};

impl Services {
    /// R18: the subscription's invoices, newest first.
    pub async fn list_invoices(
        &self,
        who: &OrgCaller,
        sub: &SubscriptionId,
    ) -> ServiceResult<Vec<InvoiceView>> {
        who.may(Action::ViewBilling)?;
        let mut c = self.store.read().await?;
        let row = load_subscription(&mut c, &who.org, sub).await?;
        billing::list_invoices(&mut c, &who.org, &row.id)
            .await?
            .into_iter()
            .map(invoice_view)
            .collect()
    }

    pub async fn get_invoice(
        &self,
        who: &OrgCaller,
        sub: &SubscriptionId,
        id: &InvoiceId,
    ) -> ServiceResult<(InvoiceView, SubscriptionRow)> {
        who.may(Action::ViewBilling)?;
        let not_found = || ServiceError::NotFound { what: "invoice" };
        let mut c = self.store.read().await?;
        let row = load_subscription(&mut c, &who.org, sub).await?;
        let inv = billing::get_invoice(&mut c, &who.org, id)
            .await?
            .ok_or_else(not_found)?;
        if inv.subscription_id != row.id {
            return Err(not_found());
        }
        Ok((invoice_view(inv)?, row))
    }
}
