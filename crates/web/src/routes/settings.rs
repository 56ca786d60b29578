//! The settings catalog and a team's settings (R19–R23).

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use switchboard_domain::ids::TeamId;
use switchboard_domain::settings::SettingSpec;
use switchboard_service::settings::TeamSettingsView;
use switchboard_service::views::Page;

/// The settings catalog: every key with its type, default, needed plan feature, label and help.
#[utoipa::path(get, path = "/api/v1/settings/catalog", tag = "settings", security(("session" = [])),
    responses((status = 200, body = Page<SettingSpec>), (status = 401, body = Problem)))]
pub async fn catalog(
    State(state): State<AppState>,
    _: crate::extract::SignedIn,
) -> Json<Page<SettingSpec>> {
    Json(Page {
        items: state.services.settings_catalog().to_vec(),
        next_cursor: None,
    })
}

/// Every catalog key for the team: effective value, source (default, team, policy, unavailable), lock, last change.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/settings", tag = "settings",
    params(("team" = String, Path)),
    responses((status = 200, body = TeamSettingsView)))]
pub async fn get_team_settings(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(team): At<TeamId>,
) -> ApiResult<Json<TeamSettingsView>> {
    Ok(Json(state.services.team_settings(&who, &team).await?))
}

/// Set team values (`{"key": value, …}`); `null` clears one. Locked keys are refused.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/teams/{team}/settings", tag = "settings",
    params(("team" = String, Path)), request_body = crate::openapi::TeamSettingsPatch,
    responses((status = 200, body = TeamSettingsView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn patch_team_settings(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(team): At<TeamId>,
    Body(body): Body<serde_json::Value>,
) -> ApiResult<Json<TeamSettingsView>> {
    Ok(Json(
        state
            .services
            .update_team_settings(&who, &ctx, &team, body)
            .await?,
    ))
}
