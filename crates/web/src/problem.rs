//! Errors at the edge: every failure leaves as an RFC 9457 problem (`application/problem+json`)
//! with a stable machine `code` and a `detail` a person can act on. This file is the one place
//! that maps service errors and extractor rejections to statuses and codes.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_service::ProblemCode;
use switchboard_service::ServiceError;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `last_org_admin`.
    pub code: String,
    /// For `validation_failed`: the input field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ProblemCode,
    detail: String,
    field: Option<String>,
    /// For 429: seconds until a retry may succeed (the `Retry-After` header).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.status()).expect("problem statuses are valid"),
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ProblemCode::NotFound, format!("{what} not found"))
    }

    /// A 422 `validation_failed` about one input field.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ProblemCode::ValidationFailed,
            detail: detail.into(),
            field: Some(field.into()),
            retry_after: None,
        }
    }

    /// For 429: seconds until a retry may succeed.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError::*;
        match e {
            Invalid(d) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: ProblemCode::ValidationFailed,
                detail: format!("{}: {}", d.field, d.reason),
                field: Some(d.field.to_owned()),
                retry_after: None,
            },
            NotFound { what } => Self::not_found(what),
            NotPermitted(d) => Self::new(ProblemCode::Forbidden, d.to_string()),
            Conflict { code, detail } | AppRefused { code, detail } => Self::new(code, detail),
            Unauthenticated(detail) => Self::new(ProblemCode::Unauthorized, detail),
            Sso(f) => Self::new(
                ProblemCode::SsoFailed,
                format!("{} (check: {:?})", f.check.message(), f.check),
            ),
            Throttled { retry_after } => Self {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(ProblemCode::RateLimited, e.to_string())
            },
            Store(_) | Mail(_) => {
                // The cause chain goes to the log; the client gets an opaque message.
                let mut chain = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error = %chain, "request failed");
                Self::new(
                    ProblemCode::Internal,
                    "Something went wrong on our side; it has been logged.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!(
                "https://switchboard.dev/problems/{}",
                self.code.as_str().replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.as_str().to_owned(),
            field: self.field,
        };
        let mut resp = (self.status, Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(s));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The answer to any path that is not a route.
pub async fn no_route() -> ApiError {
    ApiError::new(
        ProblemCode::NotFound,
        "There is no such route; see /openapi.json.",
    )
}
