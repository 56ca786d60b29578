//! R11: the user list — sign-in status, search, filters and pagination, and refused filters.

use crate::db_tests;
use crate::helpers::TestApp;

async fn r11_status_becomes_signed_in_at_first_sign_in(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = org
        .add(&app, &["eve@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await;
    let user = TestApp::user_id_in(&r, "eve@example.com");
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["status"], "not_signed_in");
    let not_yet = app
        .get(&org.path("/users?status=not_signed_in"), &org.admin)
        .await;
    assert_eq!(not_yet.ok()["items"].as_array().unwrap().len(), 1);
    app.sign_in("eve@example.com").await;
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["status"], "signed_in");
    let signed = app
        .get(&org.path("/users?status=signed_in"), &org.admin)
        .await;
    assert_eq!(signed.ok()["items"].as_array().unwrap().len(), 2);
}

async fn r11_users_are_searched_filtered_and_paginated(app: TestApp) {
    let org = app.org().seats(100).established().await;
    let sales: Vec<String> = (0..7).map(|i| format!("sales{i}@example.com")).collect();
    let support: Vec<String> = (0..5).map(|i| format!("support{i}@example.com")).collect();
    org.add(&app, &sales.iter().map(String::as_str).collect::<Vec<_>>())
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await
        .ok();
    org.add(
        &app,
        &support.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .to(&org.initial_team)
    .as_team_admin()
    .with_access()
    .await
    .ok();
    let count = |path: String| {
        let app = &app;
        let token = org.admin.clone();
        async move {
            app.get(&path, &token).await.ok()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(org.path("/users?q=SALES")).await, 7);
    assert_eq!(
        count(org.path(&format!("/users?team={}", org.second_team))).await,
        7
    );
    assert_eq!(
        count(org.path(&format!(
            "/users?team={}&team_role=team_admin",
            org.initial_team
        )))
        .await,
        6
    );
    assert_eq!(count(org.path("/users?app_access=false")).await, 7);
    assert_eq!(count(org.path("/users?org_role=org_admin")).await, 1);
    assert_eq!(count(org.path("/users?org_role=none")).await, 12);
    assert_eq!(
        count(org.path("/users?q=support1&team_role=team_admin")).await,
        1
    );
    assert_eq!(
        count(org.path("/users?q=%25")).await,
        0,
        "wildcards are literal"
    );
    // Pages of 5 cover all 13 users once, in a stable order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => org.path(&format!("/users?limit=5&cursor={c}")),
            None => org.path("/users?limit=5"),
        };
        let page = app.get(&path, &org.admin).await;
        for u in page.ok()["items"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 13);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);
    for bad in [
        "limit=0",
        "limit=201",
        "status=asleep",
        "org_role=king",
        "team_role=x",
        "app_access=maybe",
        "cursor=zzz",
    ] {
        app.get(&org.path(&format!("/users?{bad}")), &org.admin)
            .await
            .problem(422, "validation_failed");
    }
}

async fn r11_a_malformed_filter_is_refused_naming_the_parameter(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = app
        .get(&org.path("/users?team=Sales%20EU"), &org.admin)
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "team");
    // A well-formed id of no team of this organization matches nobody.
    let r = app
        .get(
            &org.path("/users?team=team_00000000000000000000000000"),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["items"].as_array().unwrap().len(), 0);
}

async fn r11_search_finds_exactly_the_holders_of_any_needle(app: TestApp) {
    let org = app.org().seats(50).established().await;
    let emails = [
        "qi.xu@example.com",
        "zed@example.org",
        "ana%x@example.com",
        "under_score@example.com",
        "maría.lópez@example.com",
        "bob@exa.mple.com",
    ];
    org.add(&app, &emails)
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await
        .ok();
    let all: Vec<String> = emails
        .iter()
        .map(|e| e.to_string())
        .chain([org.admin_email.clone()])
        .collect();
    for needle in [
        "q", "z", "xu", "d@", "%", "_", "%x", "ía", "lópez", "e.com", "EXA.MPLE", "nobody", "zq",
        "ó",
    ] {
        let url = org.path(&format!("/users?limit=200&q={}", urlencode(needle)));
        let got: Vec<String> = app.get(&url, &org.admin).await.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = all
            .iter()
            .filter(|e| e.contains(&needle.to_lowercase()))
            .cloned()
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "q={needle}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

db_tests!(
    r11_status_becomes_signed_in_at_first_sign_in,
    r11_users_are_searched_filtered_and_paginated,
    r11_a_malformed_filter_is_refused_naming_the_parameter,
    r11_search_finds_exactly_the_holders_of_any_needle,
);
