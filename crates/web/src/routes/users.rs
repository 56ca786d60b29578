//! Users of an organization and their memberships.

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest, Params};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_service::users::{
    AddMembership, BulkAdd, BulkAddResult, RemovedMembership, UpdateMembership, UserPage, UserQuery,
};
use switchboard_service::views::{MembershipView, UserView};

/// Users, searched and filtered, one page at a time (R11).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users", tag = "users",
    params(UserQuery),
    responses((status = 200, body = UserPage), (status = 422, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(q): Params<UserQuery>,
) -> ApiResult<Json<UserPage>> {
    Ok(Json(state.services.list_users(&who, &q).await?))
}

/// Add up to 1,000 emails to a team; the answer says per email what happened (R6).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users", tag = "users",
    request_body = BulkAdd,
    responses((status = 200, body = BulkAddResult), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn bulk_add(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<BulkAdd>,
) -> ApiResult<Json<BulkAddResult>> {
    Ok(Json(state.services.bulk_add_users(&who, &ctx, req).await?))
}

/// A user with their memberships.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/{user}", tag = "users",
    params(("user" = String, Path)),
    responses((status = 200, body = UserView)))]
pub async fn get_user(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(user): At<UserId>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(state.services.get_user(&who, &user).await?))
}

/// Remove a user from the organization: every membership and the org role (R8).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/users/{user}", tag = "users",
    params(("user" = String, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn remove_from_org(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
) -> ApiResult<StatusCode> {
    state.services.remove_from_org(&who, &ctx, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail a user who has not signed in yet their invitation again (at most once per 10 minutes).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{user}/invitation", tag = "users",
    params(("user" = String, Path)),
    responses((status = 202, body = crate::routes::auth::Accepted), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn resend_invitation(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
) -> ApiResult<(StatusCode, Json<crate::routes::auth::Accepted>)> {
    state.services.resend_invitation(&who, &ctx, &user).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(crate::routes::auth::Accepted {
            detail: "The invitation is on its way.",
        }),
    ))
}

/// Add a user of the organization to another team (R5).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{user}/memberships", tag = "users",
    params(("user" = String, Path)), request_body = AddMembership,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_membership(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
    Body(req): Body<AddMembership>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .services
                .add_membership(&who, &ctx, &user, req)
                .await?,
        ),
    ))
}

/// Change a membership's team role or app access.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/users/{user}/memberships/{team}", tag = "users",
    params(("user" = String, Path), ("team" = String, Path)), request_body = UpdateMembership,
    responses((status = 200, body = MembershipView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_membership(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((user, team)): At<(UserId, TeamId)>,
    Body(req): Body<UpdateMembership>,
) -> ApiResult<Json<MembershipView>> {
    Ok(Json(
        state
            .services
            .update_membership(&who, &ctx, &user, &team, req)
            .await?,
    ))
}

/// Remove a user from one team; their last team takes them out of the organization (R7).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/users/{user}/memberships/{team}", tag = "users",
    params(("user" = String, Path), ("team" = String, Path)),
    responses((status = 200, body = RemovedMembership), (status = 409, body = Problem)))]
pub async fn remove_membership(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((user, team)): At<(UserId, TeamId)>,
) -> ApiResult<Json<RemovedMembership>> {
    Ok(Json(
        state
            .services
            .remove_membership(&who, &ctx, &user, &team)
            .await?,
    ))
}
