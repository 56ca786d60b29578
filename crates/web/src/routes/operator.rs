//! The operator API: provisioning customers and reading the plan catalog.

use crate::AppState;
use crate::extract::{At, Body, InRequest, Operator};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::{InvoiceId, OrgId, SubscriptionId};
use switchboard_domain::plan::Plan;
use switchboard_service::billing::operator::{
    CreateSubscription, SetInvoiceStatus, UpdateSubscription,
};
use switchboard_service::billing::{InvoiceView, PaymentMethodInput, SubscriptionView};
use switchboard_service::operator::{ProvisionRequest, Provisioned};
use switchboard_service::views::Page;

/// Provision a customer: an organization, its initial team, a subscription and the first Team Admin (R1).
#[utoipa::path(post, path = "/operator/v1/customers", tag = "operator", security(("operator" = [])),
    request_body = ProvisionRequest,
    responses((status = 201, body = Provisioned), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn provision_customer(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    Body(req): Body<ProvisionRequest>,
) -> ApiResult<(StatusCode, Json<Provisioned>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.provision_customer(&ctx, req).await?),
    ))
}

/// The plan catalog.
#[utoipa::path(get, path = "/operator/v1/plans", tag = "operator", security(("operator" = [])),
    responses((status = 200, body = Page<Plan>), (status = 401, body = Problem)))]
pub async fn list_plans(_: Operator, State(state): State<AppState>) -> Json<Page<Plan>> {
    Json(Page {
        items: state.services.plans().to_vec(),
        next_cursor: None,
    })
}

/// Add a subscription (covering no team yet) to an organization.
#[utoipa::path(post, path = "/operator/v1/orgs/{org}/subscriptions", tag = "operator", security(("operator" = [])),
    params(("org" = String, Path)), request_body = CreateSubscription,
    responses((status = 201, body = SubscriptionView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_subscription(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    At(org): At<OrgId>,
    Body(req): Body<CreateSubscription>,
) -> ApiResult<(StatusCode, Json<SubscriptionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_subscription(&ctx, &org, req).await?),
    ))
}

/// Resize a pool, change plan, status or price. Shrinking below use needs `force`.
#[utoipa::path(patch, path = "/operator/v1/subscriptions/{sub}", tag = "operator", security(("operator" = [])),
    params(("sub" = String, Path)), request_body = UpdateSubscription,
    responses((status = 200, body = SubscriptionView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_subscription(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    At(sub): At<SubscriptionId>,
    Body(req): Body<UpdateSubscription>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state.services.update_subscription(&ctx, &sub, req).await?,
    ))
}

/// Record an open invoice as paid, or void it.
#[utoipa::path(patch, path = "/operator/v1/invoices/{invoice}", tag = "operator", security(("operator" = [])),
    params(("invoice" = String, Path)), request_body = SetInvoiceStatus,
    responses((status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_invoice_status(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    At(invoice): At<InvoiceId>,
    Body(req): Body<SetInvoiceStatus>,
) -> ApiResult<Json<InvoiceView>> {
    Ok(Json(
        state
            .services
            .set_invoice_status(&ctx, &invoice, req)
            .await?,
    ))
}

/// Set a subscription's payment method as the vendor's payment provider handed it back: the
/// provider's token, brand, last four digits and expiry — never a card number (R12).
#[utoipa::path(put, path = "/operator/v1/subscriptions/{sub}/payment-method", tag = "operator", security(("operator" = [])),
    params(("sub" = String, Path)), request_body = PaymentMethodInput,
    responses((status = 200, body = SubscriptionView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn operator_set_payment_method(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    At(sub): At<SubscriptionId>,
    Body(body): Body<serde_json::Value>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .operator_set_payment_method(&ctx, &sub, body)
            .await?,
    ))
}
