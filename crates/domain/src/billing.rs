//! Billing rules: what a payment method may hold (never a card number), billing periods, and the
//! lines of an invoice.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// A payment method as a payment provider hands it back: its token and what may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    pub provider_token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

const BRANDS: &[&str] = &[
    "visa",
    "mastercard",
    "amex",
    "discover",
    "diners",
    "jcb",
    "unionpay",
    "other",
];

/// True if the text holds a run of 13–19 digits (spaces and dashes allowed between them): what a
/// primary account number looks like. Such text is never stored.
pub fn looks_like_card_number(text: &str) -> bool {
    let mut digits = 0;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits += 1;
            if digits >= 13 {
                return true;
            }
        } else if ch != ' ' && ch != '-' {
            digits = 0;
        }
    }
    false
}

impl PaymentMethod {
    /// Validates the fields; `today` is (year, month) for the expiry check.
    pub fn parse(
        provider_token: &str,
        brand: &str,
        last4: &str,
        exp_month: i64,
        exp_year: i64,
        today: (i64, i64),
    ) -> Result<Self, DomainError> {
        let token = provider_token.trim();
        if token.is_empty() || token.len() > 200 {
            return Err(DomainError::new(
                "provider_token",
                "must be the payment provider's token (1–200 characters)",
            ));
        }
        if looks_like_card_number(token) {
            return Err(DomainError::new(
                "provider_token",
                "looks like a card number; send the provider's token, never the card",
            ));
        }
        let brand = brand.trim().to_lowercase();
        if !BRANDS.contains(&brand.as_str()) {
            return Err(DomainError::new(
                "brand",
                format!("must be one of {}", BRANDS.join(", ")),
            ));
        }
        if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::new(
                "last4",
                "must be exactly the last 4 digits of the card",
            ));
        }
        if !(1..=12).contains(&exp_month) {
            return Err(DomainError::new(
                "exp_month",
                "must be a month from 1 to 12",
            ));
        }
        if !(2000..=2100).contains(&exp_year) {
            return Err(DomainError::new("exp_year", "must be a four-digit year"));
        }
        if (exp_year, exp_month) < today {
            return Err(DomainError::new("exp_year", "the card has expired"));
        }
        Ok(Self {
            provider_token: token.to_owned(),
            brand,
            last4: last4.to_owned(),
            exp_month,
            exp_year,
        })
    }
}

crate::text_enum!(
    /// How often a subscription is billed.
    Period, "period", { Monthly = "monthly", Annual = "annual" });

impl Period {
    pub fn months(self) -> i64 {
        match self {
            Self::Monthly => 1,
            Self::Annual => 12,
        }
    }
}

crate::text_enum!(
    /// A subscription's standing, set by the operator: a canceled subscription holds no seats.
    SubscriptionStatus, "status", { Active = "active", PastDue = "past_due", Canceled = "canceled" });

crate::text_enum!(
    /// An invoice: open until the operator records it paid, or voids it; paid and void are final.
    InvoiceStatus, "status", { Open = "open", Paid = "paid", Void = "void" });

/// One line of an invoice: plan × seats × unit price × months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    pub description: String,
    pub plan: String,
    pub seats: i64,
    pub unit_price_cents: i64,
    pub months: i64,
    pub amount_cents: i64,
}

impl InvoiceLine {
    pub fn new(
        plan: &str,
        plan_label: &str,
        seats: i64,
        unit_price_cents: i64,
        period: Period,
    ) -> Self {
        let months = period.months();
        Self {
            description: format!("{plan_label} plan, {seats} seat(s) × {months} month(s)"),
            plan: plan.to_owned(),
            seats,
            unit_price_cents,
            months,
            amount_cents: seats * unit_price_cents * months,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r12_card_numbers_are_recognized() {
        assert!(looks_like_card_number("4111111111111111"));
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("pm: 4111-1111-1111-1111"));
        assert!(!looks_like_card_number("tok_1234"));
        assert!(!looks_like_card_number("2029"));
    }

    #[test]
    fn r12_payment_method_is_validated() {
        let ok = PaymentMethod::parse("tok_abc", "Visa", "4242", 12, 2030, (2026, 11)).unwrap();
        assert_eq!(ok.brand, "visa");
        assert_eq!(
            PaymentMethod::parse("4242424242424242", "visa", "4242", 12, 2030, (2026, 11))
                .unwrap_err()
                .field,
            "provider_token"
        );
        assert_eq!(
            PaymentMethod::parse("tok", "visa", "42424", 12, 2030, (2026, 11))
                .unwrap_err()
                .field,
            "last4"
        );
        assert_eq!(
            PaymentMethod::parse("tok", "visa", "4242", 13, 2030, (2026, 11))
                .unwrap_err()
                .field,
            "exp_month"
        );
        assert_eq!(
            PaymentMethod::parse("tok", "visa", "4242", 10, 2026, (2026, 11))
                .unwrap_err()
                .field,
            "exp_year"
        );
        assert_eq!(
            PaymentMethod::parse("tok", "bitcoin", "4242", 10, 2030, (2026, 11))
                .unwrap_err()
                .field,
            "brand"
        );
    }

    #[test]
    fn r18_invoice_line_multiplies_plan_seats_and_price() {
        let line = InvoiceLine::new("business", "Business", 25, 3000, Period::Annual);
        assert_eq!(line.amount_cents, 25 * 3000 * 12);
    }
}
