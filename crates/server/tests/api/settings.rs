//! R19–R24: the settings catalog, team settings, setting policies and SSO policies.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

fn setting<'a>(view: &'a Value, key: &str) -> &'a Value {
    view["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("{key} not in {view}"))
}

async fn settings_of(app: &TestApp, org: &Org, team: &str) -> Value {
    app.get(&org.path(&format!("/teams/{team}/settings")), &org.admin)
        .await
        .ok()
        .clone()
}

async fn r19_catalog_lists_every_key_with_type_default_and_feature(app: TestApp) {
    let org = app.established_org(5).await;
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
    let org = app.established_org(5).await;
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
    let org = app.established_org(5).await;
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

async fn r21_policies_override_and_team_values_come_back(app: TestApp) {
    let org = app.established_org(5).await;
    let team_path = org.path(&format!("/teams/{}/settings", org.initial_team));
    app.patch(
        &team_path,
        &org.admin,
        json!({"outbound_noise_cancellation": false}),
    )
    .await
    .ok();
    let r = app.post(&org.path("/policies"), &org.admin, json!({"name": "Quiet floor",
        "values": {"outbound_noise_cancellation": true, "call_summary": true}, "team_ids": [org.initial_team]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pol = r.body["id"].as_str().unwrap().to_owned();
    assert!(pol.starts_with("pol_"));
    assert_eq!(r.body["team_ids"], json!([org.initial_team]));
    let view = settings_of(&app, &org, &org.initial_team).await;
    let s = setting(&view, "outbound_noise_cancellation");
    assert_eq!(
        (s["value"].clone(), s["locked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(s["source"], "policy");
    assert_eq!(s["policy"], json!({"id": pol, "name": "Quiet floor"}));
    assert_eq!(s["team_value"], false, "the team's own value stays stored");
    // Unapplying brings the team's value back at once.
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"team_ids": [org.second_team]}),
    )
    .await
    .ok();
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["value"],
        false
    );
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["source"],
        "team"
    );
    // Deleting it too.
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"team_ids": [org.initial_team]}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/policies/{pol}")), &org.admin)
            .await
            .status,
        204
    );
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["value"],
        false
    );
    app.get(&org.path(&format!("/policies/{pol}")), &org.admin)
        .await
        .problem(404, "not_found");
}

async fn r22_two_policies_may_not_set_one_key_on_one_team(app: TestApp) {
    let org = app.established_org(5).await;
    let p1 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist on",
        "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
        )
        .await;
    let p1 = p1.ok()["id"].as_str().unwrap().to_owned();
    let detail = app.post(&org.path("/policies"), &org.admin, json!({"name": "Assist off",
        "values": {"agent_assist": false, "call_summary": true}, "team_ids": [org.initial_team, org.second_team]})).await
        .problem(409, "policy_conflict");
    assert!(
        detail.contains("Assist on")
            && detail.contains("agent_assist")
            && detail.contains("Support"),
        "{detail}"
    );
    let p2 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist off",
        "values": {"agent_assist": false}, "team_ids": [org.second_team]}),
        )
        .await;
    let p2 = p2.ok()["id"].as_str().unwrap().to_owned();
    // Applying or editing into a conflict is refused too, naming the other policy.
    let detail = app
        .patch(
            &org.path(&format!("/policies/{p2}")),
            &org.admin,
            json!({"team_ids": [org.second_team, org.initial_team]}),
        )
        .await
        .problem(409, "policy_conflict");
    assert!(detail.contains("Assist on"));
    app.patch(
        &org.path(&format!("/policies/{p1}")),
        &org.admin,
        json!({"team_ids": [org.initial_team, org.second_team]}),
    )
    .await
    .problem(409, "policy_conflict");
    let list = app.get(&org.path("/policies"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 2);
    app.patch(&org.path(&format!("/policies/{p2}")), &org.admin, json!({}))
        .await
        .problem(422, "validation_failed");
}

