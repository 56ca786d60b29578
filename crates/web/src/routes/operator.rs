//! The operator API: provisioning customers and reading the plan catalog.

use crate::AppState;
use crate::extract::{Body, Operator, RequestCtx};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::plan::Plan;
use switchboard_service::operator::{ProvisionRequest, Provisioned};

/// Provision a customer: an organization, its initial team, a subscription and the first Team Admin (R1).
#[utoipa::path(post, path = "/operator/v1/customers", tag = "operator", security(("operator" = [])),
    request_body = ProvisionRequest,
    responses((status = 201, body = Provisioned), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn provision_customer(
    _: Operator,
    State(state): State<AppState>,
    RequestCtx(ctx): RequestCtx,
    Body(req): Body<ProvisionRequest>,
) -> ApiResult<(StatusCode, Json<Provisioned>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.provision_customer(&ctx, req).await?),
    ))
}

/// The plan catalog.
#[utoipa::path(get, path = "/operator/v1/plans", tag = "operator", security(("operator" = [])),
    responses((status = 200, body = Vec<Plan>), (status = 401, body = Problem)))]
pub async fn list_plans(_: Operator, State(state): State<AppState>) -> Json<&'static [Plan]> {
    Json(state.services.plans())
}
