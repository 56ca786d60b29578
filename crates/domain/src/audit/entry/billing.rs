//! The entries of subscriptions, seat allocation, moves and invoices (see [`super`]).

use super::{part, v};
use crate::audit::event::AuditEvent;
use serde_json::{Value, json};

/// The entry of one event of this area; [`AuditEvent::parts`] sends only this area's here.
pub(super) fn parts(e: &AuditEvent) -> super::EntryParts {
    use AuditEvent::*;
    match e {
        SubscriptionCreated {
            subscription,
            name,
            terms,
            period,
        } => part(
            "subscription.create",
            subscription,
            Some(name),
            Value::Null,
            json!({"name": name, "plan": terms.plan, "seats": terms.seats, "status": terms.status,
                "unit_price_cents": terms.unit_price_cents, "period": period}),
        ),
        SubscriptionTermsChanged {
            subscription,
            name,
            before,
            after,
        } => part(
            "subscription.update",
            subscription,
            Some(name),
            v(before),
            v(after),
        ),
        SubscriptionRenamed {
            subscription,
            before,
            after,
        } => part(
            "subscription.rename",
            subscription,
            Some(after),
            json!({"name": before}),
            json!({"name": after}),
        ),
        PaymentMethodSet {
            subscription,
            name,
            before,
            after,
            exp_month,
            exp_year,
        } => part(
            "subscription.payment_method",
            subscription,
            Some(name),
            v(before),
            json!({"brand": after.brand, "last4": after.last4, "exp_month": exp_month, "exp_year": exp_year}),
        ),
        TeamAddedToSubscription {
            team,
            team_name,
            before,
            after,
        } => part(
            "subscription.team_add",
            team,
            Some(team_name),
            v(before),
            v(after),
        ),
        TeamReservationChanged {
            team,
            team_name,
            before,
            after,
        } => part(
            "subscription.team_reserve",
            team,
            Some(team_name),
            v(before),
            v(after),
        ),
        TeamRemovedFromSubscription {
            team,
            team_name,
            before,
        } => part(
            "subscription.team_remove",
            team,
            Some(team_name),
            v(before),
            json!({"subscription_id": null}),
        ),
        TeamMoved {
            team,
            team_name,
            before,
            after,
        } => part(
            "subscription.team_move",
            team,
            Some(team_name),
            v(before),
            v(after),
        ),
        InvoiceClosed {
            subscription,
            invoice,
            number,
            total_cents,
        } => part(
            "invoice.close",
            subscription,
            None,
            Value::Null,
            json!({"invoice_id": invoice, "number": number, "total_cents": total_cents}),
        ),
        InvoiceStatusChanged {
            invoice,
            number,
            before,
            after,
        } => part(
            "invoice.status",
            invoice,
            Some(&format!("Invoice {number}")),
            json!({"status": before}),
            json!({"status": after}),
        ),
        _ => unreachable!("AuditEvent::parts sends each area only its own events"),
    }
}
