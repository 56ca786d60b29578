//! R12–R18: subscriptions, seat pools, per-team allocation, moves, invoices — never oversold.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use serde_json::{Value, json};

/// A second subscription for the org, through the operator API.
async fn second_subscription(app: &TestApp, org: &Org, plan: &str, seats: i64) -> String {
    let r = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            json!({"plan": plan, "seats": seats}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn subscription(app: &TestApp, org: &Org, sub: &str) -> Value {
    app.get(&org.path(&format!("/subscriptions/{sub}")), &org.admin)
        .await
        .ok()
        .clone()
}

fn team_in<'a>(view: &'a Value, team: &str) -> &'a Value {
    view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == team)
        .unwrap_or_else(|| panic!("{team} not in {view}"))
}

/// R14's invariant and the seat counters, checked on every subscription of the organization.
pub async fn assert_never_oversold(app: &TestApp, org: &Org) {
    let subs = app.get(&org.path("/subscriptions"), &org.admin).await;
    for s in subs.ok()["items"].as_array().unwrap() {
        let (seats, used, reserved) = (
            s["seats"].as_i64().unwrap(),
            s["used"].as_i64().unwrap(),
            s["reserved"].as_i64().unwrap(),
        );
        assert!(
            reserved <= seats,
            "Σ reservations {reserved} > pool {seats}: {s}"
        );
        assert!(used <= seats, "used {used} > pool {seats}: {s}");
        for t in s["teams"].as_array().unwrap() {
            if let Some(r) = t["reserved_seats"].as_i64() {
                assert!(
                    t["used"].as_i64().unwrap() <= r,
                    "reserved team over its reservation: {t}"
                );
            }
        }
        assert!(
            s["shared"]["used"].as_i64().unwrap() <= s["shared"]["size"].as_i64().unwrap(),
            "shared pool overflow: {s}"
        );
    }
    let mut c = app.store.read().await.unwrap();
    for (team, counter, counted) in
        switchboard_store::people::counted_seats(&mut c, &crate::helpers::typed(&org.id))
            .await
            .unwrap()
    {
        assert_eq!(counter, counted, "seat counter of {team} drifted");
    }
}

async fn r12_operator_creates_resizes_and_admins_rename(app: TestApp) {
    let org = app.established_org(10).await;
    let r = app.post(&format!("/operator/v1/orgs/{}/subscriptions", org.id), OPERATOR_TOKEN,
        json!({"plan": "business", "seats": 25, "name": "Night shift", "period": "annual", "unit_price_cents": 2500})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let sub = r.body["id"].as_str().unwrap().to_owned();
    assert!(sub.starts_with("sub_"));
    assert_eq!(
        (
            r.body["seats"].clone(),
            r.body["period"].clone(),
            r.body["name"].clone()
        ),
        (json!(25), json!("annual"), json!("Night shift"))
    );
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["plan"], "enterprise");
    assert!(
        view["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "sso")
    );
    assert_eq!(
        (
            view["seats"].clone(),
            view["used"].clone(),
            view["free"].clone()
        ),
        (json!(10), json!(1), json!(9))
    );
    assert_eq!(view["status"], "active");
    assert_eq!(team_in(&view, &org.initial_team)["used"], 1);
    let r = app
        .patch(
            &format!("/operator/v1/subscriptions/{sub}"),
            OPERATOR_TOKEN,
            json!({"seats": 40, "status": "past_due"}),
        )
        .await;
    assert_eq!(
        (r.ok()["seats"].clone(), r.body["status"].clone()),
        (json!(40), json!("past_due"))
    );
    let r = app
        .patch(
            &org.path(&format!("/subscriptions/{sub}")),
            &org.admin,
            json!({"name": "  Evening  "}),
        )
        .await;
    assert_eq!(r.ok()["name"], "Evening");
    app.patch(
        &org.path(&format!("/subscriptions/{sub}")),
        &org.admin,
        json!({"name": " "}),
    )
    .await
    .problem(422, "validation_failed");
    let list = app.get(&org.path("/subscriptions"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 2);
    // Bad input from the operator.
    for body in [
        json!({"plan": "gold", "seats": 5}),
        json!({"plan": "business", "seats": -1}),
        json!({"plan": "business", "seats": 1.5}),
        json!({"plan": "business", "seats": 5, "period": "weekly"}),
    ] {
        app.post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            body,
        )
        .await
        .problem(422, "validation_failed");
    }
    app.patch(
        &format!("/operator/v1/subscriptions/{sub}"),
        OPERATOR_TOKEN,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/operator/v1/orgs/org_00000000000000000000000000/subscriptions",
        OPERATOR_TOKEN,
        json!({"plan": "business", "seats": 5}),
    )
    .await
    .problem(404, "not_found");
    let log = app
        .get(
            &org.path("/audit-log?target=")
                .replace("target=", &format!("target={sub}")),
            &org.admin,
        )
        .await;
    let actions: Vec<&str> = log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "subscription.rename",
            "subscription.update",
            "subscription.create"
        ]
    );
}

