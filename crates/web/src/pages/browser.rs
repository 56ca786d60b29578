//! The person at a browser: their session (the `sb_session` cookie), the organization a page is
//! about, the forms they post (checked against CSRF: our own origin and the session's token in a
//! hidden `csrf_token` field), the flash message a redirect leaves for the next page, and errors
//! answered as pages — never as JSON problems, and never a 500 for bad input.

use crate::AppState;
use crate::extract::{SESSION_COOKIE, same_origin};
use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::collections::HashMap;
use switchboard_domain::ids::UserId;
use switchboard_service::{OrgCaller, ProblemCode, ServiceError};

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

/// A posted form (`application/x-www-form-urlencoded`). It must come from our own pages; when a
/// session cookie comes with it, the form must also carry that session's `csrf_token`.
pub struct PageForm(pub FormData);

impl FromRequest<AppState> for PageForm {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (parts, body) = req.into_parts();
        if !same_origin(&parts, state) {
            return Err(PageError::csrf());
        }
        let declared = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !declared {
            return Err(PageError::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Forms are sent as application/x-www-form-urlencoded, as a browser sends them."
                    .into(),
            ));
        }
        let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                PageError::Status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "That form was larger than 1 MiB: send less at a time.".into(),
                )
            })?;
        let form = FormData(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        );
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(session) = jar.get(SESSION_COOKIE).filter(|c| !c.value().is_empty())
            && !state
                .services
                .csrf_matches(session.value(), form.get("csrf_token"))
        {
            return Err(PageError::csrf());
        }
        Ok(PageForm(form))
    }
}

/// A form's fields, in the order sent.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of a field, or "" when it is absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A field that may be left blank: `None` when absent or only spaces.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of a field sent several times (check boxes, multi-selects).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A check box: sent (with any value but "false") means on.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v != "false")
    }
}

/// What a form's submission got wrong, to show beside the field (and in the page's summary).
#[derive(Debug, Clone, Default)]
pub struct FormError {
    /// The input at fault, in the API's field names (`emails`, `name`, …); `None` for the form.
    pub field: Option<String>,
    pub detail: String,
    /// The way out: a link to the page that fixes it (no seats → Billing), or, without an
    /// address, what to do.
    pub fix: Option<Fix>,
    /// The refusal was for want of seats.
    seats: bool,
    /// A throttle's refusal: the page answers 429 with `Retry-After` of this many seconds.
    pub retry_after: Option<u64>,
}

/// A way out of a refusal.
#[derive(Debug, Clone, Default)]
pub struct Fix {
    /// Empty: no page of this person's fixes it; `text` says who can.
    pub href: String,
    pub text: String,
}

impl FormError {
    pub fn from_service(e: ServiceError) -> Result<Self, PageError> {
        Self::from_api(ApiError::from(e))
    }

    /// A refusal already in the API's terms (a malformed query string, say).
    pub fn from_api(api: ApiError) -> Result<Self, PageError> {
        if api.status().is_server_error() {
            return Err(PageError::Status(api.status(), api.detail().to_owned()));
        }
        // A conflict concerns one field of the form that caused it.
        let concerns = match api.code() {
            ProblemCode::TeamNameTaken => Some("name"),
            ProblemCode::AlreadyMember | ProblemCode::TeamInOtherSubscription => Some("team_id"),
            ProblemCode::OrgRoleExists => Some("email"),
            ProblemCode::LastOrgAdmin => Some("role"),
            ProblemCode::SeatLimitReached => Some("app_access"),
            ProblemCode::ReservationBelowUse | ProblemCode::ReservationsExceedPool => {
                Some("reserved_seats")
            }
            ProblemCode::PolicyConflict | ProblemCode::SettingLocked => Some("values"),
            ProblemCode::SsoPolicyConflict => Some("team_ids"),
            _ => None,
        };
        let field = api
            .field()
            .map(|f| f.split(['.', '[']).next().unwrap_or(f).to_owned())
            .or(concerns.map(str::to_owned));
        // Beside its field the message needn't name the field again: "team_id: must be …" reads
        // "Must be …" there.
        let detail = match api
            .field()
            .and_then(|f| api.detail().strip_prefix(&format!("{f}: ")))
        {
            Some(rest) => capitalized(rest),
            None => api.detail().to_owned(),
        };
        Ok(Self {
            field,
            detail,
            fix: None,
            seats: api.code() == ProblemCode::SeatLimitReached,
            retry_after: api.retry_after(),
        })
    }

    /// A refusal the page itself makes.
    pub fn new(field: Option<&str>, detail: &str) -> Self {
        Self {
            field: field.map(str::to_owned),
            detail: detail.to_owned(),
            fix: None,
            seats: false,
            retry_after: None,
        }
    }

    /// A refusal on a page of an organization: one for want of seats links to Billing for
    /// whoever may manage it, and says whom to ask otherwise.
    pub fn in_org(e: ServiceError, p: &OrgPage) -> Result<Self, PageError> {
        let mut error = Self::from_service(e)?;
        if error.seats {
            error.fix = Some(
                if p.who
                    .may(switchboard_domain::access::Action::ManageBilling)
                    .is_ok()
                {
                    Fix {
                        href: format!("/orgs/{}/billing", p.who.org),
                        text: "Manage seats in Billing".into(),
                    }
                } else {
                    Fix {
                        href: String::new(),
                        text: "Ask an Org Admin to add seats or free some.".into(),
                    }
                },
            );
        }
        Ok(error)
    }

    /// The message for one field, if it is the one at fault.
    pub fn on(&self, field: &str) -> Option<&str> {
        (self.field.as_deref() == Some(field)).then_some(self.detail.as_str())
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// For templates: `error.at("name")` is the message for that field, if it is the one at fault.
pub trait FieldError {
    fn at(&self, field: &str) -> Option<&str>;
}

impl FieldError for Option<FormError> {
    fn at(&self, field: &str) -> Option<&str> {
        self.as_ref().and_then(|e| e.on(field))
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

    fn csrf() -> Self {
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
