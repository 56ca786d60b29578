//! The service layer's one error. Each case is something the web layer turns into one problem
//! response (status and stable `code`) in one place; `Store` and `Mail` are the only 500s.

use crate::ProblemCode;
use switchboard_domain::DomainError;
use switchboard_domain::access::Denied;
use switchboard_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A value broke a rule (422 `validation_failed`).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The object does not exist, or belongs to an organization the caller is not in (404).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The permission table says no for the caller's role (403 `forbidden`).
    #[error(transparent)]
    NotPermitted(#[from] Denied),
    /// An app or device may not have what it asked for, for a reason `code` names (403).
    #[error("{detail}")]
    AppRefused { code: ProblemCode, detail: String },
    /// The request conflicts with the current state (409); `code` says which rule.
    #[error("{detail}")]
    Conflict { code: ProblemCode, detail: String },
    /// No valid session or token (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many attempts; try again after `retry_after` (429 with `Retry-After`).
    #[error(
        "Too many sign-in attempts for this email or from this address; try again in {} seconds.",
        retry_after.as_secs().max(1)
    )]
    Throttled { retry_after: std::time::Duration },
    /// A sign-in through an identity provider was refused by one of its checks (401).
    #[error("single sign-on refused: {0}")]
    Sso(switchboard_sso::Failure),
    #[error("storage failed")]
    Store(#[source] StoreError),
    #[error("mail could not be sent")]
    Mail(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::OrgNotFound => ServiceError::NotFound {
                what: "organization",
            },
            other => ServiceError::Store(other),
        }
    }
}

impl ServiceError {
    pub fn conflict(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn throttled(retry_after: std::time::Duration) -> Self {
        Self::Throttled { retry_after }
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid(DomainError::new(field, reason))
    }

    /// A write that named a version no longer current (`If-Match`, or the version a
    /// read-modify-write started from).
    pub fn is_stale_version(&self) -> bool {
        matches!(
            self,
            Self::Conflict {
                code: ProblemCode::PreconditionFailed,
                ..
            }
        )
    }

    /// Whether this is R13's `seat_limit_reached` (no free seat, or no seats at all).
    pub fn is_seat_limit(&self) -> bool {
        matches!(
            self,
            Self::Conflict {
                code: ProblemCode::SeatLimitReached,
                ..
            }
        )
    }

    pub fn last_org_admin() -> Self {
        Self::conflict(
            ProblemCode::LastOrgAdmin,
            "This is the organization's last Org Admin. Make someone else an Org Admin first.",
        )
    }
}

/// Maps a unique-index refusal to a conflict with this code and detail; other errors pass through.
pub(crate) fn on_unique(
    code: ProblemCode,
    detail: impl FnOnce() -> String,
) -> impl FnOnce(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::Unique(_) => ServiceError::conflict(code, detail()),
        other => other.into(),
    }
}

impl From<switchboard_store::sqlx::Error> for ServiceError {
    fn from(e: switchboard_store::sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}
