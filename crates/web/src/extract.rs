//! Extractors: what a handler's signature asks for. [`InOrg`] is the one place the tenant comes
//! from: it reads the organization id from the path, authenticates the caller, and loads their
//! standing there; handlers never read an org id again. [`Body`] and [`Params`] turn malformed
//! input into problem responses.

use crate::problem::ApiError;
use crate::{AppState, input};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use switchboard_domain::ids::{RequestId, UserId};
use switchboard_service::ProblemCode;
use switchboard_service::api_tokens::{TOKEN_PREFIX, TokenUse};
use switchboard_service::auth::Session;
use switchboard_service::{OrgCaller, RequestInfo};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sb_session";

/// A JSON body; malformed input answers 400/415/413/422 problems naming the field at fault.
pub struct Body<T>(pub T);

/// The raw body, or the problem for one that is too large.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<bytes::Bytes, ApiError> {
    bytes::Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ProblemCode::PayloadTooLarge,
                "The body is larger than 1 MiB; send less per request.",
            )
        } else {
            ApiError::new(ProblemCode::InvalidBody, "The body could not be read.")
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !input::declares_json(req.headers()) {
            return Err(input::unsupported_media_type());
        }
        let bytes = body_bytes(req, state).await?;
        Ok(Body(input::json_body(&bytes)?))
    }
}

/// A JSON body whose fields are all optional: an empty body without a content type means the
/// defaults. A body of any other declared type is refused, even an empty one.
pub struct OptionalBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let declared = req.headers().contains_key(header::CONTENT_TYPE);
        if declared && !input::declares_json(req.headers()) {
            return Err(input::unsupported_media_type());
        }
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(T::default()));
        }
        if !declared {
            return Err(input::unsupported_media_type());
        }
        Ok(OptionalBody(input::json_body(&bytes)?))
    }
}

/// Query parameters; malformed ones answer a 422 problem naming the parameter.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Params(input::query(parts.uri.query().unwrap_or_default())?))
    }
}

/// The request's server-made id (see [`crate::observe`]) for logs and the audit log.
pub struct InRequest(pub RequestInfo);

impl<S: Send + Sync> FromRequestParts<S> for InRequest {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_else(|| RequestId::generate().to_string());
        Ok(InRequest(RequestInfo { request_id }))
    }
}

/// The client's address, for throttling. (Behind a proxy this is the proxy's address: put the
/// per-address limits on the proxy, or run Switchboard where it sees clients.)
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(ip))
    }
}

/// How a request carries its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …`: a program; CSRF can't reach it.
    Bearer(String),
    /// The `sb_session` cookie: a browser, which any site can make send it.
    Cookie(String),
}

impl Credential {
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(t) | Credential::Cookie(t) => t,
        }
    }
}

/// The session of the request: `Authorization: Bearer …`, else the session cookie.
pub fn credential(parts: &Parts) -> Option<Credential> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return v
            .strip_prefix("Bearer ")
            .map(|t| Credential::Bearer(t.trim().to_owned()));
    }
    axum_extra::extract::CookieJar::from_headers(&parts.headers)
        .get(SESSION_COOKIE)
        .map(|c| Credential::Cookie(c.value().to_owned()))
}

/// The session token of the request, however it came.
pub fn session_token(parts: &Parts) -> Option<String> {
    credential(parts).map(|c| c.token().to_owned())
}

/// Whether a browser request comes from our own pages: `Sec-Fetch-Site: same-origin`, or an
/// `Origin` equal to the public address (or, without one configured, to the request's `Host`).
pub fn same_origin(parts: &Parts, state: &AppState) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    match state.public_origin() {
        Some(expected) => origin.eq_ignore_ascii_case(expected),
        None => {
            let host = header("host").unwrap_or_default();
            origin
                .split_once("://")
                .is_some_and(|(_, h)| !host.is_empty() && h.eq_ignore_ascii_case(host))
        }
    }
}

fn csrf_refused(detail: &'static str) -> ApiError {
    ApiError::new(ProblemCode::CsrfFailed, detail)
}

/// For a request authenticated by the cookie that may change something: it must come from our
/// own origin and carry the session's CSRF token in `X-CSRF-Token`.
fn check_csrf(parts: &Parts, state: &AppState, session: &str) -> Result<(), ApiError> {
    if parts.method.is_safe() {
        return Ok(());
    }
    if !same_origin(parts, state) {
        return Err(csrf_refused(
            "This request changes something but did not come from Switchboard's own pages (Origin or Sec-Fetch-Site). Programs should send the session as a bearer token.",
        ));
    }
    let given = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !state.services.csrf_matches(session, given) {
        return Err(csrf_refused(
            "Send the session's CSRF token (csrf_token from sign-in or GET /api/v1/me) in the X-CSRF-Token header.",
        ));
    }
    Ok(())
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        ProblemCode::Unauthorized,
        "Sign in first: send a bearer token or the session cookie from POST /api/v1/auth/email/verify.",
    )
}

