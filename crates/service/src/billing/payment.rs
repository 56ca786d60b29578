//! R12: a payment method: only the provider's token, brand, last four and expiry, never a card
//! number — set by an Org Admin through the API, or by the operator with what the vendor's
//! payment provider handed back.

use super::{PaymentMethodInput, SubscriptionView, load_subscription, subscription_view};
use crate::write::{Actor, Write};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, CardSummary};
use switchboard_domain::billing::{PaymentMethod, looks_like_card_number};
use switchboard_domain::ids::{OrgId, SubscriptionId};
use switchboard_store::billing::{self, PaymentMethodRow};

/// R12: the body checked: anything like a card number refuses it whole; else the provider's
/// token, brand, last four and an expiry not yet past.
fn checked(body: serde_json::Value) -> ServiceResult<PaymentMethod> {
    fn scan(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => looks_like_card_number(s),
            serde_json::Value::Number(n) => looks_like_card_number(&n.to_string()),
            serde_json::Value::Array(a) => a.iter().any(scan),
            serde_json::Value::Object(o) => {
                o.iter().any(|(k, v)| looks_like_card_number(k) || scan(v))
            }
            _ => false,
        }
    }
    if scan(&body) {
        return Err(ServiceError::invalid(
            "payment_method",
            "looks like it carries a card number; send the payment provider's token, brand, last4 and expiry only",
        ));
    }
    let input: PaymentMethodInput = serde_json::from_value(body)
        .map_err(|e| ServiceError::invalid("payment_method", format!("does not fit: {e}")))?;
    let today = time::OffsetDateTime::now_utc();
    Ok(PaymentMethod::parse(
        &input.provider_token,
        &input.brand,
        &input.last4,
        input.exp_month,
        input.exp_year,
        (i64::from(today.year()), today.month() as i64),
    )?)
}

impl Services {
    /// R12: an Org Admin stores a payment method: only the provider's token, brand, last four
    /// and expiry. Any body holding something like a card number is refused whole.
    pub async fn set_payment_method(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        sub: &SubscriptionId,
        body: serde_json::Value,
    ) -> ServiceResult<SubscriptionView> {
        let pm = checked(body)?;
        let w = self.write(who, ctx).await?;
        w.may(Action::SetPaymentMethod)?;
        store_payment_method(w, &who.org, sub, pm).await
    }

    /// R12: the operator stores the payment method the vendor's payment provider handed back
    /// for a subscription (the usual way: the customer enters the card on the provider's page).
    pub async fn operator_set_payment_method(
        &self,
        ctx: &RequestInfo,
        id: &SubscriptionId,
        body: serde_json::Value,
    ) -> ServiceResult<SubscriptionView> {
        let pm = checked(body)?;
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
        let w = self.write_as(&org, Actor::Operator, ctx).await?;
        store_payment_method(w, &org, id, pm).await
    }
}

/// Stores the method on the subscription, audited, and commits.
async fn store_payment_method(
    mut w: Write,
    org: &OrgId,
    sub: &SubscriptionId,
    pm: PaymentMethod,
) -> ServiceResult<SubscriptionView> {
    let row = load_subscription(w.db(), org, sub).await?;
    let stored = PaymentMethodRow {
        provider_token: pm.provider_token,
        brand: pm.brand.clone(),
        last4: pm.last4.clone(),
        exp_month: pm.exp_month,
        exp_year: pm.exp_year,
    };
    billing::set_payment_method(w.db(), org, &row.id, &stored).await?;
    w.record(AuditEvent::PaymentMethodSet {
        subscription: row.id.clone(),
        name: row.name.clone(),
        before: CardSummary {
            brand: row.pm_brand.clone(),
            last4: row.pm_last4.clone(),
        },
        after: CardSummary {
            brand: Some(pm.brand),
            last4: Some(pm.last4),
        },
        exp_month: pm.exp_month,
        exp_year: pm.exp_year,
    })
    .await?;
    let row = load_subscription(w.db(), org, sub).await?;
    let view = subscription_view(w.db(), row).await?;
    w.commit().await?;
    Ok(view)
}
