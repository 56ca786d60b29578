//! R26, what ingest and the analytics reads refuse — a wrong token, a subject without app
//! access, too many events, an oversize or malformed body, unknown metrics, backwards and
//! overlong periods, another organization's team — each with a clear problem and nothing
//! counted; and the raw events' life: monthly partitions on PostgreSQL, pruned past retention
//! while the rollups stay.

use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

fn call(id: &str, seconds: i64) -> Value {
    let (_, at) = crate::usage::day(0);
    json!({"id": id, "type": "call", "ended_at": at, "duration_s": seconds,
        "features_s": {"accent_conversion": seconds}})
}

pub(crate) async fn agent_token(app: &TestApp, org: &Org, email: &str) -> String {
    org.add(app, &[email])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    app_sign_in(app, email, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sends a raw body, answering the status and the problem's code.
async fn send_raw(app: &TestApp, token: &str, body: String) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/app/v1/usage", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn usage(app: &TestApp, token: Option<&str>, body: Value) -> crate::helpers::Resp {
    app.call(Method::POST, "/app/v1/usage", token, Some(body))
        .await
}

async fn get(app: &TestApp, org: &Org, query: &str) -> crate::helpers::Resp {
    app.get(&org.path(&format!("/analytics/{query}")), &org.admin)
        .await
}

/// The team's calls of yesterday and today (UTC): the events, an hour old, fall on one of them.
async fn calls_today(app: &TestApp, org: &Org) -> Value {
    let today = time::OffsetDateTime::now_utc().date();
    let yesterday = today.previous_day().unwrap();
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={yesterday}&to={today}")),
            &org.admin,
        )
        .await;
    r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()["calls"]
        .clone()
}

async fn r26_bad_usage_input_is_refused_and_counts_nothing(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent_token(&app, &org, "agent-bad@example.com").await;
    // No token, a wrong one: 401.
    usage(&app, None, json!({"events": [call("a", 60)]}))
        .await
        .problem(401, "unauthorized");
    usage(
        &app,
        Some("not-a-token"),
        json!({"events": [call("a", 60)]}),
    )
    .await
    .problem(401, "unauthorized");
    // More events than a batch holds: 422 naming `events`, none taken.
    let many: Vec<Value> = (0..1001).map(|i| call(&format!("m{i}"), 1)).collect();
    let r = usage(&app, Some(&token), json!({ "events": many })).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "events", "{}", r.text);
    // A body over 1 MiB: 413 before anything is read.
    let pad = "x".repeat(1_100_000);
    let (status, problem) = send_raw(
        &app,
        &token,
        format!(r#"{{"events":[{{"id":"p","type":"call","pad":"{pad}"}}]}}"#),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Malformed JSON, and the wrong types: 400 and 422.
    let (status, problem) = send_raw(&app, &token, r#"{"events": [ {"id": "#.into()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, problem) = send_raw(&app, &token, r#"{"events": "many"}"#.into()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["field"], "events", "{problem}");
    let (status, _) = send_raw(&app, &token, r#"{"events": [], "extra": 1}"#.into()).await;
    assert_eq!(status, 422);
    // An event with a wrongly typed field is rejected alone.
    let r = usage(
        &app,
        Some(&token),
        json!({"events": [{"id": "t", "type": "call", "ended_at": call("t", 1)["ended_at"],
            "duration_s": "sixty"}, call("good", 60)]}),
    )
    .await;
    let outcomes: Vec<&str> = r.ok()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["rejected", "accepted"]);
    assert_eq!(
        calls_today(&app, &org).await,
        1,
        "only the good event counts"
    );
    // App access off: the subject may not report usage (403), and nothing is counted.
    let user = app
        .get(&org.path("/users?q=agent-bad"), &org.admin)
        .await
        .ok()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"app_access": false}),
    )
    .await
    .ok();
    usage(&app, Some(&token), json!({"events": [call("after", 60)]}))
        .await
        .problem(403, "app_access_off");
    assert_eq!(calls_today(&app, &org).await, 1);

    // The reads: unknown metric, backwards and overlong periods, another org's team.
    let other = app.org().seats(5).established().await;
    let field = |r: crate::helpers::Resp| {
        r.problem(422, "validation_failed");
        r.body["field"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(
        field(get(&app, &org, "series?metric=happiness").await),
        "metric"
    );
    assert_eq!(
        field(get(&app, &org, "series?metric=feature_minutes:teleport").await),
        "metric"
    );
    assert_eq!(
        field(get(&app, &org, "teams?from=2026-11-10&to=2026-11-01").await),
        "to"
    );
    assert_eq!(
        field(get(&app, &org, "teams?from=2024-01-01&to=2026-01-01").await),
        "to"
    );
    assert_eq!(field(get(&app, &org, "teams?from=yesterday").await), "from");
    get(
        &app,
        &org,
        &format!("series?metric=calls&team={}", other.initial_team),
    )
    .await
    .problem(404, "not_found");
    get(&app, &org, &format!("users?team={}", other.initial_team))
        .await
        .problem(404, "not_found");
}

/// Raw events live in monthly partitions on PostgreSQL (this month's and the next made ahead);
/// pruning past retention drops them and their ids, and the rollups keep the figures.
async fn r26_raw_events_are_pruned_past_retention_and_rollups_stay(app: TestApp) {
    use switchboard_store::usage;
    let org = app.org().seats(10).established().await;
    let token = agent_token(&app, &org, "agent-prune@example.com").await;
    let r = app
        .call(
            Method::POST,
            "/app/v1/usage",
            Some(&token),
            Some(json!({"events": [call("k1", 60), call("k2", 60)]})),
        )
        .await;
    assert_eq!(r.ok()["events"][1]["outcome"], "accepted");
    let now = switchboard_store::now_ms();
    let mut tx = app.store.write().await.unwrap();
    usage::ensure_partitions(&mut tx, now - 90 * 86_400_000, now)
        .await
        .unwrap();
    let parts = usage::partitions(&mut tx).await.unwrap();
    if app.backend() == "postgres" {
        let month = |t: time::OffsetDateTime| {
            format!("usage_events_{}_{:02}", t.year(), u8::from(t.month()))
        };
        let this = time::OffsetDateTime::now_utc();
        let next = this.replace_day(1).unwrap() + time::Duration::days(32);
        for m in [
            month(this),
            month(next),
            month(this - time::Duration::days(90)),
        ] {
            assert!(parts.contains(&m), "{m} missing from {parts:?}");
        }
    } else {
        assert!(parts.is_empty(), "SQLite keeps one table");
    }
    // Past retention (as if a year had gone by): events and ids pruned, rollups kept.
    let pruned = usage::prune(&mut tx, now + 365 * 86_400_000).await.unwrap();
    tx.commit().await.unwrap();
    if app.backend() == "sqlite" {
        assert_eq!(pruned, 2);
    }
    let mut c = app.store.read().await.unwrap();
    let left: i64 = switchboard_store::sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_events WHERE org_id = $1",
    )
    .bind(org.id.clone())
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(left, 0);
    if app.backend() == "postgres" {
        let parts = usage::partitions(&mut c).await.unwrap();
        assert_eq!(parts, ["usage_events_default"], "whole months dropped");
    }
    drop(c);
    assert_eq!(calls_today(&app, &org).await, 2, "rollups are kept");
}