async fn r12_payment_methods_never_hold_card_numbers(app: TestApp) {
    let org = app.established_org(10).await;
    let path = org.path(&format!(
        "/subscriptions/{}/payment-method",
        org.subscription
    ));
    let good = json!({"provider_token": "tok_1N3T", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031});
    for (field, value) in [
        ("provider_token", json!("4242 4242 4242 4242")),
        ("card_number", json!("4242424242424242")),
        ("last4", json!("4242424242424242")),
        ("brand", json!("visa 4000-0566-5566-5556")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        app.put(&path, &org.admin, body)
            .await
            .problem(422, "validation_failed");
    }
    for (field, value) in [
        ("last4", json!("42")),
        ("exp_month", json!(13)),
        ("exp_year", json!(2001)),
        ("brand", json!("")),
        ("cvc", json!("123")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        app.put(&path, &org.admin, body)
            .await
            .problem(422, "validation_failed");
    }
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["payment_method"], Value::Null, "nothing was stored");
    let r = app.put(&path, &org.admin, good).await;
    assert_eq!(
        r.ok()["payment_method"],
        json!({"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031})
    );
    assert!(
        !r.text.contains("tok_1N3T"),
        "the provider token is never returned"
    );
}

async fn r12_org_analysts_and_team_admins_get_403_on_billing(app: TestApp) {
    let org = app.established_org(10).await;
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "an@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "team_admin",
        &["ta@example.com"],
        None,
    )
    .await
    .ok();
    for email in ["an@example.com", "ta@example.com"] {
        let t = app.sign_in(email).await;
        app.get(&org.path("/subscriptions"), &t)
            .await
            .problem(403, "forbidden");
        app.get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &t,
        )
        .await
        .problem(403, "forbidden");
        app.get(
            &org.path(&format!("/subscriptions/{}/invoices", org.subscription)),
            &t,
        )
        .await
        .problem(403, "forbidden");
        app.patch(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &t,
            json!({"name": "x"}),
        )
        .await
        .problem(403, "forbidden");
    }
}

async fn r14_reservations_cap_a_team_and_keep_seats_for_it(app: TestApp) {
    let org = app.established_org(10).await;
    let alloc = org.path(&format!(
        "/subscriptions/{}/teams/{}",
        org.subscription, org.second_team
    ));
    let r = app
        .put(&alloc, &org.admin, json!({"reserved_seats": 4}))
        .await;
    assert_eq!(team_in(r.ok(), &org.second_team)["reserved_seats"], 4);
    assert_eq!(r.body["shared"]["size"], 6);
    // The shared pool (6, admin holds 1) takes 5 more, not 6: the 4 are kept for Sales EU.
    let five: Vec<String> = (0..5).map(|i| format!("s{i}@example.com")).collect();
    let refs: Vec<&str> = five.iter().map(String::as_str).collect();
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &refs,
        Some(true),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["x@example.com"],
        Some(true),
    )
    .await
    .problem(409, "seat_limit_reached");
    let four: Vec<String> = (0..4).map(|i| format!("r{i}@example.com")).collect();
    let refs: Vec<&str> = four.iter().map(String::as_str).collect();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &refs,
        Some(true),
    )
    .await
    .ok();
    let detail = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &["y@example.com"],
            Some(true),
        )
        .await
        .problem(409, "seat_limit_reached");
    assert!(
        detail.starts_with("Team Sales EU has reached its allocated seat limit (4)"),
        "{detail}"
    );
    // Below use, or above the pool: refused, nothing changes.
    app.put(&alloc, &org.admin, json!({"reserved_seats": 3}))
        .await
        .problem(409, "reservation_below_use");
    app.put(&alloc, &org.admin, json!({"reserved_seats": 11}))
        .await
        .problem(409, "reservations_exceed_pool");
    app.put(&alloc, &org.admin, json!({"reserved_seats": -1}))
        .await
        .problem(422, "validation_failed");
    app.put(&alloc, &org.admin, json!({"reserved_seats": "many"}))
        .await
        .problem(422, "validation_failed");
    // Clearing it: the team's 4 seats go back to a shared pool of 10 holding 10.
    let r = app
        .put(&alloc, &org.admin, json!({"reserved_seats": null}))
        .await;
    assert_eq!(
        team_in(r.ok(), &org.second_team)["reserved_seats"],
        Value::Null
    );
    assert_eq!(r.body["shared"]["used"], 10);
    assert_never_oversold(&app, &org).await;
}

