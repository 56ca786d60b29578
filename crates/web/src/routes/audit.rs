//! The organization's audit log, as JSON pages or CSV.

use crate::AppState;
use crate::extract::{InOrg, Params};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use switchboard_service::audit::{AuditQuery, ExportFormat, to_csv};
use switchboard_service::views::{AuditEntryView, Page};

/// Audit entries, newest first, filtered; `format=csv` exports them.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit-log", tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of entries (JSON), or with `format=csv` the same entries as CSV",
            content((Page<AuditEntryView> = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
pub async fn audit_log(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Response> {
    let csv = q.format == Some(ExportFormat::Csv);
    let page = state.services.audit_log(&who, &q).await?;
    if csv {
        let mut resp = (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            to_csv(&page.items),
        )
            .into_response();
        if let Some(next) = &page.next_cursor {
            resp.headers_mut()
                .insert("x-next-cursor", next.parse().expect("digits"));
        }
        return Ok(resp);
    }
    Ok(Json(page).into_response())
}
