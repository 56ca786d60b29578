//! Error pages inside the navigation. A forbidden page, a mistyped address or another
//! organization's object answers an HTML page with the person's top bar and sections (when they
//! are signed in), never JSON: `framed` wraps every page route and redraws a bare error page in
//! the frame, and `fallback` answers unknown addresses — JSON problems for the API's paths,
//! pages for everything else.

use super::browser::{Browser, ErrorShown, OrgPage, PageError, render};
use super::shell::{Section, Shell};
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The paths machines call: an unknown one there is a JSON problem, not a page.
fn is_api_path(path: &str) -> bool {
    ["/api/", "/app/", "/operator/", "/scim/"]
        .iter()
        .any(|p| path.starts_with(p))
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json")
}

#[derive(askama::Template)]
#[template(path = "portal/error_framed.html")]
struct FramedError<'a> {
    shell: Shell,
    status: u16,
    title: &'a str,
    detail: &'a str,
}

/// Redraws a bare error page inside the person's frame, when they are signed in.
pub async fn framed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let keep = parts.clone();
    let resp = next.run(Request::from_parts(parts, body)).await;
    match resp.extensions().get::<ErrorShown>().cloned() {
        Some(ErrorShown(status, detail)) => {
            let mut parts = keep;
            frame(&state, &mut parts, status, &detail)
                .await
                .unwrap_or(resp)
        }
        None => resp,
    }
}

/// Any address that is not a route.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if is_api_path(req.uri().path()) {
        return crate::problem::no_route().await.into_response();
    }
    let (mut parts, _) = req.into_parts();
    let PageError::Status(status, detail) = PageError::not_found() else {
        unreachable!("not_found is a status")
    };
    match frame(&state, &mut parts, status, &detail).await {
        Some(resp) => resp,
        None => PageError::Status(status, detail).into_response(),
    }
}

/// The error inside the frame: the organization's navigation when the address is one of an
/// organization the person is in, their plain top bar otherwise; `None` when nobody is signed in.
async fn frame(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
    status: StatusCode,
    detail: &str,
) -> Option<Response> {
    let org = parts
        .uri
        .path()
        .strip_prefix("/orgs/")
        .and_then(|rest| rest.split('/').next())
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let browser = Browser::from_request_parts(parts, state).await.ok()?;
    let title = status.canonical_reason().unwrap_or("Error");
    let shell = match org {
        Some(org) => match state.services.org_caller(&browser.signed_in, &org).await {
            Ok(who) => {
                let page = OrgPage { browser, who };
                Shell::for_org(state, &page, title, Section::Elsewhere)
                    .await
                    .ok()?
            }
            Err(_) => Shell::plain(state, &browser, title).await.ok()?,
        },
        None => Shell::plain(state, &browser, title).await.ok()?,
    };
    let page = FramedError {
        shell,
        status: status.as_u16(),
        title,
        detail,
    };
    Some((status, render(&page)).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_paths_answer_json_and_everything_else_a_page() {
        for p in [
            "/api/v1/nope",
            "/app/v1/x",
            "/operator/v1/x",
            "/scim/v2/Nope",
            "/healthz",
        ] {
            assert!(super::is_api_path(p), "{p}");
        }
        for p in ["/orgs/org_1/nope", "/nope", "/favicon.png", "/apps"] {
            assert!(!super::is_api_path(p), "{p}");
        }
    }
}
