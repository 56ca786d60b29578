//! Org analytics (R26): per-team figures for a period, beside the previous period's.

use crate::AppState;
use crate::extract::{InOrg, Params};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use switchboard_service::analytics::TeamsAnalytics;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// The first day (`YYYY-MM-DD`, in the organization's time zone); default: 29 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; default: today.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// Per team: members, seats held, active users, calls, call minutes, minutes per feature and
/// adoption, with the same figures for the previous period of the same length. Team Admins see
/// their own teams.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/analytics/teams", tag = "analytics", security(("session" = [])),
    params(("org" = String, Path), Period),
    responses((status = 200, body = TeamsAnalytics), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn team_analytics(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(p): Params<Period>,
) -> ApiResult<Json<TeamsAnalytics>> {
    Ok(Json(
        state
            .services
            .team_analytics(&who, p.from.as_deref(), p.to.as_deref())
            .await?,
    ))
}