async fn r23_locked_and_unavailable_keys_are_refused(app: TestApp) {
    let org = app.established_org(5).await;
    let pol = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Compliance",
        "values": {"recording_retention_days": 365}, "team_ids": [org.initial_team]}),
        )
        .await;
    pol.ok();
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    let detail = app
        .patch(&path, &org.admin, json!({"recording_retention_days": 10}))
        .await
        .problem(409, "setting_locked");
    assert!(detail.contains("Compliance"));
    // A team on a plan without a feature: the key is unavailable, and can't be set.
    let p = app
        .provision("Small", "email", "small@example.com", "starter", 3)
        .await;
    let small = app.sign_in("small@example.com").await;
    let view = app
        .get(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
        )
        .await;
    let s = setting(view.ok(), "accent_conversion");
    assert_eq!(
        (s["source"].clone(), s["missing_feature"].clone()),
        (json!("unavailable"), json!("accent_conversion"))
    );
    assert_eq!(s["value"], Value::Null);
    assert_eq!(
        setting(&view.body, "outbound_noise_cancellation")["source"],
        "default"
    );
    let detail = app
        .patch(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
            json!({"accent_conversion": true}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(detail.contains("accent_conversion"));
    // A Team Admin changes unlocked keys of their own team.
    let r = app
        .patch(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
            json!({"outbound_noise_cancellation": false}),
        )
        .await;
    assert_eq!(
        setting(r.ok(), "outbound_noise_cancellation")["value"],
        false
    );
}

async fn policies_refuse_bad_input(app: TestApp) {
    let org = app.established_org(5).await;
    let other = app.established_org(5).await;
    for (body, status, code) in [
        (
            json!({"name": "", "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}, "team_ids": []}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"warp_drive": true}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": 1}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}, "team_ids": [other.initial_team]}),
            404,
            "not_found",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}}),
            422,
            "validation_failed",
        ),
    ] {
        app.post(&org.path("/policies"), &org.admin, body)
            .await
            .problem(status, code);
    }
    let list = app.get(&org.path("/policies"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 0);
    // Org Analysts read policies but can't change them.
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "an@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    let an = app.sign_in("an@example.com").await;
    app.get(&org.path("/policies"), &an).await.ok();
    app.post(
        &org.path("/policies"),
        &an,
        json!({"name": "P", "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
    )
    .await
    .problem(403, "forbidden");
}

async fn r24_sso_policies_store_the_secret_encrypted(app: TestApp) {
    let org = app.established_org(5).await;
    app.verify_domain(&org, "acme.example").await;
    app.verify_domain(&org, "acme-calls.example").await;
    let body = json!({"name": "Okta", "issuer": "https://acme.okta.example", "client_id": "0oa1", "client_secret": "s3cr3t-value",
        "allowed_domains": ["Acme.example", "@acme-calls.example"], "team_ids": [org.initial_team]});
    let r = app
        .post(&org.path("/sso-policies"), &org.admin, body.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!r.text.contains("s3cr3t-value"));
    assert_eq!(r.body["has_client_secret"], true);
    assert_eq!(
        r.body["allowed_domains"],
        json!(["acme.example", "acme-calls.example"])
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    let mut c = app.store.read().await.unwrap();
    let row = switchboard_store::settings::get_policy(
        &mut c,
        &crate::helpers::typed(&org.id),
        &crate::helpers::typed(&id),
        switchboard_domain::settings::PolicyKind::Sso,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        !row.client_secret_enc.clone().unwrap().contains("s3cr3t"),
        "stored encrypted"
    );
    let services = switchboard_service::Services::new(
        app.store.clone(),
        switchboard_service::mail::Mailer::from_url("file:/dev/null").unwrap(),
        TestApp::config(),
    );
    assert_eq!(
        services
            .sso_client_secret(&crate::helpers::typed(&org.id), &crate::helpers::typed(&id))
            .await
            .unwrap()
            .as_deref(),
        Some("s3cr3t-value")
    );
    // One SSO policy per team; email-login teams only; https issuers only (http on loopback).
    // `allowed_email_domains` is accepted for `allowed_domains`.
    let mut spelled = body.clone();
    spelled.as_object_mut().unwrap().remove("allowed_domains");
    spelled["allowed_email_domains"] = json!(["acme.example"]);
    spelled["team_ids"] = json!([]);
    app.post(&org.path("/sso-policies"), &org.admin, spelled)
        .await
        .problem(422, "validation_failed");
    let mut again = body.clone();
    again["name"] = json!("Second");
    app.post(&org.path("/sso-policies"), &org.admin, again)
        .await
        .problem(409, "sso_policy_conflict");
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    let mut on_device = body.clone();
    on_device["team_ids"] = json!([dev]);
    app.post(&org.path("/sso-policies"), &org.admin, on_device)
        .await
        .problem(422, "validation_failed");
    // (Plain http is refused by the outbound guard, which these tests run in development mode:
    // the guard's own tests check it is refused in production.)
    for issuer in [
        "ftp://x",
        "acme.okta.example",
        "https://user:pw@acme.okta.example",
    ] {
        let mut b = body.clone();
        b["issuer"] = json!(issuer);
        b["team_ids"] = json!([org.second_team]);
        app.post(&org.path("/sso-policies"), &org.admin, b)
            .await
            .problem(422, "validation_failed");
    }
    let mut local = body.clone();
    local["issuer"] = json!("http://localhost:3000");
    local["team_ids"] = json!([org.second_team]);
    app.post(&org.path("/sso-policies"), &org.admin, local)
        .await
        .ok();
    app.patch(
        &org.path(&format!("/sso-policies/{id}")),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    let r = app
        .patch(
            &org.path(&format!("/sso-policies/{id}")),
            &org.admin,
            json!({"client_secret": "rotated"}),
        )
        .await;
    r.ok();
    assert_eq!(
        services
            .sso_client_secret(&crate::helpers::typed(&org.id), &crate::helpers::typed(&id))
            .await
            .unwrap()
            .as_deref(),
        Some("rotated")
    );
    assert_eq!(
        app.get(&org.path("/sso-policies"), &org.admin).await.ok()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.delete(&org.path(&format!("/sso-policies/{id}")), &org.admin)
            .await
            .status,
        204
    );
    let _ = OPERATOR_TOKEN;
}

/// R23: a key the team's plan lacks stays unavailable even when a policy sets it — the plan is
/// resolved before the policy (a resolution that asked the policy first would show its value).
async fn r23_unavailable_wins_over_a_policy(app: TestApp) {
    let admin = format!("{}@example.com", crate::helpers::unique("small"));
    let p = app.provision("Small", "email", &admin, "starter", 3).await;
    let token = app.sign_in(&admin).await;
    let org = format!("/api/v1/orgs/{}", p.org);
    app.post(
        &format!("{org}/teams"),
        &token,
        json!({"name": "Second", "login_type": "email", "organization_name": "Small Co"}),
    )
    .await
    .ok();
    let r = app
        .post(
            &format!("{org}/policies"),
            &token,
            json!({"name": "Accents on", "values": {"accent_conversion": true},
                "team_ids": [p.team]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let view = app
        .get(&format!("{org}/teams/{}/settings", p.team), &token)
        .await;
    let s = setting(view.ok(), "accent_conversion");
    assert_eq!(
        (s["source"].clone(), s["value"].clone()),
        (json!("unavailable"), Value::Null),
        "{s}"
    );
}

db_tests!(
    r23_unavailable_wins_over_a_policy,
    r19_catalog_lists_every_key_with_type_default_and_feature,
    r19_bad_values_are_clear_422s_and_change_nothing,
    r20_team_settings_store_only_explicit_values,
    r21_policies_override_and_team_values_come_back,
    r22_two_policies_may_not_set_one_key_on_one_team,
    r23_locked_and_unavailable_keys_are_refused,
    policies_refuse_bad_input,
    r24_sso_policies_store_the_secret_encrypted
);
