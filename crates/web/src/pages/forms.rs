//! The forms a person posts: read as a whole (`PageForm`, checked against CSRF: our own origin and
//! the session's token in a hidden `csrf_token` field), their fields (`FormData`), and a refusal
//! drawn beside the field it is about (`FormError`) — never a JSON problem, never a 500 for bad
//! input.

use super::browser::{OrgPage, PageError};
use crate::AppState;
use crate::extract::{SESSION_COOKIE, same_origin};
use crate::problem::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum_extra::extract::CookieJar;
use switchboard_service::{ProblemCode, ServiceError};

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
