//! R4–R8, R11, R13: users, memberships, bulk adds, the user list.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::{Value, json};

fn outcomes(r: &crate::helpers::Resp) -> Vec<(String, String)> {
    r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["email"].as_str().unwrap().to_owned(),
                x["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn r4_one_identity_per_normalized_email(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["  Ann@Example.COM "],
            None,
        )
        .await;
    assert_eq!(r.ok()["added"], 1);
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &["ann@example.com"],
            Some(false),
        )
        .await;
    assert_eq!(r.ok()["added"], 1);
    let list = app.get(&org.path("/users?q=ann@"), &org.admin).await;
    let items = list.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one identity");
    assert_eq!(items[0]["email"], "ann@example.com");
    assert_eq!(items[0]["memberships"].as_array().unwrap().len(), 2);
}

async fn r4_concurrent_adds_in_two_orgs_make_one_identity_per_email(app: TestApp) {
    let a = app.established_org(100).await;
    let b = app.established_org(100).await;
    let emails: Vec<String> = (0..40).map(|i| format!("shared{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ra, rb) = tokio::join!(
        app.add_users(
            &a.id,
            &a.admin,
            &a.initial_team,
            "member",
            &refs,
            Some(false)
        ),
        app.add_users(
            &b.id,
            &b.admin,
            &b.initial_team,
            "member",
            &refs,
            Some(false)
        ),
    );
    assert_eq!(
        (ra.ok()["added"].clone(), rb.ok()["added"].clone()),
        (json!(40), json!(40))
    );
    for e in &emails {
        assert_eq!(
            TestApp::user_id_in(&ra, e),
            TestApp::user_id_in(&rb, e),
            "one identity for {e}"
        );
    }
    let mut c = app.store.read().await.unwrap();
    let n: i64 = switchboard_store::sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE email LIKE 'shared%'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(n, 40);
}

async fn r5_memberships_have_their_own_role_and_access(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "team_admin",
            &["bo@example.com"],
            Some(true),
        )
        .await;
    let user = TestApp::user_id_in(&r, "bo@example.com");
    let r = app
        .post(
            &org.path(&format!("/users/{user}/memberships")),
            &org.admin,
            json!({"team_id": org.second_team, "team_role": "member", "app_access": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let ms = u.ok()["memberships"].as_array().unwrap().clone();
    let m1 = ms
        .iter()
        .find(|m| m["team_id"] == org.initial_team.as_str())
        .unwrap();
    let m2 = ms
        .iter()
        .find(|m| m["team_id"] == org.second_team.as_str())
        .unwrap();
    assert_eq!(
        (m1["team_role"].clone(), m1["app_access"].clone()),
        (json!("team_admin"), json!(true))
    );
    assert_eq!(
        (m2["team_role"].clone(), m2["app_access"].clone()),
        (json!("member"), json!(false))
    );
    assert_eq!(m2["team_name"], "Sales EU");
    // Editing one leaves the other alone.
    let r = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
            json!({"team_role": "member", "app_access": false}),
        )
        .await;
    assert_eq!(r.ok()["team_role"], "member");
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let m2 = u.ok()["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["team_id"] == org.second_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(m2["team_role"], "member");
    // A second membership in the same team is a conflict; an unknown role is invalid.
    app.post(
        &org.path(&format!("/users/{user}/memberships")),
        &org.admin,
        json!({"team_id": org.second_team, "team_role": "member"}),
    )
    .await
    .problem(409, "already_member");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
        json!({"team_role": "boss"}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn r6_bulk_add_reports_each_email(app: TestApp) {
    let org = app.established_org(20).await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["old@example.com"],
        None,
    )
    .await
    .ok();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &[
                "new@example.com",
                "OLD@example.com",
                "not-an-email",
                "",
                "new@example.com",
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        outcomes(&r),
        vec![
            ("new@example.com".into(), "added".into()),
            ("OLD@example.com".into(), "already_member".into()),
            ("not-an-email".into(), "invalid".into()),
            ("".into(), "invalid".into()),
            ("new@example.com".into(), "invalid".into()),
        ]
    );
    assert!(
        r.body["results"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("@")
    );
    assert_eq!(
        (
            r.body["added"].clone(),
            r.body["already_member"].clone(),
            r.body["invalid"].clone()
        ),
        (json!(1), json!(1), json!(3))
    );
    let users = app.get(&org.path("/users"), &org.admin).await;
    assert_eq!(
        users.ok()["items"].as_array().unwrap().len(),
        3,
        "admin, old, new"
    );
}

async fn r6_bulk_add_takes_at_most_1000_emails(app: TestApp) {
    let org = app.established_org(2000).await;
    let many: Vec<String> = (0..1001).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let detail = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &refs,
            None,
        )
        .await
        .problem(422, "validation_failed");
    assert!(detail.contains("1000"));
    app.add_users(&org.id, &org.admin, &org.initial_team, "member", &[], None)
        .await
        .problem(422, "validation_failed");
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &refs[..1000],
            None,
        )
        .await;
    assert_eq!(r.ok()["added"], 1000);
}

async fn r6_bulk_add_is_all_or_nothing_on_seats(app: TestApp) {
    let org = app.established_org(3).await; // the admin holds one seat
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["a@example.com", "b@example.com", "c@example.com"],
            Some(true),
        )
        .await;
    let detail = r.problem(409, "seat_limit_reached");
    assert!(detail.contains("3 seat(s) needed, 2 free"), "{detail}");
    let users = app.get(&org.path("/users"), &org.admin).await;
    assert_eq!(
        users.ok()["items"].as_array().unwrap().len(),
        1,
        "nothing was added"
    );
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["a@example.com", "b@example.com"],
            Some(true),
        )
        .await;
    assert_eq!(r.ok()["added"], 2);
}

async fn r7_removing_one_team_keeps_the_others(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["cy@example.com"],
            None,
        )
        .await;
    let user = TestApp::user_id_in(&r, "cy@example.com");
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["cy@example.com"],
        None,
    )
    .await
    .ok();
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], false);
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let ms = u.ok()["memberships"].as_array().unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["team_id"], org.initial_team.as_str());
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], true);
    app.get(&org.path(&format!("/users/{user}")), &org.admin)
        .await
        .problem(404, "not_found");
}

