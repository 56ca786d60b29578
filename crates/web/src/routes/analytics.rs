//! Org analytics (R26): per-team figures for a period beside the previous period's, a metric
//! over time, and per-person figures — each also as CSV (`format=csv`, formulas neutralized) —
//! and the summary mailed to the caller.

use crate::AppState;
use crate::extract::{InOrg, Params};
use crate::pages::browser::csv_download;
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use switchboard_service::analytics::{Interval, Series, TeamsAnalytics, UsersUsage};
use switchboard_service::audit::ExportFormat;
use switchboard_service::export::to_csv;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// The first day (`YYYY-MM-DD`, in the organization's time zone); default: 29 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; default: today. At most 400 days in all.
    #[param(format = Date)]
    pub to: Option<String>,
    /// `csv` for a spreadsheet.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ExportFormat>,
}

/// Per team: members, seats held, active users, calls, call minutes, minutes per feature and
/// adoption, with the same figures for the previous period of the same length. Team Admins see
/// their own teams.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/analytics/teams", tag = "analytics",
    params(Period),
    responses((status = 200, body = TeamsAnalytics, content((TeamsAnalytics = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn team_analytics(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(p): Params<Period>,
) -> ApiResult<Response> {
    let a = state
        .services
        .team_analytics(&who, p.from.as_deref(), p.to.as_deref())
        .await?;
    if p.format == Some(ExportFormat::Csv) {
        let rows = a.items.iter().map(|t| {
            vec![
                t.team_id.to_string(),
                t.team_name.clone(),
                t.figures.members.to_string(),
                t.figures.seats_held.to_string(),
                t.figures.active_users.to_string(),
                t.figures.calls.to_string(),
                t.figures.call_minutes.to_string(),
                t.figures.adoption.to_string(),
                t.previous.active_users.to_string(),
                t.previous.calls.to_string(),
                t.previous.call_minutes.to_string(),
            ]
        });
        let header = [
            "team_id",
            "team_name",
            "members",
            "seats_held",
            "active_users",
            "calls",
            "call_minutes",
            "adoption",
            "previous_active_users",
            "previous_calls",
            "previous_call_minutes",
        ];
        return Ok(csv_download("team-analytics.csv", to_csv(&header, rows)));
    }
    Ok(Json(a).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// `active_users`, `calls`, `call_minutes` or `feature_minutes:<catalog key>` (required).
    pub metric: Option<String>,
    /// One team (a Team Admin must name one of theirs); default: the organization.
    pub team: Option<String>,
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    /// `day` (default) or `week` (weeks start on Monday).
    pub interval: Option<Interval>,
    /// `csv` for a spreadsheet.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ExportFormat>,
}

/// A metric over time, per day or week; days without usage are zeros.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/analytics/series", tag = "analytics",
    params(SeriesQuery),
    responses((status = 200, body = Series, content((Series = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn series(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(q): Params<SeriesQuery>,
) -> ApiResult<Response> {
    let s = state
        .services
        .analytics_series(
            &who,
            q.metric.as_deref(),
            q.team.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            q.interval.unwrap_or_default(),
        )
        .await?;
    if q.format == Some(ExportFormat::Csv) {
        let rows = s
            .points
            .iter()
            .map(|p| vec![p.start.clone(), p.value.to_string()]);
        return Ok(csv_download(
            "analytics-series.csv",
            to_csv(&["start", s.metric.as_str()], rows),
        ));
    }
    Ok(Json(s).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    pub team: Option<String>,
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    /// `calls` (default), `minutes`, `last_active` or `email`.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    /// `csv` for a spreadsheet.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ExportFormat>,
}

/// Per person: calls and call minutes in the period, and the last day they used the app (null:
/// never), those who never did included.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/analytics/users", tag = "analytics",
    params(UsersQuery),
    responses((status = 200, body = UsersUsage, content((UsersUsage = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn users(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(q): Params<UsersQuery>,
) -> ApiResult<Response> {
    let u = state
        .services
        .analytics_users(
            &who,
            q.team.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            q.sort.as_deref(),
            q.cursor.as_deref(),
        )
        .await?;
    if q.format == Some(ExportFormat::Csv) {
        let rows = u.items.iter().map(|x| {
            vec![
                x.user_id.clone(),
                x.email.clone(),
                x.last_active.clone().unwrap_or_default(),
                x.calls.to_string(),
                x.call_minutes.to_string(),
            ]
        });
        let header = ["user_id", "email", "last_active", "calls", "call_minutes"];
        return Ok(csv_download("analytics-users.csv", to_csv(&header, rows)));
    }
    Ok(Json(u).into_response())
}

/// Mail the caller the last 30 days' per-team summary.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/analytics/report", tag = "analytics",
    responses((status = 202, body = crate::routes::auth::Accepted), (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let to = state.services.mail_analytics_report(&who).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"detail": format!("The report is on its way to {to}.")})),
    ))
}
