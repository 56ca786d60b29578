//! First impressions: the demo tells one consistent story and every page speaks an Org Admin's
//! words. The demo's counters are recomputed here from the API's own lists (users, their
//! memberships and last active days) and must match the users page, the teams and the
//! analytics; then a real browser walks every page of the demo at 1280 and 390 pixels, with
//! axe-core, checking that none is wider than a phone's screen and none shows an id or a
//! machine time where people read (`Chrome::audit`), that unknown and forbidden addresses are
//! pages with the navigation, and that the users list sorts and pages both ways.

use crate::chrome::Chrome;
use crate::db_tests;
use crate::helpers::TestApp;
use crate::portal_http::{counter, page};
use reqwest::Method;
use serde_json::Value;
use switchboard_service::demo::DEMO_ADMIN;

/// Every user of the organization, through the API's pages.
async fn all_users(app: &TestApp, org: &str, token: &str) -> Vec<Value> {
    let mut users = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orgs/{org}/users?limit=200&cursor={c}"),
            None => format!("/api/v1/orgs/{org}/users?limit=200"),
        };
        let page = app.get(&path, token).await;
        let body = page.ok().clone();
        users.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return users,
        }
    }
}

async fn demo(app: &TestApp) -> (String, String) {
    switchboard_service::demo::create(&app.services, 240, 6)
        .await
        .expect("the demo is created");
    let token = app.sign_in(DEMO_ADMIN).await;
    let me = app.get("/api/v1/me", &token).await;
    let org = me.ok()["orgs"][0]["id"].as_str().unwrap().to_owned();
    (org, token)
}

async fn demo_counters_agree_with_what_they_count(app: TestApp) {
    let (org, token) = demo(&app).await;
    let users = all_users(&app, &org, &token).await;
    let memberships = |u: &Value| u["memberships"].as_array().unwrap().clone();
    let not_signed_in = users
        .iter()
        .filter(|u| u["status"] == "not_signed_in")
        .count() as i64;
    let never_used = users.iter().filter(|u| u["last_active"].is_null()).count() as i64;
    let seats: i64 = users
        .iter()
        .map(|u| {
            memberships(u)
                .iter()
                .filter(|m| m["app_access"] == true)
                .count() as i64
        })
        .sum();
    // The story holds: nobody used the app without signing in, or without app access.
    for u in &users {
        if !u["last_active"].is_null() {
            assert_eq!(u["status"], "signed_in", "used the app unsigned: {u}");
            assert!(
                memberships(u).iter().any(|m| m["app_access"] == true),
                "used the app without a seat: {u}"
            );
        }
    }
    assert!(
        not_signed_in > 0 && never_used > not_signed_in,
        "a story with some of each"
    );

    // The users page counts the same.
    let (status, html) = page(&app, &format!("/orgs/{org}/users"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(counter(&html, "Users"), users.len() as i64);
    assert_eq!(counter(&html, "Not yet signed in"), not_signed_in);
    assert_eq!(counter(&html, "Never used the app"), never_used);
    assert_eq!(counter(&html, "Seats held"), seats);

    // Each team's seats are its members with app access; analytics agree with the teams.
    let teams = app.get(&format!("/api/v1/orgs/{org}/teams"), &token).await;
    let analytics = app
        .get(&format!("/api/v1/orgs/{org}/analytics/teams"), &token)
        .await;
    let analytics = analytics.ok()["items"].as_array().unwrap().clone();
    for t in teams.ok()["items"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let holders = users
            .iter()
            .flat_map(memberships)
            .filter(|m| m["team_id"] == id && m["app_access"] == true)
            .count() as i64;
        assert_eq!(t["seats_used"], holders, "{}", t["name"]);
        let members = users
            .iter()
            .flat_map(memberships)
            .filter(|m| m["team_id"] == id)
            .count() as i64;
        assert_eq!(t["member_count"], members, "{}", t["name"]);
        let a = analytics.iter().find(|a| a["team_id"] == id).unwrap();
        assert_eq!(a["members"], members);
        assert_eq!(a["seats_held"], holders);
        let active = a["active_users"].as_i64().unwrap();
        assert!(
            active <= holders,
            "{}: {active} active of {holders} seats",
            t["name"]
        );
        let adoption = a["adoption"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&adoption), "{adoption}");
        assert_eq!(a["adoption_capped"], false);
    }
    // The subscription counts the same seats.
    let subs = app
        .get(&format!("/api/v1/orgs/{org}/subscriptions"), &token)
        .await;
    assert_eq!(subs.ok()["items"][0]["used"], seats);
}

async fn every_demo_page_reads_in_people_s_words_at_both_widths(app: TestApp) {
    let (org, token) = demo(&app).await;
    let b = Chrome::start(&format!("first-impressions-{}", app.backend())).await;
    let mut found = Vec::new();
    b.goto(&format!("{}/sign-in", app.base)).await;
    b.fill("#email", DEMO_ADMIN).await;
    b.click("button[type=submit]").await;
    let code = app.last_code(DEMO_ADMIN).await.unwrap();
    b.fill("#code", &code).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    assert!(
        b.path().await.starts_with(&format!("/orgs/{org}/")),
        "signed in"
    );

    let users = all_users(&app, &org, &token).await;
    let user = users
        .iter()
        .find(|u| u["memberships"].as_array().unwrap().len() > 1)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let teams = app.get(&format!("/api/v1/orgs/{org}/teams"), &token).await;
    let team = teams.ok()["items"][0]["id"].as_str().unwrap().to_owned();
    let subs = app
        .get(&format!("/api/v1/orgs/{org}/subscriptions"), &token)
        .await;
    let sub = subs.ok()["items"][0]["id"].as_str().unwrap().to_owned();
    for (name, path) in [
        ("teams", format!("/orgs/{org}/teams")),
        ("team", format!("/orgs/{org}/teams/{team}")),
        ("users", format!("/orgs/{org}/users")),
        ("user", format!("/orgs/{org}/users/{user}")),
        ("admins", format!("/orgs/{org}/admins")),
        ("billing", format!("/orgs/{org}/billing")),
        ("subscription", format!("/orgs/{org}/billing/{sub}")),
        (
            "team-settings",
            format!("/orgs/{org}/settings/teams/{team}"),
        ),
        ("policies", format!("/orgs/{org}/settings/policies")),
        ("sso", format!("/orgs/{org}/settings/sso")),
        ("analytics", format!("/orgs/{org}/analytics")),
        ("audit", format!("/orgs/{org}/audit")),
        ("api-tokens", format!("/orgs/{org}/api-tokens")),
        ("not-found", format!("/orgs/{org}/no-such-page")),
    ] {
        b.goto(&format!("{}{path}", app.base)).await;
        found.extend(b.audit(&format!("demo-{name}")).await);
    }

    // A mistyped address is a page with the navigation, not JSON.
    b.goto(&format!("{}/orgs/{org}/no-such-page", app.base))
        .await;
    assert!(b.text("h1").await.contains("Not Found"));
    assert!(
        b.text("nav.sidenav").await.contains("Users"),
        "the navigation"
    );

    // The users list: sorted by name, a count, pages both ways; app access in words.
    b.goto(&format!("{}/orgs/{org}/users", app.base)).await;
    let body = b.body().await;
    assert!(body.contains("Showing 1–50 of 241 users"), "{body}");
    assert!(
        body.contains("On (") && body.contains("Off"),
        "app access in words"
    );
    let first_row = b.text("tbody tr").await;
    b.click_link("Next page").await;
    assert!(b.body().await.contains("Showing 51–100 of 241 users"));
    b.click_link("Previous page").await;
    assert!(b.body().await.contains("Showing 1–50 of 241 users"));
    assert_eq!(b.text("tbody tr").await, first_row, "back where it started");
    // Sorted by last active, newest first: the first row used the app on the latest day.
    b.goto(&format!("{}/orgs/{org}/users?sort=-last_active", app.base))
        .await;
    let latest = users
        .iter()
        .filter_map(|u| u["last_active"].as_str())
        .max()
        .unwrap()
        .to_owned();
    let shown = b
        .client
        .find(fantoccini::Locator::Css("tbody tr time"))
        .await
        .unwrap()
        .attr("datetime")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some(latest.as_str()));
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("th[aria-sort=descending]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .trim_end_matches(" ▼"),
        "Last active"
    );

    // The audit log takes plain days and reads in sentences; signing in is in it.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    b.goto(&format!(
        "{}/orgs/{org}/audit?from={today}&to={today}",
        app.base
    ))
    .await;
    let log = b.text("table").await;
    assert!(
        log.contains(&format!("{DEMO_ADMIN} signed in to the portal")),
        "{log}"
    );
    assert!(log.contains("Assigned Org Admin to"), "{log}");
    b.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}

