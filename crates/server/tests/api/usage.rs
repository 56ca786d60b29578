//! R26: usage from the apps — each event counted once (also when two instances take the same
//! event at the same moment), a bad event rejected alone with its reason, the team at ingest
//! time kept, analytics off refused — and the per-team figures beside the previous period's,
//! Team Admins seeing only their own teams.

use crate::apps::app_sign_in;
use crate::db_tests;
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

async fn r26_events_count_once_and_bad_ones_are_refused_alone(app: TestApp) {
    let org = app.established_org(10).await;
    let agent = "agent-usage@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (today, at) = day(0);
    let results = send(
        &app,
        &token,
        json!([
            call("c1", &at, 300),
            call("c1", &at, 300),
            {"id": "s1", "type": "app_start", "at": at},
            {"id": "bad", "type": "call", "ended_at": at, "duration_s": -5},
            {"id": "x", "type": "call", "ended_at": at, "duration_s": 5, "features_s": {"teleport": 5}},
            {"id": "late", "type": "call", "ended_at": "2099-01-01T00:00:00Z", "duration_s": 5},
            {"id": "long", "type": "call", "ended_at": at, "duration_s": 9_223_372_036_854_775_807_i64},
            {"type": "call"},
            call("c2", &at, 120),
        ]),
    )
    .await;
    let outcomes: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "accepted",
            "duplicate",
            "accepted",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "accepted"
        ]
    );
    assert!(
        results[3]["reason"]
            .as_str()
            .unwrap()
            .contains("negative duration")
    );
    assert!(
        results[4]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown feature")
    );
    assert!(results[5]["reason"].as_str().unwrap().contains("future"));
    assert!(
        results[6]["reason"]
            .as_str()
            .unwrap()
            .contains("longer than a day")
    );
    assert!(results[7]["reason"].as_str().unwrap().contains("id"));
    // Sent again from a second instance, at the same moment as from the first: still once.
    let second = app.second_instance().await;
    let (a, b) = tokio::join!(
        send(&app, &token, json!([call("c3", &at, 60)])),
        send(&second, &token, json!([call("c3", &at, 60)]))
    );
    let mut both = [a[0]["outcome"].clone(), b[0]["outcome"].clone()];
    both.sort_by_key(|v| v.to_string());
    assert_eq!(both, [json!("accepted"), json!("duplicate")]);

    let figures = app
        .get(
            &org.path(&format!("/analytics/teams?from={today}&to={today}")),
            &org.admin,
        )
        .await;
    let team = figures.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(team["calls"], 3, "{team}");
    assert_eq!(team["call_minutes"], 8.0, "300 + 120 + 60 seconds");
    assert_eq!(team["active_users"], 1);
    assert_eq!(team["feature_minutes"]["accent_conversion"], 4.0);
    assert_eq!(team["previous"]["calls"], 0);
    assert!(team["adoption"].as_f64().unwrap() > 0.0);
}

async fn r26_figures_compare_with_the_previous_period_and_follow_the_role(app: TestApp) {
    let org = app.established_org(10).await;
    let agent = "agent-trend@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two calls last week, one this week.
    let (_, last_week) = day(8);
    let (today, now) = day(0);
    let (week_start, _) = day(6);
    send(
        &app,
        &token,
        json!([
            call("w1", &last_week, 60),
            call("w2", &last_week, 60),
            call("n1", &now, 60)
        ]),
    )
    .await;
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={week_start}&to={today}")),
            &org.admin,
        )
        .await;
    let body = r.ok().clone();
    let team = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap();
    assert_eq!(team["calls"], 1);
    assert_eq!(team["previous"]["calls"], 2);
    assert!(body["previous_to"].as_str().unwrap() < week_start.as_str());
    // A Team Admin of the other team sees only that team; bad periods are 422s naming the field.
    let ta = "ta-analytics@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "team_admin",
        &[ta],
        None,
    )
    .await
    .ok();
    let ta = app.sign_in(ta).await;
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={week_start}&to={today}")),
            &ta,
        )
        .await;
    let ids: Vec<&str> = r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [org.second_team.as_str()]);
    for (q, field) in [
        ("from=2026-13-01&to=2026-01-01", "from"),
        (&format!("from={today}&to={week_start}"), "to"),
    ] {
        let r = app
            .get(&org.path(&format!("/analytics/teams?{q}")), &org.admin)
            .await;
        r.problem(422, "validation_failed");
        assert_eq!(r.body["field"], field);
    }
    // The team turns usage analytics off: its apps' events are refused with a clear code.
    app.patch(
        &org.path(&format!("/teams/{}/settings", org.initial_team)),
        &org.admin,
        json!({"usage_analytics": false}),
    )
    .await
    .ok();
    app.call(
        Method::POST,
        "/app/v1/usage",
        Some(&token),
        Some(json!({"events": [call("off", &now, 5)]})),
    )
    .await
    .problem(403, "usage_analytics_off");
}

