//! Organization API tokens: list, create (the secret is in the answer, once), revoke.

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::ApiTokenId;
use switchboard_service::api_tokens::{ApiTokenView, CreateApiToken, CreatedApiToken};
use switchboard_service::views::Page;

/// The organization's API tokens (never their secrets). Org Admins only.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/api-tokens", tag = "api tokens",
    responses((status = 200, body = Page<ApiTokenView>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<ApiTokenView>>> {
    Ok(Json(Page {
        items: state.services.list_api_tokens(&who).await?,
        next_cursor: None,
    }))
}

/// Create an API token; its secret (`token`) is in this answer only.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/api-tokens", tag = "api tokens",
    request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<CreateApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_api_token(&who, &ctx, req).await?),
    ))
}

/// Revoke an API token: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/api-tokens/{id}", tag = "api tokens",
    params(("id" = String, Path, description = "The token's id (`tok_…`), not its secret")),
    responses((status = 204)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(token): At<ApiTokenId>,
) -> ApiResult<StatusCode> {
    state.services.revoke_api_token(&who, &ctx, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
