//! R26 figures: per-team figures beside the previous period's, Team Admins seeing only their
//! own teams, and days that follow the organization's time zone.

use super::{call, day, send};
use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn r26_figures_compare_with_the_previous_period_and_follow_the_role(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let agent = "agent-trend@example.com";
    org.add(&app, &[agent])
        .to(&org.initial_team)
        .as_member()
        .with_access()
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
    org.add(&app, &[ta])
        .to(&org.second_team)
        .as_team_admin()
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

/// Days are calendar days in the organization's time zone (an Org Admin's setting, audited).
async fn r26_days_follow_the_organizations_time_zone(app: TestApp) {
    let org = app.org().seats(10).established().await;
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
    org.add(&app, &[agent])
        .to(&org.initial_team)
        .as_member()
        .with_access()
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

db_tests!(
    r26_figures_compare_with_the_previous_period_and_follow_the_role,
    r26_days_follow_the_organizations_time_zone,
);