db_tests!(
    r26_events_count_once_and_bad_ones_are_refused_alone,
    r26_figures_compare_with_the_previous_period_and_follow_the_role,
);

/// The analytics page in a real browser: the period picker, the table with trends, the chart.
async fn r26_analytics_page_in_a_real_browser(app: TestApp) {
    use crate::chrome::Chrome;
    let org = app.established_org(10).await;
    let agent = "agent-page@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (today, now) = day(0);
    send(&app, &token, json!([call("p1", &now, 600)])).await;
    let b = Chrome::start(&format!("analytics-{}", app.backend())).await;
    b.goto(&format!("{}/orgs/{}/analytics", app.base, org.id))
        .await;
    b.fill("#email", &org.admin_email).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    let code = app.last_code(&org.admin_email).await.unwrap();
    b.fill("#code", &code).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    assert_eq!(b.path().await, format!("/orgs/{}/analytics", org.id));
    let table = b.text("table").await;
    // Ten call minutes, whole; none the period before: a new figure, said in words too.
    assert!(table.contains("10\n"), "{table}");
    assert!(table.contains("new"), "{table}");
    let words = b.text("table .sr-only").await;
    assert!(
        words.contains("none in the previous period") || words.is_empty(),
        "{words}"
    );
    // Each chart has its numbers beside it: per team, per day, per feature.
    let per_team = b.text("#per-team-caption").await;
    assert!(per_team.contains("Call minutes per team"), "{per_team}");
    let beside = b.text(".chart-pair .numbers").await;
    assert!(beside.contains("10"), "{beside}");
    // The charts name their axes and their bars.
    let svg = b.text(".chart svg").await;
    assert!(svg.contains("Call minutes"), "{svg}");
    let body = b.body().await;
    let today = time::Date::parse(
        &today,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    let shown = format!(
        "{} {} {}",
        today.day(),
        &today.month().to_string()[..3],
        today.year()
    );
    assert!(body.contains(&shown), "the day's row, {shown}: {body}");
    assert!(
        body.contains("Accent conversion") && body.contains("Outbound noise cancellation"),
        "{body}"
    );
    let mut violations = b.audit("analytics").await;
    // The team filter: the second team made no calls.
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    let name_of = |id: &str| {
        teams.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first, second) = (name_of(&org.initial_team), name_of(&org.second_team));
    b.select("team", &second).await;
    b.click("form[aria-label='Choose the period'] button[type=submit]")
        .await;
    let table = b.text("table").await;
    assert!(
        table.contains(&second) && !table.contains(&first),
        "{table}"
    );
    let body = b.body().await;
    assert!(body.contains("No calls in this period."), "{body}");
    assert!(body.contains("No feature was used in this period."));
    violations.extend(b.audit("analytics-team").await);
    // The CSV links answer the same period and team.
    let (_, html) = crate::portal_http::page(
        &app,
        &format!("/orgs/{}/analytics?team={}", org.id, org.initial_team),
        &org.admin,
    )
    .await;
    let link = |path: &str| {
        html.split("href=\"")
            .find(|h| h.contains(path))
            .and_then(|h| h.split('"').next())
            .unwrap_or_else(|| panic!("no {path} link"))
            .replace("&amp;", "&")
            .replace("&#38;", "&")
    };
    let (status, csv) =
        crate::portal_http::page(&app, &link("/analytics/teams?"), &org.admin).await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.starts_with("team_id,"), "{csv}");
    let people = link("/analytics/users?");
    assert!(
        people.contains(&format!("team={}", org.initial_team)),
        "{people}"
    );
    let (status, people) = crate::portal_http::page(&app, &people, &org.admin).await;
    assert_eq!(status, 200, "{people}");
    assert!(people.contains(agent), "{people}");
    assert!(csv.contains(&first), "{csv}");
    // A period the other way round says so beside the field.
    b.fill("#from", "").await;
    b.goto(&format!(
        "{}/orgs/{}/analytics?from={today}&to=2020-01-01",
        app.base, org.id
    ))
    .await;
    assert!(
        b.body().await.contains("on or after from"),
        "{}",
        b.body().await
    );
    violations.extend(b.audit("analytics-error").await);
    b.close().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
}

