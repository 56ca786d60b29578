//! The operator records an open invoice as paid, or voids it.

use super::SetInvoiceStatus;
use crate::ProblemCode;
use crate::billing::InvoiceView;
use crate::write::Actor;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::billing::InvoiceStatus;
use switchboard_domain::ids::InvoiceId;
use switchboard_store::billing::{self};

impl Services {
    /// The operator records an open invoice as paid or voids it; paid and void are final.
    pub async fn set_invoice_status(
        &self,
        ctx: &RequestInfo,
        id: &InvoiceId,
        req: SetInvoiceStatus,
    ) -> ServiceResult<InvoiceView> {
        let not_found = || ServiceError::NotFound { what: "invoice" };
        let status = InvoiceStatus::from(req.status);
        let org = {
            let mut c = self.store.read().await?;
            billing::find_invoice(&mut c, id)
                .await?
                .ok_or_else(not_found)?
                .org_id
        };
        let mut w = self.write_as(&org, Actor::Operator, ctx).await?;
        let mut row = billing::find_invoice(w.db(), id)
            .await?
            .ok_or_else(not_found)?;
        let before = row.status;
        if before != InvoiceStatus::Open {
            return Err(ServiceError::conflict(
                ProblemCode::InvoiceClosed,
                format!(
                    "Invoice {} is already {}; only open invoices change status.",
                    row.number, row.status
                ),
            ));
        }
        billing::set_invoice_status(w.db(), &org, &row.id, status).await?;
        let number = row.number;
        row.status = status;
        // Read before the commit: an invoice that can't be shown changes nothing.
        let view = crate::billing::invoice_view(row)?;
        w.record(AuditEvent::InvoiceStatusChanged {
            invoice: id.clone(),
            number,
            before,
            after: status,
        })
        .await?;
        w.commit().await?;
        Ok(view)
    }
}
