//! The person at a browser: their session (the `sb_session` cookie), the organization a page is
//! about, the ids in a page's path, the flash message a redirect leaves for the next page, and
//! errors answered as pages — never as JSON problems, and never a 500 for bad input. The forms
//! they post are in [`super::forms`] (re-exported here).

use crate::AppState;
use crate::extract::SESSION_COOKIE;
use crate::problem::ApiError;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::collections::HashMap;
use switchboard_domain::ids::UserId;
use switchboard_service::{OrgCaller, ServiceError};

pub use super::forms::*;

const FLASH_COOKIE: &str = "sb_flash";

/// A signed-in person. Without a live session, a page redirects to `/sign-in?next=…`.
pub struct Browser {
    pub user: UserId,
    /// Who the session is, and the organization it is limited to (an SSO sign-in).
    pub signed_in: switchboard_service::auth::Session,
    /// The session token.
    pub session: String,
    pub csrf_token: String,
    /// What the previous request did, to show once.
    pub flash: Option<String>,
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let jar = CookieJar::from_headers(&parts.headers);
        // Back to this page after signing in; a form's address can't be opened, so `/` for those.
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned()
        } else {
            "/".to_owned()
        };
        let Some(session) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(PageError::SignIn { next });
        };
        let signed_in = match state.services.authenticate(&session).await {
            Ok(s) => s,
            Err(ServiceError::Unauthenticated(_)) => return Err(PageError::SignIn { next }),
            Err(e) => return Err(e.into()),
        };
        Ok(Browser {
            user: signed_in.user.clone(),
            signed_in,
            csrf_token: state.services.csrf_token(&session),
            session,
            flash: flash_of(&parts.headers),
        })
    }
}

/// A signed-in person on a page of one organization (`/orgs/{org}/…`). An organization they are
/// not in is "not found", exactly like one that does not exist.
pub struct OrgPage {
    pub browser: Browser,
    pub who: OrgCaller,
}

impl FromRequestParts<AppState> for OrgPage {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let browser = Browser::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::not_found())?;
        let org = params.get("org").cloned().unwrap_or_default();
        let who = state.services.org_caller(&browser.signed_in, &org).await?;
        Ok(OrgPage { browser, who })
    }
}

/// A page that went wrong: sign in first, or a status with a sentence for the person.
#[derive(Debug)]
pub enum PageError {
    SignIn { next: String },
    Status(StatusCode, String),
}

impl PageError {
    pub fn not_found() -> Self {
        Self::Status(
            StatusCode::NOT_FOUND,
            "There is nothing at this address, or it is not yours to see.".into(),
        )
    }

    pub(super) fn csrf() -> Self {
        Self::Status(
            StatusCode::FORBIDDEN,
            "This form did not come from this Switchboard page, or your session changed since it was shown. Go back, reload the page and try again.".into(),
        )
    }
}

impl From<ApiError> for PageError {
    fn from(api: ApiError) -> Self {
        Self::Status(api.status(), api.detail().to_owned())
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        if let ServiceError::Unauthenticated(_) = e {
            return Self::SignIn { next: "/".into() };
        }
        if let ServiceError::NotFound { .. } = e {
            return Self::not_found();
        }
        let api = ApiError::from(e);
        Self::Status(api.status(), api.detail().to_owned())
    }
}

/// The status and sentence of an error page, left on its response so the page can be shown
/// again inside the person's navigation (`super::errors`).
#[derive(Debug, Clone)]
pub struct ErrorShown(pub StatusCode, pub String);

#[derive(askama::Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let q: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", &next)
                    .finish();
                Redirect::to(&format!("/sign-in?{q}")).into_response()
            }
            PageError::Status(status, detail) => {
                let page = ErrorPage {
                    status: status.as_u16(),
                    title: status.canonical_reason().unwrap_or("Error"),
                    detail: &detail,
                };
                let mut resp = (status, render(&page)).into_response();
                // For `errors::framed`, which shows it inside the navigation when it can.
                resp.extensions_mut().insert(ErrorShown(status, detail));
                resp
            }
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template. A template that fails to render is a bug, logged and answered 500.
/// A page that shows a refusal: 429 with `Retry-After` when a limit refused, so a flood gets
/// the same answer from a form as from the API; otherwise as [`render`].
pub fn render_refused(t: &impl askama::Template, error: &FormError) -> Response {
    let mut resp = render(t);
    if let Some(secs) = error.retry_after {
        *resp.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    resp
}

pub fn render(t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(html) => (
            [
                // Pages hold people's data (and once, an enrollment key): never cached, never framed.
                (header::CACHE_CONTROL, "no-store"),
                (header::X_FRAME_OPTIONS, "DENY"),
                (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side; it has been logged.",
            )
                .into_response()
        }
    }
}

/// The flash message a redirect left for this request, if any.
pub fn flash_of(headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(FLASH_COOKIE)
        .map(|c| {
            form_urlencoded::parse(format!("m={}", c.value()).as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
}

/// Clears the flash cookie once its message is shown.
pub fn clear_flash(resp: &mut Response) {
    let gone = Cookie::build((FLASH_COOKIE, ""))
        .path("/")
        .max_age(time::Duration::ZERO);
    if let Ok(v) = HeaderValue::from_str(&gone.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Renders a page for this browser, clearing the flash message it has now shown.
pub fn page(browser: &Browser, t: &impl askama::Template) -> Response {
    let mut resp = render(t);
    if browser.flash.is_some() {
        clear_flash(&mut resp);
    }
    resp
}

/// A CSV file to download under `filename`.
pub fn csv_download(filename: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut resp = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Redirects (303, so a reload never posts again) with a message for the next page.
pub fn done(to: &str, message: &str) -> Response {
    let value: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let cookie = Cookie::build((FLASH_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(60));
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Ids named in a page's path, parsed (see [`crate::extract::At`]); a malformed one answers the
/// 404 page.
pub struct PageAt<T>(pub T);

impl<T, S> FromRequestParts<S> for PageAt<T>
where
    S: Send + Sync,
    crate::extract::At<T>: FromRequestParts<S, Rejection = ApiError>,
{
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        crate::extract::At::<T>::from_request_parts(parts, state)
            .await
            .map(|crate::extract::At(t)| PageAt(t))
            .map_err(|_| PageError::not_found())
    }
}