async fn r7_last_membership_drops_the_org_role(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "an@example.com", "role": "org_analyst"}),
        )
        .await;
    let user = r.ok()["user_id"].as_str().unwrap().to_owned();
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], true);
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert!(
        admins.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["user_id"] != user.as_str())
    );
    // Added again, they come back without a role.
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["an@example.com"],
        None,
    )
    .await
    .ok();
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["org_role"], Value::Null);
}

async fn r8_removing_from_org_removes_everything_at_once(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "dee@example.com", "role": "org_admin"}),
        )
        .await;
    let user = r.ok()["user_id"].as_str().unwrap().to_owned();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "team_admin",
        &["dee@example.com"],
        None,
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/users/{user}")), &org.admin)
            .await
            .status,
        204
    );
    app.get(&org.path(&format!("/users/{user}")), &org.admin)
        .await
        .problem(404, "not_found");
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert_eq!(admins.ok()["items"].as_array().unwrap().len(), 1);
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    let second = teams.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == org.second_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(second["member_count"], 0);
}

async fn r11_status_becomes_signed_in_at_first_sign_in(app: TestApp) {
    let org = app.established_org(20).await;
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["eve@example.com"],
            None,
        )
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
    let org = app.established_org(100).await;
    let sales: Vec<String> = (0..7).map(|i| format!("sales{i}@example.com")).collect();
    let support: Vec<String> = (0..5).map(|i| format!("support{i}@example.com")).collect();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &sales.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(false),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "team_admin",
        &support.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(true),
    )
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

async fn r13_no_subscription_no_app_access(app: TestApp) {
    let org = app.established_org(20).await;
    // The second team is not covered by a subscription: access defaults off and can't be turned on.
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &["fi@example.com"],
            None,
        )
        .await;
    let user = TestApp::user_id_in(&r, "fi@example.com");
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["memberships"][0]["app_access"], false);
    let detail = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
            &org.admin,
            json!({"app_access": true}),
        )
        .await
        .problem(409, "seat_limit_reached");
    assert!(detail.contains("not covered by a subscription"));
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["gi@example.com"],
        Some(true),
    )
    .await
    .problem(409, "seat_limit_reached");
}

async fn r14_reserved_team_is_capped(app: TestApp) {
    let org = app.established_org(10).await;
    app.cover_team(&org.id, &org.second_team, &org.subscription, Some(1))
        .await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["h1@example.com"],
        Some(true),
    )
    .await
    .ok();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &["h2@example.com"],
            Some(true),
        )
        .await;
    let detail = r.problem(409, "seat_limit_reached");
    assert!(
        detail.starts_with("Team Sales EU has reached its allocated seat limit (1)"),
        "{detail}"
    );
}

async fn r11_a_malformed_filter_is_refused_naming_the_parameter(app: TestApp) {
    let org = app.established_org(20).await;
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
    let org = app.established_org(50).await;
    let emails = [
        "qi.xu@example.com",
        "zed@example.org",
        "ana%x@example.com",
        "under_score@example.com",
        "maría.lópez@example.com",
        "bob@exa.mple.com",
    ];
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &emails,
        Some(false),
    )
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

db_tests!(
    r4_one_identity_per_normalized_email,
    r4_concurrent_adds_in_two_orgs_make_one_identity_per_email,
    r5_memberships_have_their_own_role_and_access,
    r6_bulk_add_reports_each_email,
    r6_bulk_add_takes_at_most_1000_emails,
    r6_bulk_add_is_all_or_nothing_on_seats,
    r7_removing_one_team_keeps_the_others,
    r7_last_membership_drops_the_org_role,
    r8_removing_from_org_removes_everything_at_once,
    r11_status_becomes_signed_in_at_first_sign_in,
    r11_users_are_searched_filtered_and_paginated,
    r13_no_subscription_no_app_access,
    r14_reserved_team_is_capped,
    r11_a_malformed_filter_is_refused_naming_the_parameter,
    r11_search_finds_exactly_the_holders_of_any_needle
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
