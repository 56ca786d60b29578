//! Devices: enrolled with keys, holding seats, managed by Team Admins of their own teams only.

use super::entitlement;
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn devices_enroll_with_keys_and_hold_seats(app: TestApp) {
    let org = app.org().seats(3).established().await; // admin holds 1
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
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    let k = app.post(&keys, &org.admin, json!({"max_uses": 5})).await;
    assert_eq!(k.status, 201, "{}", k.text);
    let key = k.body["key"].as_str().unwrap().to_owned();
    let key_id = k.body["id"].as_str().unwrap().to_owned();
    let list = app.get(&keys, &org.admin).await;
    assert!(
        list.ok()["items"][0].get("key").is_none(),
        "the key is shown once"
    );
    let app = &app;
    let enroll = |name: &str, key: &str| {
        let body = json!({"enrollment_key": key, "device_name": name});
        async move {
            app.call(Method::POST, "/app/v1/devices/enroll", None, Some(body))
                .await
        }
    };
    let d1 = enroll("PC-01", &key).await;
    assert_eq!(d1.status, 201, "{}", d1.text);
    let token = d1.body["token"].as_str().unwrap().to_owned();
    let e = entitlement(app, &token, None).await;
    assert_eq!(
        (
            e.ok()["subject"]["kind"].clone(),
            e.body["subject"]["name"].clone()
        ),
        (json!("device"), json!("PC-01"))
    );
    enroll("PC-02", &key).await.ok();
    // The pool (3) is full: the third device is refused by the seat check.
    enroll("PC-03", &key)
        .await
        .problem(409, "seat_limit_reached");
    let teams = app
        .get(&org.path(&format!("/teams/{dev}")), &org.admin)
        .await;
    assert_eq!(teams.ok()["seats_used"], 2);
    // Rename, then remove: the seat is free and the token stops working.
    let devices = app
        .get(&org.path(&format!("/teams/{dev}/devices")), &org.admin)
        .await;
    let d1_id = d1.body["device_id"].as_str().unwrap();
    assert_eq!(devices.ok()["items"].as_array().unwrap().len(), 2);
    let r = app
        .patch(
            &org.path(&format!("/teams/{dev}/devices/{d1_id}")),
            &org.admin,
            json!({"name": "PC-01 (window)"}),
        )
        .await;
    assert_eq!(r.ok()["name"], "PC-01 (window)");
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/devices/{d1_id}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    entitlement(app, &token, None)
        .await
        .problem(401, "unauthorized");
    enroll("PC-03", &key).await.ok();
    // Revoked, used-up and expiring keys.
    assert_eq!(
        app.delete(&format!("{keys}/{key_id}"), &org.admin)
            .await
            .status,
        204
    );
    let detail = enroll("PC-04", &key)
        .await
        .problem(403, "enrollment_key_invalid");
    assert!(detail.contains("revoked"));
    app.patch(
        &format!("/operator/v1/subscriptions/{}", org.subscription),
        crate::helpers::OPERATOR_TOKEN,
        json!({"seats": 10}),
    )
    .await
    .ok();
    let once = app
        .post(&keys, &org.admin, json!({"max_uses": 1}))
        .await
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    enroll("PC-05", &once).await.ok();
    assert!(
        enroll("PC-06", &once)
            .await
            .problem(403, "enrollment_key_invalid")
            .contains("used up")
    );
    enroll("PC-07", "sbk_unknown")
        .await
        .problem(403, "enrollment_key_invalid");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::milliseconds(300))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let brief = app
        .post(&keys, &org.admin, json!({"expires_at": soon}))
        .await
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(
        enroll("PC-08", &brief)
            .await
            .problem(403, "enrollment_key_invalid")
            .contains("expired")
    );
    app.post(
        &keys,
        &org.admin,
        json!({"expires_at": "2001-01-01T00:00:00Z"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(&keys, &org.admin, json!({"max_uses": 0}))
        .await
        .problem(422, "validation_failed");
    // A team with enrolled devices can't be deleted.
    app.delete(&org.path(&format!("/teams/{dev}")), &org.admin)
        .await
        .problem(409, "team_not_empty");
    // Enrollment keys are for device teams only.
    app.post(
        &org.path(&format!("/teams/{}/enrollment-keys", org.initial_team)),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    crate::billing::assert_never_oversold(app, &org).await;
}

async fn team_admins_manage_their_own_devices_only(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    org.add(&app, &["lead@example.com"])
        .to(&dev)
        .as_team_admin()
        .await
        .ok();
    org.add(&app, &["other@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    let lead = app.sign_in("lead@example.com").await;
    let other = app.sign_in("other@example.com").await;
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    assert_eq!(app.post(&keys, &lead, json!({})).await.status, 201);
    app.post(&keys, &other, json!({}))
        .await
        .problem(403, "forbidden");
    // No body at all means no expiry and no use limit.
    let bare = app.call(Method::POST, &keys, Some(&lead), None).await;
    assert_eq!(bare.status, 201, "{}", bare.text);
    assert_eq!(
        (
            bare.body["expires_at"].clone(),
            bare.body["max_uses"].clone()
        ),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    app.get(&org.path(&format!("/teams/{dev}/devices")), &other)
        .await
        .problem(403, "forbidden");
}

db_tests!(
    devices_enroll_with_keys_and_hold_seats,
    team_admins_manage_their_own_devices_only,
);
