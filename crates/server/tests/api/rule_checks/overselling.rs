//! R17: seats are never oversold, whether devices enroll concurrently in one instance or two
//! instances share the database.

use super::{assert_never_oversold, audit_log, items, new_team, seats_used, subscription};
use crate::db_tests;
use crate::helpers::{Resp, TestApp};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

type Call<'a> = Pin<Box<dyn Future<Output = Resp> + 'a>>;

fn statuses(results: &[Resp]) -> Vec<u16> {
    results.iter().map(|r| r.status.as_u16()).collect()
}

async fn r17_concurrent_device_enrollments_never_oversell(app: TestApp) {
    const N: usize = 5;
    let org = app.org().seats(N as i64 + 1).established().await; // the admin holds one seat: N free
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{dev}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    let k = app
        .post(&keys, &org.admin, json!({"max_uses": 3 * N}))
        .await;
    let key = k.ok()["key"].as_str().unwrap().to_owned();
    let key_id = k.body["id"].as_str().unwrap().to_owned();
    let calls = (0..3 * N).map(|i| {
        let body = json!({"enrollment_key": key, "device_name": format!("PC-{i:02}")});
        let app = &app;
        async move {
            app.call(Method::POST, "/app/v1/devices/enroll", None, Some(body))
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    let refused = results
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "seat_limit_reached")
        .count();
    assert_eq!((ok.len(), refused), (N, 2 * N), "{:?}", statuses(&results));
    let tokens: BTreeSet<&str> = ok
        .iter()
        .map(|r| r.body["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), N, "one token per device");
    assert_eq!(seats_used(&app, &org, &dev).await, N as i64);
    let devices = app
        .get(&org.path(&format!("/teams/{dev}/devices")), &org.admin)
        .await;
    assert_eq!(items(&devices).len(), N);
    let listed = app.get(&keys, &org.admin).await;
    let k = items(&listed)
        .into_iter()
        .find(|k| k["id"] == key_id.as_str())
        .unwrap();
    assert_eq!(k["uses"], N as i64, "refused enrollments use nothing up");
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(N + 1), json!(0))
    );
    let enrolled = audit_log(&app, &org)
        .await
        .iter()
        .filter(|e| e["action"] == "device.enroll")
        .count();
    assert_eq!(enrolled, N);
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r17_two_instances_never_oversell(app: TestApp) {
    let org = app.org().seats(11).established().await; // the admin holds one seat: 10 free
    let other = app.second_instance().await;
    let emails: Vec<String> = (0..30).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = org
        .add(&app, &refs)
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    let ids: Vec<String> = emails.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    let mut calls: Vec<Call<'_>> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let on = if i % 2 == 0 { &app } else { &other };
        let path = org.path(&format!("/users/{id}/memberships/{}", org.initial_team));
        calls.push(Box::pin(on.patch_owned(
            path,
            org.admin.clone(),
            json!({"app_access": true}),
        )));
        if i % 3 == 0 {
            // Bulk adds of two, from the other instance than the toggle next to them.
            let on = if i % 2 == 0 { &other } else { &app };
            let body = json!({"team_id": org.initial_team, "team_role": "member",
                "emails": [format!("bulk{i}a@example.com"), format!("bulk{i}b@example.com")], "app_access": true});
            calls.push(Box::pin(on.post_owned(
                org.path("/users"),
                org.admin.clone(),
                body,
            )));
        }
    }
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(|r| r.status.as_u16() < 500),
        "no 5xx: {:?}",
        statuses(&results)
    );
    assert!(
        results
            .iter()
            .all(|r| r.status == 200 || r.body["code"] == "seat_limit_reached"),
        "{:?}",
        statuses(&results)
    );
    let toggles = results
        .iter()
        .filter(|r| r.status == 200 && r.body.get("results").is_none())
        .count();
    let bulk = results
        .iter()
        .filter(|r| r.status == 200 && r.body.get("results").is_some())
        .count();
    // Seats are only taken here, never given back: once a toggle was refused, the pool was full.
    assert_eq!(
        toggles + 2 * bulk,
        10,
        "{toggles} toggles and {bulk} bulk adds of two got seats"
    );
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(11), json!(0))
    );
    let on = app
        .get(&org.path("/users?app_access=true&limit=200"), &org.admin)
        .await;
    assert_eq!(items(&on).len(), 11, "seat holders in the user list");
    assert_eq!(
        seats_used(&other, &org, &org.initial_team).await,
        11,
        "as the other instance sees it"
    );
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(
    r17_concurrent_device_enrollments_never_oversell,
    r17_two_instances_never_oversell,
);
