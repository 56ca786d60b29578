//! R24: SSO policies, their client secret stored encrypted.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;

async fn r24_sso_policies_store_the_secret_encrypted(app: TestApp) {
    let org = app.org().seats(5).established().await;
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

db_tests!(r24_sso_policies_store_the_secret_encrypted,);
