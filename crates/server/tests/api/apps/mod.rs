//! The app API: sign-in into one membership, devices enrolled with keys, and the entitlement
//! answer — its ETag, its refusals, and its freshness across server instances.

mod devices;
mod entitlement_answer;
mod sign_in;

use crate::helpers::{Resp, TestApp};
use reqwest::Method;
use serde_json::json;

pub(crate) async fn app_sign_in(app: &TestApp, email: &str, team: Option<&str>) -> Resp {
    let r = app
        .call(
            Method::POST,
            "/app/v1/sign-in/email/start",
            None,
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let code = app.last_code(email).await.unwrap();
    let mut body = json!({"email": email, "code": code});
    if let Some(t) = team {
        body["team_id"] = json!(t);
    }
    app.call(
        Method::POST,
        "/app/v1/sign-in/email/verify",
        None,
        Some(body),
    )
    .await
}

pub(crate) async fn entitlement(app: &TestApp, token: &str, etag: Option<&str>) -> Resp {
    let mut req = app
        .client
        .get(format!("{}/app/v1/entitlement", app.base))
        .bearer_auth(token);
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}
