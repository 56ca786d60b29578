//! Signing in through an identity provider (R24): `GET /auth/sso/start?email=…` (the sign-in
//! page's "Continue with SSO"), the OIDC callback `GET /auth/oidc/callback`, the SAML ACS
//! `POST /auth/saml/{pol}/acs` and our SP metadata `GET /auth/saml/{pol}/metadata`, and an
//! Org Admin's Test connection (`POST /orgs/{org}/settings/sso/{pol}/test`).
//!
//! A started sign-in leaves its `state` in a short-lived cookie; the OIDC callback must bring
//! the same one back, so a callback is finished only in the browser that started it. A SAML
//! response (posted cross-site by the IdP) signs in at once only with the `SameSite=None`
//! RelayState cookie of an https deployment; otherwise the person confirms "Continue as …?" on
//! our own page (`POST /auth/saml/continue`). Every ending
//! is a page: the same session as an emailed code (the previous one ended), the app's loopback
//! address, the checks of a Test connection, or a refusal that says what to do (and reveals
//! nothing about accounts).

use super::browser::{FormError, OrgPage, PageAt, PageForm, PageResult, render};
use super::sign_in::{SignInQuery, sign_in_with_error};
use crate::AppState;
use crate::extract::{ClientIp, InRequest};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use switchboard_domain::ids::PolicyId;
use switchboard_service::ServiceError;
use switchboard_service::sso::{Check, Failure};
use switchboard_service::sso::{
    CheckOutcome, CheckResult, OidcCallback, SamlPost, SsoOutcome, SsoRedirect,
};

/// The cookie that binds a sign-in at the provider to this browser.
const STATE_COOKIE: &str = "sb_sso_state";

fn state_cookie(state: &AppState, value: &str, max_age_s: i64) -> HeaderValue {
    let c = Cookie::build((STATE_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_s))
        .secure(state.secure_cookies())
        .build();
    HeaderValue::from_str(&c.to_string()).expect("states are hex")
}

/// The cookie a SAML response must come back with to sign in at once: the IdP posts cross-site,
/// so it is `SameSite=None`, which browsers take only with `Secure` — set only over https.
const RELAY_COOKIE: &str = "sb_saml_relay";
/// The cookie "Continue as …?" sets, and its click must bring back from our own page.
const CONTINUE_COOKIE: &str = "sb_saml_continue";

fn cookie(
    name: &'static str,
    value: &str,
    path: &str,
    same_site: SameSite,
    secure: bool,
    max_age_s: i64,
) -> HeaderValue {
    let c = Cookie::build((name, value))
        .path(path.to_owned())
        .http_only(true)
        .same_site(same_site)
        .max_age(time::Duration::seconds(max_age_s))
        .secure(secure)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie values are ASCII")
}

/// Sends the browser to the provider, remembering the sign-in's state in this browser (and, over
/// https, in the cookie the SAML ACS checks).
pub(crate) fn to_provider(state: &AppState, r: SsoRedirect) -> Response {
    let mut resp = Redirect::to(&r.url).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, state_cookie(state, &r.state, 600));
    if state.secure_cookies() {
        let relay = cookie(
            RELAY_COOKIE,
            &r.state,
            "/auth/saml/",
            SameSite::None,
            true,
            600,
        );
        resp.headers_mut().append(header::SET_COOKIE, relay);
    }
    resp
}

#[derive(askama::Template)]
#[template(path = "portal/sso_failed.html")]
struct FailedPage {
    message: &'static str,
    what: &'static str,
}

#[derive(askama::Template)]
#[template(path = "portal/sso_cancelled.html")]
struct CancelledPage;

#[derive(askama::Template)]
#[template(path = "portal/sso_continue.html")]
struct ContinuePage {
    email: String,
    token: String,
}

#[derive(askama::Template)]
#[template(path = "portal/sso_test.html")]
struct TestPage {
    back: String,
    email: Option<String>,
    passed: bool,
    checks: Vec<CheckResult>,
}

/// A refused sign-in: what to do, and which check refused it (its detail went to the log).
fn failed(f: &Failure) -> Response {
    let status = match f.check {
        Check::Provider | Check::TokenExchange => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    (
        status,
        render(&FailedPage {
            message: f.check.message(),
            what: f.check.label(),
        }),
    )
        .into_response()
}

/// `GET /auth/sso/start?email=…&next=…`.
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> PageResult {
    let email = q.email.clone().unwrap_or_default();
    match state
        .services
        .sso_start(&email, q.next.as_deref(), ip)
        .await
    {
        Ok(r) => Ok(to_provider(&state, r)),
        Err(ServiceError::Sso(f)) => Ok(failed(&f)),
        Err(e) => {
            let error = FormError::from_service(e)?;
            Ok(sign_in_with_error(&state, &headers, &q, error))
        }
    }
}

/// `GET /auth/oidc/callback`.
pub async fn oidc_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    Query(q): Query<OidcCallback>,
) -> PageResult {
    let jar = CookieJar::from_headers(&headers);
    let browser_state = jar.get(STATE_COOKIE).map(|c| c.value().to_owned());
    let outcome = state
        .services
        .oidc_callback(q, browser_state.as_deref(), ip, &ctx)
        .await;
    ending(&state, &headers, outcome).await
}