async fn unknown_and_forbidden_addresses_answer_pages_and_api_paths_json(app: TestApp) {
    let org = app.org().seats(10).established().await;
    // An Org Analyst: the same 403 page for every section they may not use.
    app.post(
        &org.path("/admins"),
        &org.admin,
        serde_json::json!({"email": "reader@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    let analyst = app.sign_in("reader@example.com").await;
    for section in ["audit", "billing", "api-tokens"] {
        let (status, html) = page(&app, &format!("/orgs/{}/{section}", org.id), &analyst).await;
        assert_eq!(status, 403, "{section}");
        assert!(html.contains("<h1>Forbidden</h1>"), "{section}: {html}");
        assert!(
            html.contains("class=\"sidenav\""),
            "{section}: inside the navigation"
        );
    }
    // Mistyped portal addresses: a 404 page, signed in or not.
    let (status, html) = page(&app, &format!("/orgs/{}/nope", org.id), &org.admin).await;
    assert_eq!(status, 404);
    assert!(html.contains("<h1>Not Found</h1>") && html.contains("class=\"sidenav\""));
    let r = app.call(Method::GET, "/no/such/page", None, None).await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The API's paths answer problems.
    app.get("/api/v1/no-such-route", &org.admin)
        .await
        .problem(404, "not_found");
    // A favicon, not a 404.
    let r = app.call(Method::GET, "/favicon.ico", None, None).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.headers["content-type"], "image/svg+xml");
}

db_tests!(
    demo_counters_agree_with_what_they_count,
    every_demo_page_reads_in_people_s_words_at_both_widths,
    unknown_and_forbidden_addresses_answer_pages_and_api_paths_json,
);