async fn r15_the_subscription_view_warns_about_full_teams_and_pool(app: TestApp) {
    let org = app.established_org(3).await;
    let alloc = org.path(&format!(
        "/subscriptions/{}/teams/{}",
        org.subscription, org.second_team
    ));
    app.put(&alloc, &org.admin, json!({"reserved_seats": 1}))
        .await
        .ok();
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["warnings"].as_array().unwrap().len(), 0);
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["a@example.com"],
        Some(true),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["b@example.com"],
        Some(true),
    )
    .await
    .ok();
    let view = subscription(&app, &org, &org.subscription).await;
    let warnings = view["warnings"].as_array().unwrap();
    let limit = warnings
        .iter()
        .find(|w| w["code"] == "teams_at_allocated_limit")
        .expect("team warning");
    assert!(
        limit["message"]
            .as_str()
            .unwrap()
            .starts_with("Some teams have reached allocated seat limit")
    );
    assert!(limit["message"].as_str().unwrap().contains("Sales EU"));
    assert_eq!(limit["team_ids"], json!([org.second_team]));
    assert!(warnings.iter().any(|w| w["code"] == "shared_pool_full"));
    assert_eq!(team_in(&view, &org.second_team)["limit_reached"], true);
    assert_eq!(
        (
            view["used"].clone(),
            view["reserved"].clone(),
            view["free"].clone()
        ),
        (json!(3), json!(1), json!(0))
    );
}

