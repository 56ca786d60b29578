//! Teams of an organization.

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::TeamId;
use switchboard_service::teams::{CreateTeam, UpdateTeam};
use switchboard_service::views::{Page, TeamView};

/// Teams the caller may see, with plan and seat use.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    responses((status = 200, body = Page<TeamView>)))]
pub async fn list_teams(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<TeamView>>> {
    Ok(Json(Page {
        items: state.services.list_teams(&who).await?,
        next_cursor: None,
    }))
}

/// Create a team; the first creation by the initial team's admin establishes the organization (R2).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    request_body = CreateTeam,
    responses((status = 201, body = TeamView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<CreateTeam>,
) -> ApiResult<(StatusCode, Json<TeamView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_team(&who, &ctx, req).await?),
    ))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("team" = String, Path)),
    responses((status = 200, body = TeamView)))]
pub async fn get_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(team): At<TeamId>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(state.services.get_team(&who, &team).await?))
}

/// Rename a team or edit its description.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("team" = String, Path)), request_body = UpdateTeam,
    responses((status = 200, body = TeamView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(team): At<TeamId>,
    Body(req): Body<UpdateTeam>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(
        state.services.update_team(&who, &ctx, &team, req).await?,
    ))
}

/// Delete a team that has no members (never the initial team).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("team" = String, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn delete_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(team): At<TeamId>,
) -> ApiResult<StatusCode> {
    state.services.delete_team(&who, &ctx, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}
