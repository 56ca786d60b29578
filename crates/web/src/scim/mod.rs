//! SCIM 2.0 at `/scim/v2` (RFC 7643/7644): the wire format over the `scim` use cases. A bearer
//! API token with the `scim` scope selects the organization. Answers are `application/scim+json`;
//! errors are SCIM error documents (`schemas`, `status`, `scimType`, `detail`).
//!
//! [`discovery`] serves ServiceProviderConfig, ResourceTypes and Schemas; [`filter`] reads the
//! `eq`/`and` filters identity providers send; [`patch`] applies PATCH operations to a
//! resource's JSON, which is then saved as a replacement (one rule set for PUT and PATCH);
//! [`render`] writes resources and selects attributes; [`users`] and [`groups`] are the handlers.

mod discovery;
mod filter;
mod groups;
mod patch;
mod render;
mod users;

use crate::AppState;
use crate::extract::PathId;
use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use switchboard_service::api_tokens::TokenUse;
use switchboard_service::{OrgCaller, ProblemCode, ServiceError};

/// How many times a PATCH without `If-Match` is redone after losing a race to another write.
const RACE_RETRIES: u32 = 16;

/// A short, growing, jittered pause before a PATCH is redone, so racing writers spread out.
async fn race_pause(attempt: u32) {
    // Jitter from the clock's low bits: enough to spread racing writers apart.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let ms = 1 + nanos % (4 * u64::from(attempt));
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const CONTENT_TYPE: &str = "application/scim+json";
/// Default and largest page.
const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 1000;

/// Every SCIM route, relative to `/scim/v2`.
pub fn router() -> Router<AppState> {
    let not_allowed = || {
        axum::routing::MethodRouter::new()
            .post(method_not_allowed)
            .put(method_not_allowed)
            .patch(method_not_allowed)
            .delete(method_not_allowed)
    };
    Router::new()
        .route(
            "/ServiceProviderConfig",
            not_allowed().get(discovery::service_provider_config),
        )
        .route(
            "/ResourceTypes",
            not_allowed().get(discovery::resource_types),
        )
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", not_allowed().get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/Users", get(users::list).post(users::create))
        .route("/Users/.search", post(users::search))
        .route(
            "/Users/{id}",
            get(users::read)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route("/Groups/.search", post(groups::search))
        .route(
            "/Groups/{id}",
            get(groups::read)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route("/.search", post(users::root_search))
        .fallback(|| async {
            ScimError::new(StatusCode::NOT_FOUND, None, "No such SCIM endpoint.")
        })
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "This endpoint is read-only.",
    )
}

/// A SCIM error document.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut resp = (self.status, body.to_string()).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        resp
    }
}

impl From<ServiceError> for ScimError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(d) => {
                Self::bad("invalidValue", format!("{}: {}", d.field, d.reason))
            }
            ServiceError::NotFound { what } => {
                Self::new(StatusCode::NOT_FOUND, None, format!("{what} not found"))
            }
            ServiceError::NotPermitted(d) => Self::new(StatusCode::FORBIDDEN, None, d.to_string()),
            ServiceError::Unauthenticated(d) => Self::new(StatusCode::UNAUTHORIZED, None, d),
            ServiceError::Conflict { code, detail } => match code {
                ProblemCode::PreconditionFailed => {
                    Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
                }
                ProblemCode::UserNameTaken
                | ProblemCode::TeamNameTaken
                | ProblemCode::AlreadyMember => {
                    Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
                }
                _ => Self::new(StatusCode::CONFLICT, None, detail),
            },
            ServiceError::Throttled { .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, None, e.to_string())
            }
            other => {
                // Logged through the API's own mapping (opaque to the client).
                let api: crate::problem::ApiError = other.into();
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    api.detail().to_owned(),
                )
            }
        }
    }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A SCIM answer: a JSON document with SCIM's content type (and an ETag when it has a version).
pub fn scim_json(status: StatusCode, body: Value) -> Response {
    let etag = body["meta"]["version"].as_str().map(str::to_owned);
    let location = body["meta"]["location"].as_str().map(str::to_owned);
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(v) = etag.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok())
    {
        h.insert(header::LOCATION, l);
    }
    resp
}

/// The organization a `scim`-scoped API token acts in.
pub struct ScimCaller(pub OrgCaller);

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ScimError::new(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "Send an API token with the scim scope as a bearer token.",
                )
            })?;
        Ok(ScimCaller(
            state
                .services
                .api_token_caller(token, None, TokenUse::Scim)
                .await?,
        ))
    }
}

/// The resource id a SCIM path names (`/Users/{id}`, `/Groups/{id}`), parsed: a malformed id
/// answers SCIM's 404, as an unknown one does.
pub struct ScimId<T>(pub T);

impl<T: PathId, S: Send + Sync> FromRequestParts<S> for ScimId<T> {
    type Rejection = ScimError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ScimError::from(ServiceError::NotFound { what: T::WHAT }))?;
        T::parse(&raw)
            .map(ScimId)
            .ok_or_else(|| ServiceError::NotFound { what: T::WHAT }.into())
    }
}

/// Query parameters; malformed ones are a SCIM `invalidValue` error.
pub struct ScimQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ScimQuery<T> {
    type Rejection = ScimError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q)
            .map(ScimQuery)
            .map_err(|e| ScimError::bad("invalidValue", format!("The query is not valid: {e}")))
    }
}

/// The version an `If-Match` header names (`W/"3"` or `"3"`), if any.
pub fn if_match(headers: &HeaderMap) -> ScimResult<Option<i64>> {
    let Some(v) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    if v.trim() == "*" {
        return Ok(None);
    }
    v.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "If-Match names no version of this resource.",
            )
        })
}

/// A JSON request body; anything else is `invalidSyntax`.
pub fn body_json(bytes: &[u8]) -> ScimResult<Value> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("The body is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "The body must be a JSON object.",
        ));
    }
    Ok(v)
}

/// `startIndex` (1-based) and `count`, as SCIM clamps them.
pub fn page_of(start: Option<i64>, count: Option<i64>) -> (i64, i64) {
    (
        start.unwrap_or(1).max(1),
        count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_COUNT),
    )
}

/// A ListResponse.
pub fn list_response(total: i64, start: i64, resources: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": resources.len(),
            "startIndex": start,
            "Resources": resources,
        }),
    )
}
