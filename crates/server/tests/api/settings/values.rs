//! R19, R20: the settings catalog (every key with its type, default and feature), bad values
//! refused with clear 422s, and team settings that store only explicit values.

use super::{setting, settings_of};
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn r19_catalog_lists_every_key_with_type_default_and_feature(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let r = app.get("/api/v1/settings/catalog", &org.admin).await;
    let items = r.ok()["items"].as_array().unwrap().clone();
    assert!(items.len() >= 11);
    let retention = items
        .iter()
        .find(|s| s["key"] == "recording_retention_days")
        .unwrap();
    assert_eq!(
        (
            retention["type"].clone(),
            retention["min"].clone(),
            retention["max"].clone()
        ),
        (json!("integer"), json!(0), json!(3650))
    );
    assert_eq!(retention["feature"], "recording");
    let channel = items
        .iter()
        .find(|s| s["key"] == "auto_update_channel")
        .unwrap();
    assert_eq!(channel["type"], "enum");
    assert!(channel["values"].as_array().unwrap().len() >= 2);
    assert!(
        items
            .iter()
            .all(|s| s["label"].is_string() && s["help"].is_string())
    );
    app.call(Method::GET, "/api/v1/settings/catalog", None, None)
        .await
        .problem(401, "unauthorized");
}

async fn r19_bad_values_are_clear_422s_and_change_nothing(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    for (body, word) in [
        (json!({"no_such_key": true}), "unknown setting"),
        (json!({"agent_assist": "yes"}), "true or false"),
        (json!({"recording_retention_days": 4000}), "out of range"),
        (json!({"recording_retention_days": 2.5}), "whole number"),
        (json!({"auto_update_channel": "nightly"}), "must be one of"),
        (json!({}), "at least one"),
    ] {
        let detail = app
            .patch(&path, &org.admin, body)
            .await
            .problem(422, "validation_failed");
        assert!(detail.contains(word), "{detail}");
    }
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert!(
        view["settings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["source"] != "team")
    );
}

async fn r20_team_settings_store_only_explicit_values(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert_eq!(setting(&view, "agent_assist")["source"], "default");
    assert_eq!(setting(&view, "agent_assist")["value"], false);
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    let r = app
        .patch(
            &path,
            &org.admin,
            json!({"agent_assist": true, "recording_retention_days": 90}),
        )
        .await;
    assert_eq!(setting(r.ok(), "agent_assist")["value"], true);
    assert_eq!(setting(&r.body, "agent_assist")["source"], "team");
    assert_eq!(
        setting(&r.body, "agent_assist")["last_change"]["by"],
        org.admin_user.as_str()
    );
    assert_eq!(
        setting(&r.body, "outbound_noise_cancellation")["source"],
        "default"
    );
    let r = app
        .patch(&path, &org.admin, json!({"values": {"agent_assist": null}}))
        .await;
    assert_eq!(setting(r.ok(), "agent_assist")["source"], "default");
    assert_eq!(setting(&r.body, "recording_retention_days")["value"], 90);
    let mut c = app.store.read().await.unwrap();
    let stored = switchboard_store::settings::team_settings(
        &mut c,
        &crate::helpers::typed(&org.id),
        &crate::helpers::typed(&org.initial_team),
    )
    .await
    .unwrap();
    assert_eq!(
        stored.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
        vec!["recording_retention_days"]
    );
    let log = app
        .get(
            &org.path("/audit-log?action=team_setting.update"),
            &org.admin,
        )
        .await;
    assert_eq!(log.ok()["items"].as_array().unwrap().len(), 3);
}

db_tests!(
    r19_catalog_lists_every_key_with_type_default_and_feature,
    r19_bad_values_are_clear_422s_and_change_nothing,
    r20_team_settings_store_only_explicit_values,
);
