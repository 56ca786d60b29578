//! Org roles: Org Admins and Org Analysts.

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::UserId;
use switchboard_service::roles::{AssignRole, AssignedRole, ChangeRole};
use switchboard_service::views::{OrgRoleView, Page};

/// Users holding an org role.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/admins", tag = "org roles",
    responses((status = 200, body = Page<OrgRoleView>)))]
pub async fn list_roles(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<OrgRoleView>>> {
    Ok(Json(Page {
        items: state.services.list_org_roles(&who).await?,
        next_cursor: None,
    }))
}

/// Give a user an org role by email; a newcomer joins the initial team (R9).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/admins", tag = "org roles",
    request_body = AssignRole,
    responses((status = 201, body = AssignedRole), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_role(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<AssignRole>,
) -> ApiResult<(StatusCode, Json<AssignedRole>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.assign_org_role(&who, &ctx, req).await?),
    ))
}

/// Change a user's org role; the last Org Admin can't be demoted (R10).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/admins/{user}", tag = "org roles",
    params(("user" = String, Path)), request_body = ChangeRole,
    responses((status = 200, body = OrgRoleView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_role(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
    Body(req): Body<ChangeRole>,
) -> ApiResult<Json<OrgRoleView>> {
    Ok(Json(
        state
            .services
            .change_org_role(&who, &ctx, &user, req)
            .await?,
    ))
}

/// Revoke a user's org role; never the last Org Admin's (R10).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/admins/{user}", tag = "org roles",
    params(("user" = String, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn revoke_role(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
) -> ApiResult<StatusCode> {
    state.services.revoke_org_role(&who, &ctx, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
