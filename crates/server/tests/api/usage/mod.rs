//! R26: usage from the apps — each event counted once (also when two instances take the same
//! event at the same moment), a bad event rejected alone with its reason, the team at ingest
//! time kept, analytics off refused — and the per-team figures beside the previous period's,
//! Team Admins seeing only their own teams.

mod figures;
mod ingest;
mod reports;

use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn call(id: &str, ended_at: &str, seconds: i64) -> Value {
    json!({"id": id, "type": "call", "ended_at": ended_at, "duration_s": seconds,
        "features_s": {"accent_conversion": seconds / 2, "outbound_noise_cancellation": seconds}})
}

async fn send(app: &TestApp, token: &str, events: Value) -> Value {
    let r = app
        .call(
            Method::POST,
            "/app/v1/usage",
            Some(token),
            Some(json!({"events": events})),
        )
        .await;
    r.ok()["events"].clone()
}

/// A moment `offset_days` ago (an hour before now, so never in the future), and its UTC day.
pub(crate) fn day(offset_days: i64) -> (String, String) {
    let t = time::OffsetDateTime::now_utc()
        - time::Duration::days(offset_days)
        - time::Duration::hours(1);
    let at = t
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    (t.date().to_string(), at)
}
