//! The organization itself.

use crate::AppState;
use crate::extract::{Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use switchboard_service::analytics::UpdateOrg;
use switchboard_service::views::OrgView;

/// The organization: name (once established) and initial team.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "org",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, body = OrgView)))]
pub async fn get_org(State(state): State<AppState>, InOrg(who): InOrg) -> ApiResult<Json<OrgView>> {
    Ok(Json(state.services.get_org(&who).await?))
}

/// Change the organization's settings: its time zone (analytics count days in it). Org Admins.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}", tag = "org",
    params(("org" = String, Path, description = "Organization id")), request_body = UpdateOrg,
    responses((status = 200, body = OrgView), (status = 422, body = Problem)))]
pub async fn update_org(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<UpdateOrg>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(state.services.update_org(&who, &ctx, req).await?))
}
