//! Bad input: each case answers a problem response and changes nothing.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn malformed_bodies_answer_problems_and_change_nothing(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let url = format!("{}{}", app.base, org.path("/teams"));
    let send = |body: Vec<u8>, ctype: Option<&str>| {
        let mut r = app.client.post(&url).bearer_auth(&org.admin).body(body);
        if let Some(c) = ctype {
            r = r.header("content-type", c);
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, ctype, body)
        }
    };
    let (s, ct, b) = send(b"{\"name\": ".to_vec(), Some("application/json")).await;
    assert_eq!(
        (s, ct.as_str(), b["code"].as_str().unwrap()),
        (400, "application/problem+json", "invalid_json")
    );
    let (s, _, b) = send(
        b"{\"name\":\"X\",\"login_type\":\"email\"}".to_vec(),
        Some("text/plain"),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (415, "unsupported_media_type")
    );
    let (s, _, b) = send(b"{\"name\":\"X\",\"login_type\":\"email\"}".to_vec(), None).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (415, "unsupported_media_type")
    );
    let huge = format!(
        "{{\"name\":\"X\",\"login_type\":\"email\",\"description\":\"{}\"}}",
        "a".repeat(1_100_000)
    );
    let (s, _, b) = send(huge.into_bytes(), Some("application/json")).await;
    assert_eq!((s, b["code"].as_str().unwrap()), (413, "payload_too_large"));
    let (s, _, b) = send(
        b"{\"name\":\"X\",\"login_type\":\"email\",\"colour\":\"red\"}".to_vec(),
        Some("application/json"),
    )
    .await;
    assert_eq!((s, b["code"].as_str().unwrap()), (422, "validation_failed"));
    assert!(b["detail"].as_str().unwrap().contains("colour"));
    assert_eq!(b["field"], "colour");
    let (s, _, _) = send(b"[1,2]".to_vec(), Some("application/json")).await;
    assert_eq!(s, 422);
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    assert_eq!(
        teams.ok()["items"].as_array().unwrap().len(),
        2,
        "nothing was created"
    );
    let log = app.get(&org.path("/audit-log"), &org.admin).await;
    assert_eq!(
        log.ok()["items"].as_array().unwrap().len(),
        4,
        "nothing was audited but the provisioning, naming, first team and the admin's sign-in"
    );
}

async fn unknown_routes_answer_problems(app: TestApp) {
    let r = app
        .call(reqwest::Method::GET, "/api/v1/nowhere", None, None)
        .await;
    r.problem(404, "not_found");
    let r = app
        .call(reqwest::Method::GET, "/openapi.json", None, None)
        .await;
    assert_eq!(
        r.ok()["openapi"].as_str().unwrap().chars().next(),
        Some('3')
    );
    let r = app.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(r.ok()["status"], "ready");
    let metrics = app.call(reqwest::Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        metrics.text.contains("http_requests_total{"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("route=\"/readyz\""),
        "routes are labelled by template: {}",
        metrics.text
    );
    let patch = app.patch("/api/v1/me", "x", json!({})).await;
    assert_eq!(patch.status, 405);
}

async fn body_errors_name_the_field_in_plain_words(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            json!({"team_id": org.initial_team, "emails": ["a@example.com"]}),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(
        (r.body["field"].clone(), r.body["detail"].clone()),
        (json!("team_role"), json!("team_role is required"))
    );
    let r = app.post(&org.path("/users"), &org.admin, json!({"team_id": org.initial_team, "team_role": "member", "emails": ["a@example.com", 7]})).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "emails[1]");
    assert!(
        !r.text.contains("line ") && !r.text.contains("deserialize"),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/operator/v1/customers",
            crate::helpers::OPERATOR_TOKEN,
            json!({"team": {"login_type": "email"},
        "admin_email": "x@example.com", "subscription": {"plan": "business", "seats": 5}}),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "team.name");
    let r = app.get(&org.path("/users?limit=lots"), &org.admin).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "limit");
}

async fn an_empty_body_of_another_type_is_refused(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let t = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor", "login_type": "device"}),
        )
        .await;
    let team = t.ok()["id"].as_str().unwrap().to_owned();
    let url = format!(
        "{}{}",
        app.base,
        org.path(&format!("/teams/{team}/enrollment-keys"))
    );
    let r = app
        .client
        .post(&url)
        .bearer_auth(&org.admin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let keys = app
        .get(
            &org.path(&format!("/teams/{team}/enrollment-keys")),
            &org.admin,
        )
        .await;
    assert_eq!(
        keys.ok()["items"].as_array().unwrap().len(),
        0,
        "no key was created"
    );
    // No body and no content type: the defaults.
    let r = app
        .client
        .post(&url)
        .bearer_auth(&org.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

db_tests!(
    malformed_bodies_answer_problems_and_change_nothing,
    unknown_routes_answer_problems,
    body_errors_name_the_field_in_plain_words,
    an_empty_body_of_another_type_is_refused
);
