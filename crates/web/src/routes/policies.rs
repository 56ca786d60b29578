//! Setting policies (R21, R22) and SSO policies (R24).

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::{PolicyId, UserId};
use switchboard_service::settings::{
    CreatePolicy, CreateSsoPolicy, PolicyView, SsoPolicyView, UpdatePolicy, UpdateSsoPolicy,
};
use switchboard_service::sso::SsoLinkView;
use switchboard_service::views::Page;

/// Setting policies of the organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/policies", tag = "policies",
    responses((status = 200, body = Page<PolicyView>)))]
pub async fn list_policies(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<PolicyView>>> {
    Ok(Json(Page {
        items: state.services.list_policies(&who).await?,
        next_cursor: None,
    }))
}

/// Create a setting policy and apply it to teams; a key another policy sets on a shared team is refused (R22).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/policies", tag = "policies",
    request_body = CreatePolicy,
    responses((status = 201, body = PolicyView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<CreatePolicy>,
) -> ApiResult<(StatusCode, Json<PolicyView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_policy(&who, &ctx, req).await?),
    ))
}

/// One setting policy.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/policies/{pol}", tag = "policies",
    params(("pol" = String, Path)),
    responses((status = 200, body = PolicyView)))]
pub async fn get_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(pol): At<PolicyId>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(state.services.get_policy(&who, &pol).await?))
}

/// Edit a setting policy: name, values, teams (applying or unapplying takes effect at once).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/policies/{pol}", tag = "policies",
    params(("pol" = String, Path)), request_body = UpdatePolicy,
    responses((status = 200, body = PolicyView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(pol): At<PolicyId>,
    Body(req): Body<UpdatePolicy>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(
        state.services.update_policy(&who, &ctx, &pol, req).await?,
    ))
}

/// Delete a setting policy; its teams' own values apply again (R21).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/policies/{pol}", tag = "policies",
    params(("pol" = String, Path)),
    responses((status = 204)))]
pub async fn delete_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(pol): At<PolicyId>,
) -> ApiResult<StatusCode> {
    state.services.delete_policy(&who, &ctx, &pol).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// SSO policies of the organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/sso-policies", tag = "policies",
    responses((status = 200, body = Page<SsoPolicyView>)))]
pub async fn list_sso_policies(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<SsoPolicyView>>> {
    Ok(Json(Page {
        items: state.services.list_sso_policies(&who).await?,
        next_cursor: None,
    }))
}

/// Create an SSO policy (OpenID provider; the secret is stored encrypted) for email-login teams (R24).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/sso-policies", tag = "policies",
    request_body = CreateSsoPolicy,
    responses((status = 201, body = SsoPolicyView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_sso_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<CreateSsoPolicy>,
) -> ApiResult<(StatusCode, Json<SsoPolicyView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_sso_policy(&who, &ctx, req).await?),
    ))
}

/// One SSO policy (without its secret).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/sso-policies/{pol}", tag = "policies",
    params(("pol" = String, Path)),
    responses((status = 200, body = SsoPolicyView)))]
pub async fn get_sso_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(pol): At<PolicyId>,
) -> ApiResult<Json<SsoPolicyView>> {
    Ok(Json(state.services.get_sso_policy(&who, &pol).await?))
}

/// Edit an SSO policy.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/sso-policies/{pol}", tag = "policies",
    params(("pol" = String, Path)), request_body = UpdateSsoPolicy,
    responses((status = 200, body = SsoPolicyView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_sso_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(pol): At<PolicyId>,
    Body(req): Body<UpdateSsoPolicy>,
) -> ApiResult<Json<SsoPolicyView>> {
    Ok(Json(
        state
            .services
            .update_sso_policy(&who, &ctx, &pol, req)
            .await?,
    ))
}

/// Delete an SSO policy.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/sso-policies/{pol}", tag = "policies",
    params(("pol" = String, Path)),
    responses((status = 204)))]
pub async fn delete_sso_policy(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(pol): At<PolicyId>,
) -> ApiResult<StatusCode> {
    state.services.delete_sso_policy(&who, &ctx, &pol).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The person's identity-provider accounts, one per SSO policy they signed in through (R33).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/{user}/sso-links", tag = "policies",
    params(("user" = String, Path)),
    responses((status = 200, body = Page<SsoLinkView>)))]
pub async fn list_sso_links(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(user): At<UserId>,
) -> ApiResult<Json<Page<SsoLinkView>>> {
    Ok(Json(Page {
        items: state.services.sso_links(&who, &user).await?,
        next_cursor: None,
    }))
}

/// Unlink the person's identity-provider accounts: their next single sign-on links the account
/// it comes with (R33). Audited as `sso.link_reset`.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/users/{user}/sso-links", tag = "policies",
    params(("user" = String, Path)),
    responses((status = 204)))]
pub async fn reset_sso_links(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(user): At<UserId>,
) -> ApiResult<StatusCode> {
    state.services.reset_sso_links(&who, &ctx, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
