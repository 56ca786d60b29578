//! Sessions (R24's sign-in, any way in): a sign-in replaces the session the browser held; a
//! session ends after its idle time and its absolute lifetime; signing out ends it on the server.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Signs in by code sending `cookie` (a session the browser already holds); the new token.
async fn sign_in_over(app: &TestApp, email: &str, cookie: Option<&str>) -> String {
    app.call(
        Method::POST,
        "/api/v1/auth/email/start",
        None,
        Some(json!({"email": email})),
    )
    .await;
    let code = app.last_code(email).await.unwrap();
    let mut req = app
        .client
        .post(format!("{}/api/v1/auth/email/verify", app.base))
        .json(&json!({"email": email, "code": code}));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("sb_session={c}"));
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sessions_rotate_on_sign_in_and_end_on_sign_out(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let first = sign_in_over(&app, &org.admin_email, None).await;
    assert_eq!(app.get("/api/v1/me", &first).await.status, StatusCode::OK);
    // Signing in again from the browser that holds `first` ends `first`.
    let second = sign_in_over(&app, &org.admin_email, Some(&first)).await;
    assert_ne!(first, second);
    app.get("/api/v1/me", &first)
        .await
        .problem(401, "unauthorized");
    assert_eq!(app.get("/api/v1/me", &second).await.status, StatusCode::OK);
    // Logout revokes on the server: the token is dead even if someone kept a copy.
    let r = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&second), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/me", &second)
        .await
        .problem(401, "unauthorized");
}

async fn sessions_end_after_their_idle_time_and_their_lifetime(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let app = app
        .restart_with(switchboard_service::Config {
            session_idle_ms: 1_500,
            session_ttl_ms: 4_000,
            ..TestApp::config()
        })
        .await;
    // Idle: unused for longer than the idle time.
    let idle = sign_in_over(&app, &org.admin_email, None).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_700)).await;
    app.get("/api/v1/me", &idle)
        .await
        .problem(401, "unauthorized");
    // Used often enough it stays, until its absolute lifetime ends.
    let busy = sign_in_over(&app, &org.admin_email, None).await;
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(app.get("/api/v1/me", &busy).await.status, StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    app.get("/api/v1/me", &busy)
        .await
        .problem(401, "unauthorized");
}

db_tests!(
    sessions_rotate_on_sign_in_and_end_on_sign_out,
    sessions_end_after_their_idle_time_and_their_lifetime,
);
