//! Seats over time: the ones the idle-seat rule (R29) releases — who is idle, or will be within
//! 7 days, and on which day each seat goes — and a subscription's day-by-day history (R30); as
//! JSON or CSV.

use crate::AppState;
use crate::extract::{At, InOrg, Params};
use crate::pages::browser::csv_download;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_domain::ids::{SubscriptionId, TeamId};
use switchboard_service::audit::ExportFormat;
use switchboard_service::export::to_csv;
use switchboard_service::seats::history::SeatHistory;
use switchboard_service::seats::release::IdleSeat;
use switchboard_service::views::Page;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IdleQuery {
    /// Only this team.
    #[param(value_type = Option<String>, pattern = "^(team_[0-9a-z]{26})?$")]
    pub team: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    pub cursor: Option<String>,
    /// `csv` for a spreadsheet of every row.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ExportFormat>,
}

/// Members whose seat is idle or will be within 7 days: `last_call_at` (null when they never
/// took a call), `access_since`, and `release_on`, the day the seat is released unless used.
/// Org Admins and Org Analysts see every team, Team Admins their own.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/seats/idle", tag = "seats",
    params(IdleQuery),
    responses((status = 200, body = Page<IdleSeat>, content((Page<IdleSeat> = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn idle_seats(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(q): Params<IdleQuery>,
) -> ApiResult<Response> {
    let team = match q.team.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            Some(TeamId::parse(t).ok_or_else(|| ApiError::invalid("team", "is not a team id"))?)
        }
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 200"));
    }
    let start: usize = match q.cursor.as_deref() {
        Some(c) => c
            .parse()
            .map_err(|_| ApiError::invalid("cursor", "is not a cursor from this list"))?,
        None => 0,
    };
    let seats = state.services.idle_seats(&who, team.as_ref()).await?;
    if q.format == Some(ExportFormat::Csv) {
        let rows = seats.iter().map(|s| {
            vec![
                s.user_id.to_string(),
                s.email.clone(),
                s.team_id.to_string(),
                s.team_name.clone(),
                s.last_call_at.clone().unwrap_or_default(),
                s.access_since.clone(),
                s.release_on.clone(),
            ]
        });
        let header = [
            "user_id",
            "email",
            "team_id",
            "team_name",
            "last_call_at",
            "access_since",
            "release_on",
        ];
        return Ok(csv_download("idle-seats.csv", to_csv(&header, rows)));
    }
    let end = (start + limit as usize).min(seats.len());
    let items = seats.get(start.min(end)..end).unwrap_or_default().to_vec();
    let next_cursor = (end < seats.len()).then(|| end.to_string());
    Ok(Json(Page { items, next_cursor }).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The first day (`YYYY-MM-DD`); default: 29 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; default: today (the organization's time zone). At most 400 days.
    #[param(format = Date)]
    pub to: Option<String>,
    /// `csv` for a spreadsheet.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ExportFormat>,
}

/// The subscription's seats day by day: one row for the whole subscription (`team_id` null)
/// and one per team — pool, reserved, seats held (`used`), people with a call in the last 7 and
/// 28 days, invitations not yet taken up, seat holders who never used the app.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}/seat-history", tag = "seats",
    params(("sub" = String, Path), HistoryQuery),
    responses((status = 200, body = SeatHistory, content((SeatHistory = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn seat_history(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(sub): At<SubscriptionId>,
    Params(q): Params<HistoryQuery>,
) -> ApiResult<Response> {
    let h = state
        .services
        .seat_history(&who, &sub, q.from.as_deref(), q.to.as_deref())
        .await?;
    if q.format == Some(ExportFormat::Csv) {
        let rows = h.items.iter().map(|d| {
            vec![
                d.day.clone(),
                d.team_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                d.pool.to_string(),
                d.reserved.to_string(),
                d.used.to_string(),
                d.active_7d.to_string(),
                d.active_28d.to_string(),
                d.pending_invitations.to_string(),
                d.never_used.to_string(),
            ]
        });
        let header = [
            "day",
            "team_id",
            "pool",
            "reserved",
            "used",
            "active_7d",
            "active_28d",
            "pending_invitations",
            "never_used",
        ];
        return Ok(csv_download("seat-history.csv", to_csv(&header, rows)));
    }
    Ok(Json(h).into_response())
}
