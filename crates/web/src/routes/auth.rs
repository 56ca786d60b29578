//! Sign-in by emailed code, sign-out, and `me`.

use crate::AppState;
use crate::extract::{Body, ClientIp, Credential, InRequest, SESSION_COOKIE, SignedIn, credential};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use switchboard_service::api_tokens::{TOKEN_PREFIX, TokenMe};
use switchboard_service::views::{MeView, SessionView};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartEmail {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmail {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// The 6-digit code from the mail.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    /// The `attempt_id` the start answered: the code is checked against that attempt only.
    /// Without it, against the newest attempt started from this client's address.
    #[schema(min_length = 1, max_length = 128, nullable = false)]
    #[serde(default, deserialize_with = "switchboard_service::json::present")]
    pub attempt_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub detail: &'static str,
}

/// A sign-in started: the same answer whether or not the email has an account.
#[derive(Serialize, ToSchema)]
pub struct SignInStarted {
    pub detail: &'static str,
    /// Send it back with the code: the code works only for the attempt that asked for it.
    pub attempt_id: String,
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when the public address is https.
pub(crate) fn cookie(state: &AppState, value: &str, max_age_s: i64) -> HeaderValue {
    use axum_extra::extract::cookie::{Cookie, SameSite};
    let c = Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age_s))
        .secure(state.secure_cookies())
        .build();
    HeaderValue::from_str(&c.to_string()).expect("tokens and the cookie's attributes are ASCII")
}

/// Signing in replaces the session the browser held, if any: it ends on the server (a session
/// is never carried across a sign-in, so one planted before can't be promoted).
pub(crate) async fn end_previous_session(state: &AppState, headers: &HeaderMap) {
    if let Some(c) = axum_extra::extract::CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        let _ = state.services.sign_out(c.value()).await;
    }
}

/// Mail a sign-in code. Always 202 for a well-formed email, whether or not it has an account.
#[utoipa::path(post, path = "/api/v1/auth/email/start", tag = "sign-in", request_body = StartEmail,
    responses((status = 202, body = SignInStarted), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn start_email(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(req): Body<StartEmail>,
) -> ApiResult<(StatusCode, Json<SignInStarted>)> {
    let attempt_id = state.services.start_sign_in(&req.email, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SignInStarted {
            detail: "If this email has an account, a sign-in code is on its way.",
            attempt_id,
        }),
    ))
}

/// Exchange a code for a session: a bearer token and the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/email/verify", tag = "sign-in", request_body = VerifyEmail,
    responses((status = 200, body = SessionView), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    InRequest(ctx): InRequest,
    previous: HeaderMap,
    Body(req): Body<VerifyEmail>,
) -> ApiResult<(HeaderMap, Json<SessionView>)> {
    let (_, session) = state
        .services
        .verify_sign_in(&req.email, &req.code, req.attempt_id.as_deref(), ip, &ctx)
        .await?;
    end_previous_session(&state, &previous).await;
    let mut headers = HeaderMap::new();
    let max_age = state.services.config.session_ttl_ms / 1000;
    headers.insert(header::SET_COOKIE, cookie(&state, &session.token, max_age));
    Ok((headers, Json(session)))
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "sign-in", security(("session" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    who: SignedIn,
) -> ApiResult<(StatusCode, HeaderMap)> {
    state.services.sign_out_audited(&who.token, &ctx).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers))
}

/// Who is calling: for a session, the user with their organizations, memberships and org
/// roles; for an organization API token (`sbk_…`), the token (id, name, scopes) and its
/// organization's id and name.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Me {
    Person(MeView),
    ApiToken(TokenMe),
}

/// The caller: the signed-in user (identity, organizations, memberships, org roles), or the API
/// token and its organization.
#[utoipa::path(get, path = "/api/v1/me", tag = "sign-in", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, parts: Parts) -> ApiResult<Json<Me>> {
    if let Some(Credential::Bearer(token)) = credential(&parts)
        && token.starts_with(TOKEN_PREFIX)
    {
        return Ok(Json(Me::ApiToken(state.services.token_me(&token).await?)));
    }
    let mut parts = parts;
    let who = SignedIn::from_request_parts(&mut parts, &state).await?;
    Ok(Json(Me::Person(
        state.services.me(&who.session, &who.token).await?,
    )))
}
