//! R17: seats are never oversold — shrinking below use needs force, and concurrent seat
//! requests on every path take exactly the free seats.

use super::{assert_never_oversold, second_subscription, subscription};
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;

async fn r17_shrinking_below_use_needs_force(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let emails = ["a@example.com", "b@example.com", "c@example.com"];
    org.add(&app, &emails)
        .to(&org.initial_team)
        .as_member()
        .with_access()
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
    org.add(&app, &["d@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
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
    let r = org
        .add(&app, &["d@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    assert_eq!(r.ok()["added"], 1);
}

async fn r17_fifty_concurrent_seat_requests_ten_succeed(app: TestApp) {
    let org = app.org().seats(11).established().await; // the admin holds one: 10 free
    let emails: Vec<String> = (0..50).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = org
        .add(&app, &refs)
        .to(&org.initial_team)
        .as_member()
        .without_access()
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
    let org = app.org().seats(30).established().await;
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
    let r = org
        .add(&app, &refs)
        .to(&t3)
        .as_member()
        .without_access()
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

db_tests!(
    r17_shrinking_below_use_needs_force,
    r17_fifty_concurrent_seat_requests_ten_succeed,
    r17_mixed_concurrent_paths_never_oversell,
);