/// `POST /auth/saml/{pol}/acs`: the IdP's HTTP-POST binding (a cross-site form post, so no
/// origin or CSRF check: the signed response answering our pending request is the proof).
pub async fn saml_acs(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    PageAt(policy): PageAt<PolicyId>,
    Form(post): Form<SamlPost>,
) -> PageResult {
    let jar = CookieJar::from_headers(&headers);
    let relay = jar.get(RELAY_COOKIE).map(|c| c.value().to_owned());
    let outcome = state
        .services
        .saml_acs(&policy, post, relay.as_deref(), ip, &ctx)
        .await;
    ending(&state, &headers, outcome).await
}

#[derive(serde::Deserialize)]
pub struct ContinueForm {
    #[serde(default)]
    token: String,
}

/// `POST /auth/saml/continue`: the click on "Continue as …?" — from our own page only, with the
/// cookie that page set.
pub async fn saml_continue(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    parts: axum::http::request::Parts,
    Form(form): Form<ContinueForm>,
) -> PageResult {
    let jar = CookieJar::from_headers(&parts.headers);
    let cookie_token = jar.get(CONTINUE_COOKIE).map(|c| c.value().to_owned());
    let same_browser = cookie_token.is_some_and(|c| {
        !form.token.is_empty()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                c.as_bytes(),
                form.token.as_bytes(),
            ))
    });
    if !same_browser || !crate::extract::same_origin(&parts, &state) {
        return Ok(failed(&Failure::new(
            Check::Request,
            "the confirmation did not come from the page that asked for it",
        )));
    }
    let outcome = state.services.saml_continue(&form.token, &ctx).await;
    let mut resp = ending(&state, &parts.headers, outcome).await?;
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie(
            CONTINUE_COOKIE,
            "",
            "/auth/saml/continue",
            SameSite::Strict,
            state.secure_cookies(),
            0,
        ),
    );
    Ok(resp)
}

/// `GET /auth/saml/{pol}/metadata`: our SP metadata, for the IdP.
pub async fn saml_metadata(
    State(state): State<AppState>,
    PageAt(policy): PageAt<PolicyId>,
) -> PageResult {
    let xml = state.services.saml_sp_metadata(&policy).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response())
}

/// `POST /orgs/{org}/settings/sso/{pol}/test`: runs the sign-in, ending on the checks page.
pub async fn test_start(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(id): PageAt<PolicyId>,
    PageForm(_): PageForm,
) -> PageResult {
    match state.services.sso_test_start(&p.who, &id).await {
        Ok(r) => Ok(to_provider(&state, r)),
        Err(ServiceError::Sso(f)) => Ok(test_page(
            format!("/orgs/{}/settings/sso/{id}", p.who.org),
            None,
            failed_at_start(&f),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The checks when the provider could not even be asked.
fn failed_at_start(f: &Failure) -> Vec<CheckResult> {
    vec![CheckResult {
        check: f.check,
        label: f.check.label(),
        outcome: CheckOutcome::Failed,
        detail: Some(f.detail.clone()),
    }]
}

fn test_page(back: String, email: Option<String>, checks: Vec<CheckResult>) -> Response {
    render(&TestPage {
        back,
        email,
        passed: checks.iter().all(|c| c.outcome == CheckOutcome::Passed),
        checks,
    })
}

/// How a sign-in through a provider ends, as a response; the state cookie is spent either way.
async fn ending(
    state: &AppState,
    headers: &HeaderMap,
    outcome: Result<SsoOutcome, ServiceError>,
) -> PageResult {
    let mut resp = match outcome {
        Ok(SsoOutcome::SignedIn { session, next }) => {
            crate::routes::auth::end_previous_session(state, headers).await;
            let max_age = state.services.config.session_ttl_ms / 1000;
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                crate::routes::auth::cookie(state, &session.token, max_age),
            );
            resp
        }
        Ok(SsoOutcome::App { redirect }) => Redirect::to(&redirect).into_response(),
        Ok(SsoOutcome::Cancelled) => render(&CancelledPage),
        Ok(SsoOutcome::Confirm { email, token }) => {
            let mut resp = render(&ContinuePage {
                email,
                token: token.clone(),
            });
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookie(
                    CONTINUE_COOKIE,
                    &token,
                    "/auth/saml/continue",
                    SameSite::Strict,
                    state.secure_cookies(),
                    120,
                ),
            );
            resp
        }
        Ok(SsoOutcome::Tested {
            org,
            policy,
            email,
            checks,
        }) => test_page(format!("/orgs/{org}/settings/sso/{policy}"), email, checks),
        Err(ServiceError::Sso(f)) => failed(&f),
        Err(e) => return Err(e.into()),
    };
    resp.headers_mut()
        .append(header::SET_COOKIE, state_cookie(state, "", 0));
    Ok(resp)
}
