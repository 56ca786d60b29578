//! R26 reports: the daily series, the people list, the CSV export and the report, and the
//! analytics page in a real browser.

use super::{call, day, send};
use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

/// The analytics page in a real browser: the period picker, the table with trends, the chart.
async fn r26_analytics_page_in_a_real_browser(app: TestApp) {
    use crate::chrome::Chrome;
    let org = app.org().seats(10).established().await;
    let agent = "agent-page@example.com";
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

/// The series, per-person figures, CSV exports and the mailed report.
async fn r26_series_people_csv_and_report(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let (agent, idle) = ("agent-series@example.com", "idle-series@example.com");
    org.add(&app, &[agent, idle])
        .to(&org.initial_team)
        .as_member()
        .with_access()
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

db_tests!(
    r26_analytics_page_in_a_real_browser,
    r26_series_people_csv_and_report,
);