db_tests!(
    r26_bad_usage_input_is_refused_and_counts_nothing,
    r26_raw_events_are_pruned_past_retention_and_rollups_stay,
);

/// A user active before and after a period, but not in it, is not active in it (their span of
/// days reaches past both ends, so their days are looked at); inside, at either end, they are.
async fn r26_active_means_a_day_inside_the_period(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent_token(&app, &org, "agent-gap@example.com").await;
    let when = crate::usage::day;
    let (day10, at10) = when(10);
    let (day0, at0) = when(0);
    let events = json!({"events": [
        {"id": "g1", "type": "call", "ended_at": at10, "duration_s": 60},
        {"id": "g2", "type": "call", "ended_at": at0, "duration_s": 60},
    ]});
    usage(&app, Some(&token), events).await.ok();
    let active = |from: String, to: String| {
        let (app, org) = (&app, &org);
        async move {
            let r = get(app, org, &format!("teams?from={from}&to={to}")).await;
            r.ok()["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["team_id"] == org.initial_team.as_str())
                .unwrap()["active_users"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(active(when(7).0, when(3).0).await, 0, "in the gap");
    assert_eq!(
        active(day10.clone(), when(5).0).await,
        1,
        "the first day inside"
    );
    assert_eq!(
        active(when(5).0, day0.clone()).await,
        1,
        "the last day inside"
    );
    assert_eq!(active(when(12).0, when(11).0).await, 0, "before the span");
    assert_eq!(active(day10, day0).await, 1);
}

db_tests!(r26_active_means_a_day_inside_the_period);

/// A feature that ran longer than its call is refused with the reason, beside the event next to
/// it that is counted (not clamped into the figures unsaid).
async fn r26_a_feature_longer_than_its_call_is_refused_with_a_reason(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent_token(&app, &org, "long-feature@example.com").await;
    let (_, at) = crate::usage::day(0);
    let r = usage(
        &app,
        Some(&token),
        json!({"events": [
            {"id": "too-long", "type": "call", "ended_at": at, "duration_s": 60,
             "features_s": {"accent_conversion": 90}},
            call("fine", 60),
        ]}),
    )
    .await;
    let body = r.ok();
    let results = body["events"].as_array().unwrap();
    assert_eq!(results[0]["outcome"], "rejected", "{body}");
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "features_s.accent_conversion (90 s) is longer than the call's duration_s (60 s)"
        ),
        "{reason}"
    );
    assert_eq!(results[1]["outcome"], "accepted", "{body}");
}

db_tests!(r26_a_feature_longer_than_its_call_is_refused_with_a_reason);