async fn r16_compatible_teams_moves_and_removal(app: TestApp) {
    let org = app.established_org(20).await;
    let small = second_subscription(&app, &org, "starter", 2).await;
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    let list = app
        .get(
            &org.path(&format!("/subscriptions/{small}/compatible-teams")),
            &org.admin,
        )
        .await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    let find = |id: &str| items.iter().find(|t| t["team_id"] == id).unwrap().clone();
    assert_eq!(find(&org.second_team)["compatible"], true);
    assert_eq!(find(&dev)["compatible"], false);
    assert!(find(&dev)["reason"].as_str().unwrap().contains("device"));
    assert_eq!(
        find(&org.initial_team)["compatible"],
        false,
        "covered elsewhere"
    );
    // A device team can't join a plan for email teams.
    app.put(
        &org.path(&format!("/subscriptions/{small}/teams/{dev}")),
        &org.admin,
        json!({}),
    )
    .await
    .problem(409, "plan_incompatible");
    // The initial team (3 seats used) doesn't fit a pool of 2.
    let three = ["m1@example.com", "m2@example.com"];
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &three,
        Some(true),
    )
    .await
    .ok();
    let mv = org.path(&format!(
        "/subscriptions/{}/teams/{}/move",
        org.subscription, org.initial_team
    ));
    let detail = app
        .post(&mv, &org.admin, json!({"to_subscription_id": small}))
        .await
        .problem(409, "seat_limit_reached");
    assert!(detail.contains("Support"), "{detail}");
    app.post(
        &mv,
        &org.admin,
        json!({"to_subscription_id": small, "reserved_seats": 3}),
    )
    .await
    .problem(409, "reservations_exceed_pool");
    // Nothing moved.
    assert_eq!(
        team_in(
            &subscription(&app, &org, &org.subscription).await,
            &org.initial_team
        )["used"],
        3
    );
    // Another organization's subscription is not found.
    let other = app.established_org(5).await;
    app.post(
        &mv,
        &org.admin,
        json!({"to_subscription_id": other.subscription}),
    )
    .await
    .problem(404, "not_found");
    // Grow the small pool; then the move fits and is one step.
    app.patch(
        &format!("/operator/v1/subscriptions/{small}"),
        OPERATOR_TOKEN,
        json!({"seats": 5}),
    )
    .await
    .ok();
    let r = app
        .post(
            &mv,
            &org.admin,
            json!({"to_subscription_id": small, "reserved_seats": 4}),
        )
        .await;
    assert_eq!(team_in(r.ok(), &org.initial_team)["reserved_seats"], 4);
    assert_eq!(r.body["used"], 3);
    let old = subscription(&app, &org, &org.subscription).await;
    assert!(
        old["teams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["team_id"] != org.initial_team.as_str())
    );
    // Adding a team needs no body: no reservation.
    let t4 = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Walk-ins", "login_type": "email"}),
        )
        .await;
    let t4 = t4.ok()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            reqwest::Method::PUT,
            &org.path(&format!("/subscriptions/{small}/teams/{t4}")),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(team_in(r.ok(), &t4)["reserved_seats"], Value::Null);
    // Removing a team: only without seats.
    app.delete(
        &org.path(&format!(
            "/subscriptions/{small}/teams/{}",
            org.initial_team
        )),
        &org.admin,
    )
    .await
    .problem(409, "team_holds_seats");
    app.allocate_team(&org, &org.second_team).await;
    let r = app
        .delete(
            &org.path(&format!(
                "/subscriptions/{}/teams/{}",
                org.subscription, org.second_team
            )),
            &org.admin,
        )
        .await;
    assert!(r.ok()["teams"].as_array().unwrap().is_empty());
    assert_never_oversold(&app, &org).await;
}

async fn r16_plan_changes_keep_covered_teams_allowed(app: TestApp) {
    let org = app.established_org(10).await;
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{dev}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let r = app
        .patch(
            &format!("/operator/v1/subscriptions/{}", org.subscription),
            OPERATOR_TOKEN,
            json!({"plan": "starter"}),
        )
        .await;
    r.problem(409, "plan_incompatible");
    app.patch(
        &format!("/operator/v1/subscriptions/{}", org.subscription),
        OPERATOR_TOKEN,
        json!({"plan": "gold"}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn r17_shrinking_below_use_needs_force(app: TestApp) {
    let org = app.established_org(5).await;
    let emails = ["a@example.com", "b@example.com", "c@example.com"];
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &emails,
        Some(true),
    )
    .await
    .ok();
    let path = format!("/operator/v1/subscriptions/{}", org.subscription);
    let detail = app
        .patch(&path, OPERATOR_TOKEN, json!({"seats": 2}))
        .await
        .problem(409, "seats_in_use");
    assert!(detail.contains("4 seats are in use"), "{detail}");
    let r = app
        .patch(&path, OPERATOR_TOKEN, json!({"seats": 2, "force": true}))
        .await;
    assert_eq!(
        (r.ok()["seats"].clone(), r.body["used"].clone()),
        (json!(2), json!(4))
    );
    // Existing seats stay; new ones are refused until use is back under the pool.
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["d@example.com"],
        Some(true),
    )
    .await
    .problem(409, "seat_limit_reached");
    let users = app
        .get(&org.path("/users?app_access=true"), &org.admin)
        .await;
    assert_eq!(users.ok()["items"].as_array().unwrap().len(), 4);
    for u in users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["email"] != org.admin_email.as_str())
    {
        let id = u["id"].as_str().unwrap();
        app.patch(
            &org.path(&format!("/users/{id}/memberships/{}", org.initial_team)),
            &org.admin,
            json!({"app_access": false}),
        )
        .await
        .ok();
    }
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["d@example.com"],
            Some(true),
        )
        .await;
    assert_eq!(r.ok()["added"], 1);
}

