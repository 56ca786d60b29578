//! Enrollment keys and devices of device-login teams (Org Admins, and Team Admins of the team).

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest, OptionalBody};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_domain::ids::{DeviceId, EnrollmentKeyId, TeamId};
use switchboard_service::apps::{CreateEnrollmentKey, DeviceView, EnrollmentKeyView, RenameDevice};
use switchboard_service::views::Page;

/// Create an enrollment key (optional expiry and use count); the key is in this answer only.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams/{team}/enrollment-keys", tag = "devices",
    params(("team" = String, Path)), request_body = CreateEnrollmentKey,
    responses((status = 201, body = EnrollmentKeyView), (status = 422, body = Problem)))]
pub async fn create_key(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(team): At<TeamId>,
    OptionalBody(req): OptionalBody<CreateEnrollmentKey>,
) -> ApiResult<(StatusCode, Json<EnrollmentKeyView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .services
                .create_enrollment_key(&who, &ctx, &team, req)
                .await?,
        ),
    ))
}

/// The team's enrollment keys (without the keys themselves).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/enrollment-keys", tag = "devices",
    params(("team" = String, Path)),
    responses((status = 200, body = Page<EnrollmentKeyView>)))]
pub async fn list_keys(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(team): At<TeamId>,
) -> ApiResult<Json<Page<EnrollmentKeyView>>> {
    Ok(Json(Page {
        items: state.services.list_enrollment_keys(&who, &team).await?,
        next_cursor: None,
    }))
}

/// Revoke an enrollment key.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}/enrollment-keys/{key}", tag = "devices",
    params(("team" = String, Path), ("key" = String, Path)),
    responses((status = 204)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((team, key)): At<(TeamId, EnrollmentKeyId)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .revoke_enrollment_key(&who, &ctx, &team, &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The team's enrolled devices.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/devices", tag = "devices",
    params(("team" = String, Path)),
    responses((status = 200, body = Page<DeviceView>)))]
pub async fn list_devices(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(team): At<TeamId>,
) -> ApiResult<Json<Page<DeviceView>>> {
    Ok(Json(Page {
        items: state.services.list_devices(&who, &team).await?,
        next_cursor: None,
    }))
}

/// Rename a device.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/teams/{team}/devices/{device}", tag = "devices",
    params(("team" = String, Path), ("device" = String, Path)), request_body = RenameDevice,
    responses((status = 200, body = DeviceView), (status = 422, body = Problem)))]
pub async fn rename_device(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((team, device)): At<(TeamId, DeviceId)>,
    Body(req): Body<RenameDevice>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(
        state
            .services
            .rename_device(&who, &ctx, &team, &device, req)
            .await?,
    ))
}

/// Remove a device: its seat is freed and its token stops working.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}/devices/{device}", tag = "devices",
    params(("team" = String, Path), ("device" = String, Path)),
    responses((status = 204)))]
pub async fn remove_device(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((team, device)): At<(TeamId, DeviceId)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .remove_device(&who, &ctx, &team, &device)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
