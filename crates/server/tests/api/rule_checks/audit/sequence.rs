//! R25: every audited action of a realistic sequence (teams, memberships, org roles,
//! subscriptions, setting and SSO policies, domains, devices and enrollment keys) is in the log,
//! action by action.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use crate::rule_checks::{audit_log, id_of, new_team, second_subscription};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn r25_every_audited_action_of_a_realistic_sequence_is_logged(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let a = org.subscription.clone();
    // Memberships.
    let r = org
        .add(&app, &["a@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await;
    let user_a = TestApp::user_id_in(&r, "a@example.com");
    app.patch(
        &org.path(&format!("/users/{user_a}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"team_role": "team_admin", "app_access": false}),
    )
    .await
    .ok();
    app.post(
        &org.path(&format!("/users/{user_a}/memberships")),
        &org.admin,
        json!({"team_id": org.second_team, "team_role": "member"}),
    )
    .await
    .ok();
    app.delete(
        &org.path(&format!("/users/{user_a}/memberships/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    // Org roles.
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "b@example.com", "role": "org_analyst"}),
        )
        .await;
    let user_b = r.ok()["user_id"].as_str().unwrap().to_owned();
    app.patch(
        &org.path(&format!("/admins/{user_b}")),
        &org.admin,
        json!({"role": "org_admin"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/admins/{user_b}")), &org.admin)
            .await
            .status
            .as_u16()
            / 100,
        2
    );
    // Teams.
    app.patch(
        &org.path(&format!("/teams/{}", org.second_team)),
        &org.admin,
        json!({"name": "Sales Europe"}),
    )
    .await
    .ok();
    // Billing.
    app.patch(
        &org.path(&format!("/subscriptions/{a}")),
        &org.admin,
        json!({"name": "Main pool"}),
    )
    .await
    .ok();
    app.put(&org.path(&format!("/subscriptions/{a}/payment-method")), &org.admin,
        json!({"provider_token": "tok_SECRET42", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031})).await.ok();
    app.patch(
        &format!("/operator/v1/subscriptions/{a}"),
        OPERATOR_TOKEN,
        json!({"seats": 25}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 3}),
    )
    .await
    .ok();
    let b = second_subscription(&app, &org, "enterprise", 10).await;
    app.post(
        &org.path(&format!(
            "/subscriptions/{a}/teams/{}/move",
            org.second_team
        )),
        &org.admin,
        json!({"to_subscription_id": b}),
    )
    .await
    .ok();
    app.delete(
        &org.path(&format!("/subscriptions/{b}/teams/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    // Settings and policies.
    app.patch(
        &org.path(&format!("/teams/{}/settings", org.initial_team)),
        &org.admin,
        json!({"call_summary": true, "agent_assist": true}),
    )
    .await
    .ok();
    let pol = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Retention",
        "values": {"recording_retention_days": 90}, "team_ids": [org.initial_team]}),
        )
        .await;
    let pol = id_of(&pol);
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"values": {"recording_retention_days": 120}}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/policies/{pol}")), &org.admin)
            .await
            .status,
        204
    );
    // SSO policies (on a domain the organization has verified, R34).
    app.verify_domain(&org, "acme.example").await;
    let sso = app.post(&org.path("/sso-policies"), &org.admin, json!({"name": "Okta", "issuer": "https://acme.okta.example",
        "client_id": "0oa1", "client_secret": "s3cr3t-value", "allowed_domains": ["acme.example"], "team_ids": [org.initial_team]})).await;
    let sso = id_of(&sso);
    app.patch(
        &org.path(&format!("/sso-policies/{sso}")),
        &org.admin,
        json!({"name": "Okta EU"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/sso-policies/{sso}")), &org.admin)
            .await
            .status,
        204
    );
    // Enrollment keys and devices.
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{dev}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let k = app
        .post(
            &org.path(&format!("/teams/{dev}/enrollment-keys")),
            &org.admin,
            json!({"max_uses": 3}),
        )
        .await;
    let key = k.ok()["key"].as_str().unwrap().to_owned();
    let key_id = id_of(&k);
    let d = app
        .call(
            Method::POST,
            "/app/v1/devices/enroll",
            None,
            Some(json!({"enrollment_key": key, "device_name": "PC-01"})),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.text);
    let device = d.body["device_id"].as_str().unwrap().to_owned();
    app.patch(
        &org.path(&format!("/teams/{dev}/devices/{device}")),
        &org.admin,
        json!({"name": "PC-01 (window)"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/devices/{device}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/enrollment-keys/{key_id}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    // A team made and deleted; a user removed from the organization.
    let temp = new_team(&app, &org, "Temp", "email").await;
    assert_eq!(
        app.delete(&org.path(&format!("/teams/{temp}")), &org.admin)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&org.path(&format!("/users/{user_b}")), &org.admin)
            .await
            .status,
        204
    );
    // Refusals in between write nothing.
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.initial_team)),
        &org.admin,
        json!({"reserved_seats": 26}),
    )
    .await
    .problem(409, "reservations_exceed_pool");
    app.delete(
        &org.path(&format!("/admins/{}", org.admin_user)),
        &org.admin,
    )
    .await
    .problem(409, "last_org_admin");
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "sales europe", "login_type": "email"}),
    )
    .await
    .problem(409, "team_name_taken");

    let log = audit_log(&app, &org).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "org.provision",
            "signin.portal",
            "org.establish",
            "team.create",
            "membership.bulk_add",
            "membership.update",
            "membership.add",
            "membership.remove",
            "org_role.assign",
            "org_role.change",
            "org_role.revoke",
            "team.update",
            "subscription.rename",
            "subscription.payment_method",
            "subscription.update",
            "subscription.team_add",
            "subscription.team_reserve",
            "subscription.create",
            "subscription.team_move",
            "subscription.team_remove",
            "team_setting.update",
            "team_setting.update",
            "policy.create",
            "policy.update",
            "policy.delete",
            "domain.verify",
            "sso_policy.create",
            "sso_policy.update",
            "sso_policy.delete",
            "team.create",
            "subscription.team_add",
            "enrollment_key.create",
            "device.enroll",
            "device.rename",
            "device.remove",
            "enrollment_key.revoke",
            "team.create",
            "team.delete",
            "user.remove_from_org",
        ]
    );
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "appended without gaps"
    );
    let entry = |action: &str| {
        log.iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}"))
            .clone()
    };
    // A membership change: who, on whom, and both sides.
    let e = entry("membership.update");
    assert_eq!(
        (e["actor"].clone(), e["actor_name"].clone()),
        (json!(org.admin_user), json!(org.admin_email))
    );
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(user_a), json!("a@example.com"))
    );
    assert_eq!(
        e["before"],
        json!({"team_id": org.initial_team, "team_name": "Support", "team_role": "member", "app_access": true})
    );
    assert_eq!(
        e["after"],
        json!({"team_id": org.initial_team, "team_name": "Support", "team_role": "team_admin", "app_access": false})
    );
    // A rename: the name before and after.
    let e = entry("team.update");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(org.second_team), json!("Sales Europe"))
    );
    assert_eq!(
        (e["before"]["name"].clone(), e["after"]["name"].clone()),
        (json!("Sales EU"), json!("Sales Europe"))
    );
    // A move: from where, to where, with the reservation it had and has.
    let e = entry("subscription.team_move");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(org.second_team), json!("Sales Europe"))
    );
    assert_eq!(
        (
            e["before"]["subscription_id"].clone(),
            e["before"]["reserved_seats"].clone()
        ),
        (json!(a), json!(3))
    );
    assert_eq!(
        (
            e["after"]["subscription_id"].clone(),
            e["after"]["reserved_seats"].clone()
        ),
        (json!(b), Value::Null)
    );
    assert_eq!(e["actor_name"], org.admin_email.as_str());
    // The operator's changes are the operator's.
    let e = entry("subscription.create");
    assert_eq!(
        (
            e["actor"].clone(),
            e["actor_name"].clone(),
            e["target"].clone()
        ),
        (json!("operator"), Value::Null, json!(b))
    );
    let e = entry("subscription.update");
    assert_eq!(
        (
            e["actor"].clone(),
            e["before"]["seats"].clone(),
            e["after"]["seats"].clone()
        ),
        (json!("operator"), json!(20), json!(25))
    );
    // The payment method: brand and last four, never the provider's token.
    let e = entry("subscription.payment_method");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(a), json!("Main pool"))
    );
    assert_eq!(
        (e["after"]["brand"].clone(), e["after"]["last4"].clone()),
        (json!("visa"), json!("4242"))
    );
    // A policy edit: the values before and after.
    let e = entry("policy.update");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(pol), json!("Retention"))
    );
    assert_eq!(
        e["before"]["values"],
        json!({"recording_retention_days": 90})
    );
    assert_eq!(
        e["after"]["values"],
        json!({"recording_retention_days": 120})
    );
    // Both team settings of one request: one entry per key, the same request id.
    let settings: Vec<&Value> = log
        .iter()
        .filter(|e| e["action"] == "team_setting.update")
        .collect();
    assert_eq!(
        settings
            .iter()
            .map(|e| e["after"]["key"].as_str().unwrap())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["agent_assist", "call_summary"])
    );
    assert_eq!(settings[0]["request_id"], settings[1]["request_id"]);
    assert!(
        settings
            .iter()
            .all(|e| e["target"] == org.initial_team.as_str() && e["target_name"] == "Support")
    );
    // A device enrolled by its key.
    let e = entry("device.enroll");
    assert_eq!(
        (e["actor"].clone(), e["actor_name"].clone()),
        (json!(format!("enrollment_key:{key_id}")), Value::Null)
    );
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(device), json!("PC-01"))
    );
    let e = entry("device.rename");
    assert_eq!(
        (e["before"]["name"].clone(), e["after"]["name"].clone()),
        (json!("PC-01"), json!("PC-01 (window)"))
    );
    // An org role assigned by email to someone new.
    let e = entry("org_role.assign");
    assert_eq!(
        (
            e["target"].clone(),
            e["target_name"].clone(),
            e["after"]["role"].clone()
        ),
        (json!(user_b), json!("b@example.com"), json!("org_analyst"))
    );
    // Each request has its own id; nothing secret is in the log.
    let requests: BTreeSet<&str> = log
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        requests.len(),
        log.len() - 2,
        "one request per entry, except establish and the two settings"
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains("tok_SECRET42"),
        "the provider token is in the log"
    );
    assert!(
        !text.contains("s3cr3t-value"),
        "the SSO client secret is in the log"
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(r25_every_audited_action_of_a_realistic_sequence_is_logged,);