/// The bearer token of an app or a device (no cookie: apps send the header).
pub struct AppToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for AppToken {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(AppToken)
            .ok_or_else(|| {
                ApiError::new(
                    ProblemCode::Unauthorized,
                    "Send the app or device token as a bearer token.",
                )
            })
    }
}

/// A signed-in user.
pub struct SignedIn {
    pub user: UserId,
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = credential(parts)
            .filter(|c| !c.token().is_empty())
            .ok_or_else(unauthenticated)?;
        let session = state.services.authenticate(credential.token()).await?;
        if let Credential::Cookie(token) = &credential {
            check_csrf(parts, state, token)?;
        }
        Ok(SignedIn {
            user: session.user.clone(),
            session,
            token: credential.token().to_owned(),
        })
    }
}

/// A signed-in user inside the organization named by the path's `{org}`.
pub struct InOrg(pub OrgCaller);

impl FromRequestParts<AppState> for InOrg {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("organization"))?;
        let org = params
            .get("org")
            .ok_or_else(|| ApiError::not_found("organization"))?;
        // An organization API token (a bearer `sbk_…`) acts with its scopes, in its own
        // organization only.
        if let Some(Credential::Bearer(token)) = credential(parts)
            && token.starts_with(TOKEN_PREFIX)
        {
            return Ok(InOrg(
                state
                    .services
                    .api_token_caller(&token, Some(org), TokenUse::Api)
                    .await?,
            ));
        }
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        Ok(InOrg(
            state.services.org_caller(&signed_in.session, org).await?,
        ))
    }
}

/// The vendor's operator, by the operator token. Without a configured token the operator routes
/// do not exist (404).
pub struct Operator;

/// Whether `given` is `expected`, compared as digests in constant time: neither the secret's
/// bytes nor its length leak through timing.
pub fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into()
}

/// The bearer token of a request, or "".
pub fn bearer(parts: &Parts) -> &str {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = state.operator_token.as_deref() else {
            return Err(ApiError::new(
                ProblemCode::NotFound,
                "Operator routes are off: set SWITCHBOARD_OPERATOR_TOKEN.",
            ));
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same_secret(given, expected) {
            return Err(ApiError::new(
                ProblemCode::Unauthorized,
                "Send the operator token as a bearer token.",
            ));
        }
        Ok(Operator)
    }
}

/// An id a route names in its path: the parameter it is read from, and what a 404 calls it.
pub trait PathId: Sized {
    const PARAM: &'static str;
    const WHAT: &'static str;
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! path_id {
    ($($ty:ty => $param:literal),* $(,)?) => {
        $(impl PathId for $ty {
            const PARAM: &'static str = $param;
            const WHAT: &'static str = match $param.as_bytes() {
                b"key" => "enrollment key",
                b"pol" => "policy",
                b"sub" => "subscription",
                b"id" => "API token",
                b"org" => "organization",
                _ => $param,
            };
            fn parse(s: &str) -> Option<Self> {
                <$ty>::parse(s)
            }
        })*

        /// The id prefix of the type a path parameter names (`team` → `team`, `user` → `usr`),
        /// from the same list the extractors are made from: what the OpenAPI document states.
        pub(crate) fn id_prefix_of_param(param: &str) -> Option<&'static str> {
            match param {
                $($param => Some(<$ty>::PREFIX),)*
                _ => None,
            }
        }
    };
}

path_id!(
    UserId => "user",
    switchboard_domain::ids::TeamId => "team",
    switchboard_domain::ids::DeviceId => "device",
    switchboard_domain::ids::EnrollmentKeyId => "key",
    switchboard_domain::ids::PolicyId => "pol",
    switchboard_domain::ids::SubscriptionId => "sub",
    switchboard_domain::ids::InvoiceId => "invoice",
    switchboard_domain::ids::ApiTokenId => "id",
    switchboard_domain::ids::OrgId => "org",
);

impl PathId for switchboard_domain::domain_name::DomainName {
    const PARAM: &'static str = "domain";
    const WHAT: &'static str = "domain";
    fn parse(s: &str) -> Option<Self> {
        Self::parse("domain", s).ok()
    }
}

/// Ids named in the path, parsed: `At<UserId>` reads `{user}`, `At<(UserId, TeamId)>` reads
/// `{user}` and `{team}`. A malformed id answers 404, as an unknown one does, so handlers and use
/// cases only ever see typed ids.
pub struct At<T>(pub T);

fn path_id<T: PathId>(params: &HashMap<String, String>) -> Result<T, ApiError> {
    params
        .get(T::PARAM)
        .and_then(|s| T::parse(s))
        .ok_or_else(|| ApiError::not_found(T::WHAT))
}

async fn path_params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, ApiError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|p| p.0)
        .map_err(|_| ApiError::not_found("page"))
}

impl<A: PathId, S: Send + Sync> FromRequestParts<S> for At<A> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = path_params(parts, state).await?;
        Ok(At(path_id(&params)?))
    }
}

impl<A: PathId, B: PathId, S: Send + Sync> FromRequestParts<S> for At<(A, B)> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = path_params(parts, state).await?;
        Ok(At((path_id(&params)?, path_id(&params)?)))
    }
}
