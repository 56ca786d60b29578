//! Reading the audit log (R25): filtered pages, CSV, and checking the hash chain. Entries are
//! written only by the write path ([`crate::write`]).

mod chain;
mod log;

use crate::views::{AuditEntryView, rfc3339};
use crate::{ServiceError, ServiceResult};
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::email::Email;
use switchboard_domain::ids::{EnrollmentKeyId, UserId};
use switchboard_store::audit::AuditRow;
use switchboard_store::people;
use utoipa::IntoParams;

/// Filters of the audit log. `from` and `to` take an RFC 3339 time, a local time without an
/// offset (`2026-12-07T16:30`, in the organization's time zone) or a day (`2026-12-07`: from its
/// start, or to its end).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A user's id or email, `operator`, `system` or `enrollment_key:…`.
    #[param(
        pattern = "^(usr_[0-9a-z]{26}|operator|system|enrollment_key:ekey_[0-9a-z]{26}|[^@\\s]+@[^@\\s]+\\.[^@\\s]+)?$"
    )]
    pub actor: Option<String>,
    /// An action such as `team.create`.
    #[param(pattern = "^([a-z_]+\\.[a-z_]+)?$")]
    pub action: Option<String>,
    /// The id of the changed object.
    #[param(pattern = "^([a-z]+_[0-9a-z]{26})?$")]
    pub target: Option<String>,
    /// Entries at or after this time (a day: from its start).
    #[param(
        pattern = "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?$"
    )]
    pub from: Option<String>,
    /// Entries before this time (a day: up to its end, that day included).
    #[param(
        pattern = "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?$"
    )]
    pub to: Option<String>,
    #[param(pattern = "^([0-9]{1,18})?$")]
    pub cursor: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Default: json.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

switchboard_domain::text_enum!(
    /// How a list is exported: JSON pages, or CSV for spreadsheets.
    ExportFormat, "format", { Json = "json", Csv = "csv" });

/// The actor filter as stored: a user id (also given as the user's email), `operator`,
/// `system` or `enrollment_key:…`.
async fn parse_actor(c: &mut switchboard_store::Conn, a: &str) -> ServiceResult<String> {
    let a = a.trim();
    if a == "operator" || a == "system" || UserId::parse(a).is_some() {
        return Ok(a.to_owned());
    }
    if let Some(k) = a.strip_prefix("enrollment_key:")
        && EnrollmentKeyId::parse(k).is_some()
    {
        return Ok(a.to_owned());
    }
    if let Some(t) = a.strip_prefix("api_token:")
        && switchboard_domain::ids::ApiTokenId::parse(t).is_some()
    {
        return Ok(a.to_owned());
    }
    if a.contains('@') {
        let email = Email::parse(a)
            .map_err(|_| ServiceError::invalid("actor", "is not a valid email address"))?;
        // An email nobody has matches nobody: a filter, not a lookup that tells who exists.
        return Ok(people::find_user_by_email(c, email.as_str())
            .await?
            .map(|u| u.id.into())
            .unwrap_or_else(|| "usr_none".into()));
    }
    Err(ServiceError::invalid(
        "actor",
        "must be a user's id or email, operator, system, enrollment_key:… or api_token:…",
    ))
}

/// `area.verb`, in lower case with underscores.
fn is_action_word(a: &str) -> bool {
    a.split_once('.').is_some_and(|(x, y)| {
        [x, y]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    })
}

/// A typed id: a lower-case prefix, `_`, and 26 letters or digits.
fn is_object_id(t: &str) -> bool {
    t.split_once('_').is_some_and(|(prefix, rest)| {
        !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_lowercase())
            && rest.len() == 26
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Which end of a range a filter's time is: a bare day means its start for `from`, and its end
/// (the next day's start) for `to`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    From,
    To,
}

/// A filter's time as epoch milliseconds: an RFC 3339 time, a local time without an offset in
/// `zone` (`2026-12-07T16:30`, what a browser's date-time field sends), or a day in `zone`.
fn parse_time(field: &'static str, s: &str, zone: &str, end: End) -> ServiceResult<i64> {
    let bad = || {
        ServiceError::invalid(
            field,
            "must be a day like 2026-01-31, or a time like 2026-01-31T12:00 or 2026-01-31T12:00:00Z",
        )
    };
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = if let Ok(day) = s.parse::<jiff::civil::Date>() {
        let start = day.to_datetime(jiff::civil::Time::midnight());
        match end {
            End::From => start,
            End::To => day
                .tomorrow()
                .map_err(|_| bad())?
                .to_datetime(jiff::civil::Time::midnight()),
        }
    } else {
        s.parse::<jiff::civil::DateTime>().map_err(|_| bad())?
    };
    Ok(local
        .to_zoned(tz)
        .map_err(|_| bad())?
        .timestamp()
        .as_millisecond())
}

fn view(r: AuditRow) -> AuditEntryView {
    let before = serde_json::from_str(&r.before_json).unwrap_or(Value::Null);
    let after = serde_json::from_str(&r.after_json).unwrap_or(Value::Null);
    AuditEntryView {
        at: rfc3339(r.at),
        summary: switchboard_domain::audit::summary(
            &r.action,
            r.target_name.as_deref(),
            &before,
            &after,
        ),
        before,
        after,
        id: r.id,
        seq: r.seq,
        actor: r.actor,
        actor_name: r.actor_name,
        action: r.action,
        target: r.target,
        target_name: r.target_name,
        request_id: r.request_id,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

/// The entries as CSV, with a header line (see [`crate::export`]).
pub fn to_csv(entries: &[AuditEntryView]) -> String {
    let header = [
        "seq",
        "id",
        "at",
        "actor",
        "actor_name",
        "action",
        "target",
        "target_name",
        "summary",
        "before",
        "after",
        "request_id",
        "hash",
    ];
    crate::export::to_csv(
        &header,
        entries.iter().map(|e| {
            [
                e.seq.to_string(),
                e.id.clone(),
                e.at.clone(),
                e.actor.clone(),
                e.actor_name.clone().unwrap_or_default(),
                e.action.clone(),
                e.target.clone(),
                e.target_name.clone().unwrap_or_default(),
                e.summary.clone(),
                e.before.to_string(),
                e.after.to_string(),
                e.request_id.clone(),
                e.hash.clone(),
            ]
        }),
    )
}