db_tests!(r26_analytics_page_in_a_real_browser);

/// Days are calendar days in the organization's time zone (an Org Admin's setting, audited).
async fn r26_days_follow_the_organizations_time_zone(app: TestApp) {
    let org = app.established_org(10).await;
    let r = app
        .patch(
            &org.path(""),
            &org.admin,
            json!({"time_zone": "America/New_York"}),
        )
        .await;
    assert_eq!(r.ok()["time_zone"], "America/New_York");
    app.patch(
        &org.path(""),
        &org.admin,
        json!({"time_zone": "Mars/Olympus"}),
    )
    .await
    .problem(422, "validation_failed");
    let agent = "agent-tz@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // 03:30 UTC two days ago is still the day before in New York.
    let utc_day = (time::OffsetDateTime::now_utc() - time::Duration::days(2)).date();
    let ny_day = utc_day.previous_day().unwrap();
    send(
        &app,
        &token,
        json!([call("tz1", &format!("{utc_day}T03:30:00Z"), 60)]),
    )
    .await;
    let calls = |from: time::Date| {
        let path = org.path(&format!("/analytics/teams?from={from}&to={from}"));
        let app = &app;
        let admin = org.admin.clone();
        let team = org.initial_team.clone();
        async move {
            let r = app.get(&path, &admin).await;
            r.ok()["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["team_id"] == team.as_str())
                .unwrap()["calls"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(calls(ny_day).await, 1);
    assert_eq!(calls(utc_day).await, 0);
    let log = app
        .get(&org.path("/audit-log?action=org.time_zone"), &org.admin)
        .await;
    assert_eq!(log.ok()["items"].as_array().unwrap().len(), 1);
}

db_tests!(r26_days_follow_the_organizations_time_zone);

/// The series, per-person figures, CSV exports and the mailed report.
async fn r26_series_people_csv_and_report(app: TestApp) {
    let org = app.established_org(10).await;
    let (agent, idle) = ("agent-series@example.com", "idle-series@example.com");
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent, idle],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (today, now) = day(0);
    let (yesterday, before) = day(1);
    send(
        &app,
        &token,
        json!([
            call("s1", &now, 120),
            call("s2", &before, 60),
            call("s3", &before, 60)
        ]),
    )
    .await;
    let q = format!("from={yesterday}&to={today}");
    let s = app
        .get(
            &org.path(&format!("/analytics/series?metric=calls&{q}")),
            &org.admin,
        )
        .await;
    let points: Vec<(String, f64)> = s.ok()["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start"].as_str().unwrap().to_owned(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, vec![(yesterday.clone(), 2.0), (today.clone(), 1.0)]);
    let s = app
        .get(
            &org.path(&format!(
                "/analytics/series?metric=feature_minutes:accent_conversion&{q}"
            )),
            &org.admin,
        )
        .await;
    assert_eq!(s.ok()["points"][1]["value"], 1.0);
    let w = app
        .get(
            &org.path(&format!(
                "/analytics/series?metric=active_users&interval=week&{q}"
            )),
            &org.admin,
        )
        .await;
    let total: f64 = w.ok()["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .sum();
    assert!(
        (1.0..=2.0).contains(&total),
        "one person, in one or two weeks: {w:?}",
        w = w.text
    );
    for bad in [
        "metric=sleep",
        "metric=feature_minutes:teleport",
        "metric=calls&from=2020-01-01&to=2026-01-01",
    ] {
        app.get(&org.path(&format!("/analytics/series?{bad}")), &org.admin)
            .await
            .problem(422, "validation_failed");
    }
    // People: the agent first (most calls), the idle member last, with no last day.
    let u = app
        .get(&org.path(&format!("/analytics/users?{q}")), &org.admin)
        .await;
    let items = u.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["email"], agent);
    assert_eq!(items[0]["calls"], 3);
    assert_eq!(items[0]["last_active"], today.as_str());
    let idle_row = items.iter().find(|i| i["email"] == idle).unwrap();
    assert!(idle_row["last_active"].is_null());
    // CSV, formulas neutralized.
    app.patch(
        &org.path(&format!("/teams/{}", org.initial_team)),
        &org.admin,
        json!({"name": "=SUM(A1)"}),
    )
    .await
    .ok();
    let r = app
        .client
        .get(format!(
            "{}{}",
            app.base,
            org.path(&format!("/analytics/teams?{q}&format=csv"))
        ))
        .bearer_auth(&org.admin)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with("team_id,team_name,members"), "{text}");
    assert!(text.contains("'=SUM(A1)"), "{text}");
    // The report goes to the caller's mailbox.
    let r = app
        .post(&org.path("/analytics/report"), &org.admin, json!({}))
        .await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.text);
    let mail = app
        .mails()
        .await
        .into_iter()
        .rev()
        .find(|m| m["to"] == org.admin_email.as_str())
        .unwrap();
    assert!(mail["subject"].as_str().unwrap().contains("usage report"));
    assert!(mail["body"].as_str().unwrap().contains("3 calls"), "{mail}");
}

db_tests!(r26_series_people_csv_and_report);

/// R26, as a property: random batches with repeats, sent by several clients at once (to two
/// instances), leave rollups equal to what the raw events add up to — each event counted once.
async fn r26_concurrent_batches_with_repeats_roll_up_exactly(app: TestApp) {
    let org = app.established_org(10).await;
    let agent = "agent-property@example.com";
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &[agent],
        Some(true),
    )
    .await
    .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.second_instance().await;
    // 60 distinct events over 5 days; each client sends a random selection, repeats included.
    let events: Vec<Value> = (0..60)
        .map(|i| {
            let (_, at) = day(i % 5);
            call(&format!("p{i}"), &at, 30 + i * 7)
        })
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut batches = Vec::new();
    for _ in 0..8 {
        let n = 20 + (next() % 40) as usize;
        let batch: Vec<Value> = (0..n)
            .map(|_| events[(next() % 60) as usize].clone())
            .collect();
        batches.push(batch);
    }
    let sent: std::collections::BTreeSet<String> = batches
        .iter()
        .flatten()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let mut tasks = Vec::new();
    for (i, batch) in batches.into_iter().enumerate() {
        let target = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.base.clone()
        };
        let client = app.client.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{target}/app/v1/usage"))
                .bearer_auth(&token)
                .json(&json!({"events": batch}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.json::<Value>().await.unwrap();
            assert_eq!(status, 200, "{body}");
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["outcome"] == "accepted")
                .count()
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.unwrap();
    }
    assert_eq!(
        accepted,
        sent.len(),
        "each distinct event accepted exactly once"
    );
    // The rollups equal the raw events, summed.
    let (calls, seconds) = events
        .iter()
        .filter(|e| sent.contains(e["id"].as_str().unwrap()))
        .fold((0, 0), |(c, s), e| {
            (c + 1, s + e["duration_s"].as_i64().unwrap())
        });
    let (first, _) = day(4);
    let (last, _) = day(0);
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={first}&to={last}")),
            &org.admin,
        )
        .await;
    let team = r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(team["calls"], calls);
    assert_eq!(
        team["call_minutes"],
        ((seconds as f64 / 6.0).round() / 10.0)
    );
    assert_eq!(team["active_users"], 1);
    // The team rollups equal the subjects' days: sums per team and day, and each subject's span.
    let mut c = app.store.read().await.unwrap();
    for check in [
        // An aggregate over no rows is NULL: the sentinels make a row with nothing behind it
        // count as wrong.
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_days t WHERE t.org_id = $1 AND \
         (t.calls, t.call_seconds, t.app_starts) <> (SELECT COALESCE(SUM(s.calls), -1), \
          COALESCE(SUM(s.call_seconds), -1), COALESCE(SUM(s.app_starts), -1) FROM usage_subject_days s \
          WHERE s.org_id = t.org_id AND s.team_id = t.team_id AND s.day = t.day)",
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_subjects t WHERE t.org_id = $1 AND \
         (t.first_day, t.last_day) <> (SELECT COALESCE(MIN(s.day), ''), COALESCE(MAX(s.day), '') \
          FROM usage_subject_days s \
          WHERE s.org_id = t.org_id AND s.team_id = t.team_id AND s.subject_id = t.subject_id)",
    ] {
        let wrong: i64 = switchboard_store::sqlx::query_scalar(check)
            .bind(org.id.clone())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(wrong, 0, "{check}");
    }
    let rows: i64 = switchboard_store::sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_days WHERE org_id = $1",
    )
    .bind(org.id.clone())
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(rows, 5, "one row per day of the five");
}

db_tests!(r26_concurrent_batches_with_repeats_roll_up_exactly);