async fn r17_fifty_concurrent_seat_requests_ten_succeed(app: TestApp) {
    let org = app.established_org(11).await; // the admin holds one: 10 free
    let emails: Vec<String> = (0..50).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &refs,
            Some(false),
        )
        .await;
    let ids: Vec<String> = emails.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    let calls = ids.iter().map(|id| {
        app.patch_owned(
            org.path(&format!("/users/{id}/memberships/{}", org.initial_team)),
            org.admin.clone(),
            json!({"app_access": true}),
        )
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let refused = results
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "seat_limit_reached")
        .count();
    assert_eq!(
        (ok, refused),
        (10, 40),
        "{:?}",
        results
            .iter()
            .map(|r| r.status.as_u16())
            .collect::<Vec<_>>()
    );
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(11), json!(0))
    );
    assert_never_oversold(&app, &org).await;
}

async fn r17_mixed_concurrent_paths_never_oversell(app: TestApp) {
    let org = app.established_org(30).await;
    let other_sub = second_subscription(&app, &org, "enterprise", 12).await;
    let t3 = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Retention", "login_type": "email"}),
        )
        .await;
    let t3 = t3.ok()["id"].as_str().unwrap().to_owned();
    app.put(
        &org.path(&format!(
            "/subscriptions/{}/teams/{}",
            org.subscription, org.second_team
        )),
        &org.admin,
        json!({"reserved_seats": 8}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{t3}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let emails: Vec<String> = (0..40).map(|i| format!("p{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = app
        .add_users(&org.id, &org.admin, &t3, "member", &refs, Some(false))
        .await;
    let ids: Vec<String> = emails.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    let mut calls: Vec<
        std::pin::Pin<Box<dyn std::future::Future<Output = crate::helpers::Resp> + '_>>,
    > = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let path = org.path(&format!("/users/{id}/memberships/{t3}"));
        calls.push(Box::pin(app.patch_owned(
            path,
            org.admin.clone(),
            json!({"app_access": true}),
        )));
        if i % 4 == 0 {
            let batch: Vec<String> = (0..3).map(|k| format!("bulk{i}-{k}@example.com")).collect();
            let team = if i % 8 == 0 {
                org.second_team.clone()
            } else {
                org.initial_team.clone()
            };
            let body = json!({"team_id": team, "team_role": "member", "emails": batch, "app_access": true});
            calls.push(Box::pin(app.post_owned(
                org.path("/users"),
                org.admin.clone(),
                body,
            )));
        }
        if i % 5 == 0 {
            let n = 4 + (i as i64 % 9);
            let path = org.path(&format!(
                "/subscriptions/{}/teams/{}",
                org.subscription, org.second_team
            ));
            calls.push(Box::pin(app.put_owned(
                path,
                org.admin.clone(),
                json!({"reserved_seats": n}),
            )));
        }
        if i % 7 == 0 {
            let (from, to) = if i % 14 == 0 {
                (org.subscription.clone(), other_sub.clone())
            } else {
                (other_sub.clone(), org.subscription.clone())
            };
            let path = org.path(&format!("/subscriptions/{from}/teams/{t3}/move"));
            calls.push(Box::pin(app.post_owned(
                path,
                org.admin.clone(),
                json!({"to_subscription_id": to}),
            )));
        }
    }
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.status.as_u16() < 500), "no 5xx");
    assert!(results.iter().any(|r| r.status == 200));
    assert!(
        results
            .iter()
            .any(|r| r.body["code"] == "seat_limit_reached")
    );
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r18_closing_periods_writes_one_gapless_invoice_per_period(app: TestApp) {
    let a = app.established_org(10).await;
    let b = app.established_org(4).await;
    let close = |now: &'static str| {
        let url = app.database_url.clone();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
                .args(["billing", "close-period", "--now", now])
                .env("DATABASE_URL", url)
                .env("SWITCHBOARD_MAIL", "file:/dev/null")
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    // Nothing has ended yet.
    assert!(close("2000-01-01T00:00:00Z").await.starts_with("0 invoice"));
    // A quarter from now: three monthly periods per subscription.
    let far = Box::leak(rfc3339_in_days(95).into_boxed_str());
    assert!(
        close(far).await.starts_with("6 invoice"),
        "two subscriptions × three months"
    );
    assert!(
        close(far).await.starts_with("0 invoice"),
        "closing twice writes nothing"
    );
    let list = app
        .get(
            &a.path(&format!("/subscriptions/{}/invoices", a.subscription)),
            &a.admin,
        )
        .await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let first = items.last().unwrap();
    assert_eq!(first["lines"][0]["seats"], 10);
    assert_eq!(first["lines"][0]["plan"], "enterprise");
    assert_eq!(first["total_cents"], 10 * 5500);
    assert_eq!(first["status"], "open");
    let b_list = app
        .get(
            &b.path(&format!("/subscriptions/{}/invoices", b.subscription)),
            &b.admin,
        )
        .await;
    let mut numbers: Vec<i64> = items
        .iter()
        .chain(b_list.ok()["items"].as_array().unwrap())
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        vec![1, 2, 3, 4, 5, 6],
        "gapless across the deployment"
    );
    let id = first["id"].as_str().unwrap();
    let one = app
        .get(
            &a.path(&format!("/subscriptions/{}/invoices/{id}", a.subscription)),
            &a.admin,
        )
        .await;
    assert_eq!(one.ok()["id"], id);
    let html = app
        .get(
            &a.path(&format!(
                "/subscriptions/{}/invoices/{id}/download",
                a.subscription
            )),
            &a.admin,
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(
        html.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        html.text.contains("<table>") && html.text.contains("550.00"),
        "{}",
        html.text
    );
    let page = app
        .get(
            &a.path(&format!(
                "/subscriptions/{}/invoices/{id}?format=html",
                a.subscription
            )),
            &a.admin,
        )
        .await;
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The operator records payment; paid is final.
    let paid = app
        .patch(
            &format!("/operator/v1/invoices/{id}"),
            OPERATOR_TOKEN,
            json!({"status": "paid"}),
        )
        .await;
    assert_eq!(paid.ok()["status"], "paid");
    app.patch(
        &format!("/operator/v1/invoices/{id}"),
        OPERATOR_TOKEN,
        json!({"status": "void"}),
    )
    .await
    .problem(409, "invoice_closed");
    app.patch(
        &format!("/operator/v1/invoices/{id}"),
        OPERATOR_TOKEN,
        json!({"status": "lost"}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(
        "/operator/v1/invoices/inv_00000000000000000000000000",
        OPERATOR_TOKEN,
        json!({"status": "paid"}),
    )
    .await
    .problem(404, "not_found");
    // Another organization's invoice is not found.
    app.get(
        &b.path(&format!("/subscriptions/{}/invoices/{id}", b.subscription)),
        &b.admin,
    )
    .await
    .problem(404, "not_found");
    let view = subscription(&app, &a, &a.subscription).await;
    assert!(
        view["current_period_start"].as_str().unwrap() > first["period_start"].as_str().unwrap()
    );
}

db_tests!(
    r12_operator_creates_resizes_and_admins_rename,
    r12_payment_methods_never_hold_card_numbers,
    r12_org_analysts_and_team_admins_get_403_on_billing,
    r14_reservations_cap_a_team_and_keep_seats_for_it,
    r15_the_subscription_view_warns_about_full_teams_and_pool,
    r16_compatible_teams_moves_and_removal,
    r16_plan_changes_keep_covered_teams_allowed,
    r17_shrinking_below_use_needs_force,
    r17_fifty_concurrent_seat_requests_ten_succeed,
    r17_mixed_concurrent_paths_never_oversell,
    r18_closing_periods_writes_one_gapless_invoice_per_period
);

fn rfc3339_in_days(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}
