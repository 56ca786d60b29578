//! Usage events from the apps (R26): what a well-formed event is, why a malformed one is
//! refused (each event on its own: a bad event never refuses its neighbours), and the calendar
//! day an event falls on in the organization's time zone.

use serde_json::Value;
use std::collections::BTreeMap;

/// Most events one batch may carry.
pub const MAX_BATCH: usize = 1000;
/// How far in the future an event may end (clock skew between an agent's PC and us).
pub const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;
/// The longest call one event may report (a day).
pub const MAX_CALL_S: i64 = 86_400;
/// How long raw events are kept by default; older ones are refused.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// The features whose minutes an event may report (catalog keys).
pub const FEATURES: &[&str] = &[
    "outbound_noise_cancellation",
    "inbound_noise_cancellation",
    "background_voice_cancellation",
    "accent_conversion",
    "agent_assist",
    "live_transcription",
    "call_summary",
];

crate::text_enum!(
    /// What an event reports: a call that ended, or the app starting.
    EventKind, "type", { Call = "call", AppStart = "app_start" });

/// A checked event.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    pub id: String,
    pub kind: EventKind,
    /// When the call ended, or the app started (epoch ms).
    pub at: i64,
    pub duration_s: i64,
    /// Seconds per feature.
    pub features_s: BTreeMap<String, i64>,
}

/// Reads one event, or says why it is refused. `now` and `oldest` bound `ended_at`/`at`.
pub fn check_event(v: &Value, now: i64, oldest: i64) -> Result<UsageEvent, String> {
    let obj = v.as_object().ok_or("an event must be an object")?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .ok_or("malformed id: 1–64 characters of A–Z a–z 0–9 - _ . :")?
        .to_owned();
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or("type is required: call or app_start")
        .and_then(|t| EventKind::parse(t).map_err(|_| "type must be call or app_start"))?;
    let time_field = match kind {
        EventKind::Call => "ended_at",
        EventKind::AppStart => "at",
    };
    let at = obj
        .get(time_field)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
        .ok_or_else(|| format!("{time_field} must be an RFC 3339 time"))?;
    if at > now + FUTURE_SKEW_MS {
        return Err(format!("{time_field} is more than 5 minutes in the future"));
    }
    if at < oldest {
        return Err(format!("{time_field} is older than the retention window"));
    }
    let mut duration_s = 0;
    let mut features_s = BTreeMap::new();
    if kind == EventKind::Call {
        duration_s = obj
            .get("duration_s")
            .and_then(Value::as_i64)
            .ok_or("duration_s must be a whole number of seconds")?;
        if duration_s < 0 {
            return Err("negative duration".into());
        }
        if duration_s > MAX_CALL_S {
            return Err("duration_s is longer than a day".into());
        }
        if let Some(f) = obj.get("features_s") {
            let f = f.as_object().ok_or("features_s must be an object")?;
            for (k, v) in f {
                if !FEATURES.contains(&k.as_str()) {
                    return Err(format!("unknown feature {k:?}"));
                }
                let s = v.as_i64().filter(|s| *s >= 0).ok_or_else(|| {
                    format!("features_s.{k} must be a non-negative number of seconds")
                })?;
                // A feature can't run longer than its call: a client that says so has a bug
                // worth hearing of, not a figure to clamp quietly.
                if s > duration_s {
                    return Err(format!(
                        "features_s.{k} ({s} s) is longer than the call's duration_s ({duration_s} s)"
                    ));
                }
                features_s.insert(k.clone(), s);
            }
        }
    }
    Ok(UsageEvent {
        id,
        kind,
        at,
        duration_s,
        features_s,
    })
}

/// Whether a name is an IANA time zone this build knows.
pub fn time_zone_ok(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// The calendar day (`YYYY-MM-DD`) of `at_ms` in time zone `tz` (UTC when unknown).
pub fn day_of(at_ms: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned(zone).date().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn r26_each_bad_event_says_why() {
        let ok = json!({"id": "e1", "type": "call", "ended_at": "2026-11-18T10:00:00Z", "duration_s": 60,
            "features_s": {"accent_conversion": 30}});
        assert!(check_event(&ok, NOW, 0).is_ok());
        for (bad, why) in [
            (json!({"id": "", "type": "call"}), "malformed id"),
            (
                json!({"id": "e", "type": "call", "ended_at": "2026-11-18T10:00:00Z", "duration_s": -1}),
                "negative duration",
            ),
            (
                json!({"id": "e", "type": "call", "ended_at": "2026-11-18T10:00:00Z", "duration_s": 1, "features_s": {"x": 1}}),
                "unknown feature",
            ),
            (
                json!({"id": "e", "type": "call", "ended_at": "2099-01-01T00:00:00Z", "duration_s": 1}),
                "future",
            ),
            (
                json!({"id": "e", "type": "call", "ended_at": "2026-11-18T10:00:00Z", "duration_s": 60,
                    "features_s": {"agent_assist": 61}}),
                "longer than the call's duration_s (60 s)",
            ),
            (
                json!({"id": "e", "type": "app_start", "at": "2000-01-01T00:00:00Z"}),
                "retention",
            ),
        ] {
            let e = check_event(&bad, NOW, NOW - 90 * 86_400_000).unwrap_err();
            assert!(e.contains(why), "{e} for {bad}");
        }
    }

    #[test]
    fn r26_days_are_calendar_days_in_the_org_time_zone() {
        // 2026-03-01T03:30Z is still February 28 in New York.
        let at = "2026-03-01T03:30:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond();
        assert_eq!(day_of(at, "UTC"), "2026-03-01");
        assert_eq!(day_of(at, "America/New_York"), "2026-02-28");
        assert!(time_zone_ok("Europe/Berlin"));
        assert!(!time_zone_ok("Mars/Olympus"));
    }
}
