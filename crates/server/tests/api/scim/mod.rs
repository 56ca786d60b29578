//! SCIM 2.0 (`/scim/v2`) against the independent checker scim2-tester (`scim2 … test`, PyPI
//! scim2-cli), and the request sequences Okta and Microsoft Entra ID send.

mod compliance;
mod refusals;
mod sequences;

use crate::helpers::{Org, TestApp};
use serde_json::{Value, json};

/// An organization with plenty of seats and a `scim` token for it.
pub(crate) async fn scim_org(app: &TestApp, seats: i64) -> (Org, String) {
    let org = app.org().seats(seats).established().await;
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "IdP provisioning", "scopes": ["scim"]}),
        )
        .await;
    let token = r.ok()["token"].as_str().unwrap().to_owned();
    (org, token)
}

/// A SCIM request with the token; the answer's status and JSON.
pub(crate) async fn scim(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .client
        .request(m, format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    if status != 204 {
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/scim+json"),
            "{path}"
        );
    }
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}
