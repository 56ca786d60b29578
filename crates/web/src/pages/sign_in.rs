//! Signing in and out of the portal (`/sign-in`, `/sign-out`), and `/`, which takes a signed-in
//! person to their organization (or lets them choose one). Sign-in is the emailed code of the JSON
//! API — same use cases, same limits — ending in the same HttpOnly session cookie.

use super::browser::{
    Browser, FieldError, FormError, PageForm, PageResult, done, page, render, render_refused,
};
use super::shell::{OrgLink, Shell, org_display_name};
use crate::AppState;
use crate::extract::{ClientIp, InRequest, SESSION_COOKIE};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "portal/sign_in.html")]
struct SignInPage {
    email: String,
    /// Whether the code was asked for: show the code step.
    code_step: bool,
    next: String,
    csrf_token: String,
    flash: Option<String>,
    error: Option<FormError>,
    /// The email's domain signs in through an identity provider (R24): say so, and offer it.
    sso: bool,
    /// The attempt the code step continues (its code works for it alone).
    attempt_id: String,
}

/// Only a path of this site may follow sign-in (never `//elsewhere` or a full URL).
fn safe_next(next: Option<&str>) -> String {
    switchboard_service::sso::safe_next(next).unwrap_or_else(|| "/".to_owned())
}

/// The CSRF token of whatever session cookie the browser already holds (the form checks it).
fn csrf_of(state: &AppState, headers: &HeaderMap) -> String {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| state.services.csrf_token(c.value()))
        .unwrap_or_default()
}

/// `/sign-in`: the email, then (with `?email=`) the code.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let email = q.email.unwrap_or_default();
    let flash = super::browser::flash_of(&headers);
    let sso = !email.is_empty() && state.services.sso_offered(&email).await;
    let mut resp = render(&SignInPage {
        attempt_id: String::new(),
        code_step: !email.is_empty(),
        email,
        next: safe_next(q.next.as_deref()),
        csrf_token: csrf_of(&state, &headers),
        flash: flash.clone(),
        error: None,
        sso,
    });
    if flash.is_some() {
        super::browser::clear_flash(&mut resp);
    }
    resp
}

/// Posts the email (a code is mailed) or the email and its code (the session starts).
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    PageForm(form): PageForm,
) -> PageResult {
    let email = form.get("email").trim().to_owned();
    let code = form.get("code").trim().to_owned();
    let next = safe_next(Some(form.get("next")));
    let sso = state.services.sso_offered(&email).await;
    let attempt_id = form.get("attempt_id").trim().to_owned();
    let again = |error: FormError, code_step: bool| SignInPage {
        attempt_id: attempt_id.clone(),
        email: email.clone(),
        code_step,
        next: next.clone(),
        csrf_token: csrf_of(&state, &headers),
        flash: None,
        error: Some(error),
        sso,
    };
    if code.is_empty() {
        let attempt_id = match state.services.start_sign_in(&email, ip).await {
            Ok(id) => id,
            Err(e) => {
                let error = FormError::from_service(e)?;
                let retry = error.clone();
                return Ok(render_refused(&again(error, false), &retry));
            }
        };
        return Ok(render(&SignInPage {
            attempt_id,
            flash: Some(if sso {
                // Org Admins and break-glass emails still get a code (R24); others use SSO.
                format!(
                    "If {email} may sign in with a code, a sign-in code is on its way. It works for 10 minutes."
                )
            } else {
                format!(
                    "If {email} has an account, a sign-in code is on its way. It works for 10 minutes."
                )
            }),
            email,
            code_step: true,
            next,
            csrf_token: csrf_of(&state, &headers),
            error: None,
            sso,
        }));
    }
    let attempt = Some(attempt_id.as_str()).filter(|a| !a.is_empty());
    match state
        .services
        .verify_sign_in(&email, &code, attempt, ip, &ctx)
        .await
    {
        Ok((_, session)) => {
            crate::routes::auth::end_previous_session(&state, &headers).await;
            let max_age = state.services.config.session_ttl_ms / 1000;
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                crate::routes::auth::cookie(&state, &session.token, max_age),
            );
            Ok(resp)
        }
        Err(e) => {
            let mut error = FormError::from_service(e)?;
            // A refused code (wrong, expired, used up) is about the code field.
            error.field = error.field.or(Some("code".into()));
            let retry = error.clone();
            Ok(render_refused(&again(error, true), &retry))
        }
    }
}

/// The sign-in page with an error about the email (an SSO start that could not begin).
pub(crate) fn sign_in_with_error(
    state: &AppState,
    headers: &HeaderMap,
    q: &SignInQuery,
    mut error: FormError,
) -> Response {
    error.field = error.field.or(Some("email".into()));
    let retry = error.clone();
    render_refused(
        &SignInPage {
            attempt_id: String::new(),
            email: q.email.clone().unwrap_or_default(),
            code_step: false,
            next: safe_next(q.next.as_deref()),
            csrf_token: csrf_of(state, headers),
            flash: None,
            error: Some(error),
            sso: false,
        },
        &retry,
    )
}

#[derive(askama::Template)]
#[template(path = "portal/sign_out.html")]
struct SignOutPage {
    csrf_token: String,
}

/// `GET /sign-out`: signs out when the person typed the address or followed our own link
/// (`Sec-Fetch-Site: none` or `same-origin`); from anywhere else it asks first, so another site
/// can't sign people out.
pub async fn sign_out_page(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
) -> Response {
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if matches!(site, "none" | "same-origin") {
        return end_session(&state, &ctx, &headers).await;
    }
    render(&SignOutPage {
        csrf_token: csrf_of(&state, &headers),
    })
}

/// `POST /sign-out`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    PageForm(_): PageForm,
) -> Response {
    end_session(&state, &ctx, &headers).await
}

async fn end_session(
    state: &AppState,
    ctx: &switchboard_service::RequestInfo,
    headers: &HeaderMap,
) -> Response {
    if let Some(c) = CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        // A session already gone is signed out all the same.
        let _ = state.services.sign_out_audited(c.value(), ctx).await;
    }
    let mut resp = done("/sign-in", "You are signed out.");
    let cleared: HeaderValue = crate::routes::auth::cookie(state, "", 0);
    resp.headers_mut().append(header::SET_COOKIE, cleared);
    resp
}

#[derive(askama::Template)]
#[template(path = "portal/choose_org.html")]
struct ChooseOrgPage {
    shell: Shell,
    orgs: Vec<OrgLink>,
}

/// `/`: the person's organization, a chooser when they have several, or a word when none.
pub async fn home(State(state): State<AppState>, b: Browser) -> PageResult {
    let me = state.services.me(&b.signed_in, &b.session).await?;
    if let [only] = me.orgs.as_slice() {
        return Ok(Redirect::to(&format!("/orgs/{}", only.id)).into_response());
    }
    let shell = Shell::plain(&state, &b, "Choose an organization").await?;
    let orgs = me
        .orgs
        .iter()
        .map(|o| OrgLink {
            href: format!("/orgs/{}", o.id),
            name: org_display_name(o.name.as_deref()),
            current: false,
        })
        .collect();
    Ok(page(&b, &ChooseOrgPage { shell, orgs }))
}
