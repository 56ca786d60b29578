//! Sign-in by emailed code, sessions, cookies and throttling.

mod codes;
mod mail;
mod sessions;
mod throttling;

use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn start(app: &TestApp, email: &str) -> crate::helpers::Resp {
    app.call(
        Method::POST,
        "/api/v1/auth/email/start",
        None,
        Some(json!({"email": email})),
    )
    .await
}

async fn verify(app: &TestApp, email: &str, code: &str) -> crate::helpers::Resp {
    app.call(
        Method::POST,
        "/api/v1/auth/email/verify",
        None,
        Some(json!({"email": email, "code": code})),
    )
    .await
}

/// A start's answer with its attempt id (random, one per start) replaced by its length: what
/// must not differ between an email with an account and one without.
fn same_shape(body: &serde_json::Value) -> serde_json::Value {
    let mut b = body.clone();
    let id = b["attempt_id"].as_str().expect("an attempt id").len();
    b["attempt_id"] = json!(id);
    b
}
