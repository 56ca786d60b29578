//! The app API: sign-in, team choice, device enrollment, and the entitlement answer with its ETag.

use crate::AppState;
use crate::extract::{AppToken, At, Body, ClientIp, InRequest, Params};
use crate::problem::{ApiResult, Problem};
use crate::routes::auth::{SignInStarted, StartEmail};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::headers::{ETag, Header, IfNoneMatch};
use switchboard_domain::ids::TeamId;
use switchboard_service::apps::{
    AppSession, AppTeam, AppVerify, Enroll, Enrolled, UsageBatch, UsageReceipt,
};
use switchboard_service::sso::{AppSsoStart, AppSsoToken};
use switchboard_service::views::Page;

/// Mail a sign-in code to an agent (as the portal does; always 202 for a well-formed email).
#[utoipa::path(post, path = "/app/v1/sign-in/email/start", tag = "app", request_body = StartEmail,
    responses((status = 202, body = SignInStarted), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn start(
    state: State<AppState>,
    ip: ClientIp,
    body: Body<StartEmail>,
) -> ApiResult<(StatusCode, Json<SignInStarted>)> {
    // The same code mechanism as the portal's sign-in.
    crate::routes::auth::start_email(state, ip, body).await
}

/// Exchange the code for an app token bound to one membership (or unbound until a team is chosen).
#[utoipa::path(post, path = "/app/v1/sign-in/email/verify", tag = "app", request_body = AppVerify,
    responses((status = 200, body = AppSession), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(req): Body<AppVerify>,
) -> ApiResult<Json<AppSession>> {
    Ok(Json(state.services.app_verify(req, ip).await?))
}

/// The email-login teams the signed-in agent may run the app in.
#[utoipa::path(get, path = "/app/v1/teams", tag = "app", security(("app" = [])),
    responses((status = 200, body = Page<AppTeam>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn teams(
    State(state): State<AppState>,
    AppToken(token): AppToken,
) -> ApiResult<Json<Page<AppTeam>>> {
    Ok(Json(Page {
        items: state.services.app_list_teams(&token).await?,
        next_cursor: None,
    }))
}

/// Bind the app token to one of the agent's teams.
#[utoipa::path(post, path = "/app/v1/teams/{team}/select", tag = "app", security(("app" = [])),
    params(("team" = String, Path)),
    responses((status = 200, body = AppSession), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn select_team(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    AppToken(token): AppToken,
    At(team): At<TeamId>,
) -> ApiResult<Json<AppSession>> {
    Ok(Json(
        state.services.app_select_team(&ctx, &token, &team).await?,
    ))
}

/// Enroll a workstation with an enrollment key: it takes a seat of the key's team and gets a device token.
#[utoipa::path(post, path = "/app/v1/devices/enroll", tag = "app", request_body = Enroll,
    responses((status = 201, body = Enrolled), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn enroll(
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    Body(req): Body<Enroll>,
) -> ApiResult<(StatusCode, Json<Enrolled>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.enroll_device(&ctx, req).await?),
    ))
}

/// May this app run, and with which settings? Strong ETag; `If-None-Match` answers 304.
#[utoipa::path(get, path = "/app/v1/entitlement", tag = "app", security(("app" = [])),
    responses((status = 200, body = Object, description = "org, team, subject, app_access, seat, settings, locked"),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn entitlement(
    State(state): State<AppState>,
    AppToken(token): AppToken,
    if_none_match: IfNoneMatchHeader,
) -> ApiResult<Response> {
    let answer = state.services.entitlement(&token).await?;
    let etag = HeaderValue::from_str(&answer.etag).expect("an ETag is ASCII");
    let matches = if_none_match.matches(&etag);
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.body.clone(),
    )
        .into_response())
}

/// `If-None-Match` as sent: absent, one header line (what an app sends: the tag it was given),
/// or several lines, which the rules read as one list.
pub enum IfNoneMatchHeader {
    Absent,
    One(HeaderValue),
    /// Decoded here; `None` when malformed (then it matches nothing, as if not sent).
    Several(Option<IfNoneMatch>),
}

impl IfNoneMatchHeader {
    /// Whether our tag is among those sent (or `*` was): then the answer is a 304. The usual
    /// case — the one tag the app was given — is compared as bytes, from the cache entry's tag
    /// alone; anything else (a list, `*`, a weak tag) is read by the rules.
    fn matches(&self, ours: &HeaderValue) -> bool {
        let tags = match self {
            Self::Absent => return false,
            Self::One(sent) if sent == ours => return true,
            Self::One(sent) => IfNoneMatch::decode(&mut std::iter::once(sent)).ok(),
            Self::Several(tags) => tags.clone(),
        };
        let ours = ours.to_str().ok().and_then(|t| t.parse::<ETag>().ok());
        // `precondition_passes` is false when one of the client's tags (or `*`) matches.
        matches!((tags, ours), (Some(tags), Some(ours)) if !tags.precondition_passes(&ours))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IfNoneMatchHeader {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let mut sent = parts.headers.get_all(header::IF_NONE_MATCH).iter();
        Ok(match (sent.next(), sent.next()) {
            (None, _) => Self::Absent,
            (Some(one), None) => Self::One(one.clone()),
            (Some(_), Some(_)) => Self::Several(
                IfNoneMatch::decode(&mut parts.headers.get_all(header::IF_NONE_MATCH).iter()).ok(),
            ),
        })
    }
}

/// Start an app's sign-in through the organization's identity provider (RFC 8252): open this in
/// the system browser; it redirects to the provider, and at the end to `redirect_uri` with
/// `code` (one-time, a minute) and your `state`.
#[utoipa::path(get, path = "/app/v1/sign-in/sso/start", tag = "app", params(AppSsoStart),
    responses((status = 303, description = "To the identity provider"), (status = 422, body = Problem), (status = 429, body = Problem), (status = 502, body = Problem)))]
pub async fn sso_start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Params(q): Params<AppSsoStart>,
) -> ApiResult<Response> {
    let r = state.services.app_sso_start(q, ip).await?;
    Ok(crate::pages::sso_sign_in::to_provider(&state, r))
}

/// Exchange the one-time code from the loopback redirect, with the PKCE verifier, for the app
/// token — which may run in the SSO teams of the organization whose provider signed you in.
#[utoipa::path(post, path = "/app/v1/sign-in/sso/token", tag = "app", request_body = AppSsoToken,
    responses((status = 200, body = AppSession), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn sso_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(req): Body<AppSsoToken>,
) -> ApiResult<Json<AppSession>> {
    Ok(Json(state.services.app_sso_token(req, ip).await?))
}

/// Report usage: up to 1,000 events; each is accepted, a duplicate (counted once), or rejected
/// with its reason — a bad event never refuses the others.
#[utoipa::path(post, path = "/app/v1/usage", tag = "app", security(("app" = [])), request_body = UsageBatch,
    responses((status = 200, body = UsageReceipt), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn usage(
    State(state): State<AppState>,
    AppToken(token): AppToken,
    request: axum::extract::Request,
) -> ApiResult<Json<UsageReceipt>> {
    // Fair share first: a token or organization past its rate is refused before its batch is
    // read and parsed.
    state.services.ingest_precheck(&token).await?;
    let Body(batch) =
        <Body<UsageBatch> as axum::extract::FromRequest<AppState>>::from_request(request, &state)
            .await?;
    Ok(Json(state.services.ingest_usage(&token, batch).await?))
}
