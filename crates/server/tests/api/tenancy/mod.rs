//! Tenant isolation and the role × route matrix: every route of the OpenAPI document, as every
//! actor, against the permission table of DESIGN.md §1 — kept here as data, in one place.

mod isolation;
mod matrix;

use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::json;

/// An email domain of this organization's own (several organizations of one test can't all
/// verify one domain, R34).
pub(crate) fn org_domain(org: &Org) -> String {
    format!("d{}.example", &org.id[4..])
}

/// Real objects of an organization for every kind of id a route names: a setting policy, an SSO
/// policy, a device team with an enrollment key and an enrolled device, and an invoice.
pub(crate) struct Objects {
    pub(crate) policy: String,
    pub(crate) sso_policy: String,
    pub(crate) device_team: String,
    pub(crate) key: String,
    pub(crate) device: String,
    pub(crate) invoice: String,
    /// A user with an org role, for the org-role routes.
    pub(crate) role_holder: String,
    /// An API token to revoke.
    pub(crate) api_token: String,
}

impl Objects {
    pub(crate) async fn make(app: &TestApp, org: &Org) -> Objects {
        let id = |r: crate::helpers::Resp| r.ok()["id"].as_str().unwrap().to_owned();
        app.verify_domain(org, &org_domain(org)).await;
        let policy = id(app.post(&org.path("/policies"), &org.admin,
            json!({"name": "Matrix", "values": {"call_summary": true}, "team_ids": [org.second_team]})).await);
        // The SSO policy covers a team of its own: the matrix's people keep their codes (R24,
        // R33: a code reaches an organization where one of the person's teams is not under SSO).
        let sso_team = id(app
            .post(
                &org.path("/teams"),
                &org.admin,
                json!({"name": "Matrix SSO", "login_type": "email"}),
            )
            .await);
        let sso_policy = id(app
            .post(
                &org.path("/sso-policies"),
                &org.admin,
                json!({"name": "Matrix SSO",
            "issuer": "https://id.example.com", "client_id": "c", "client_secret": "s",
            "allowed_domains": [org_domain(org)], "team_ids": [sso_team]}),
            )
            .await);
        let device_team = id(app
            .post(
                &org.path("/teams"),
                &org.admin,
                json!({"name": "Matrix Floor", "login_type": "device"}),
            )
            .await);
        app.put(
            &org.path(&format!(
                "/subscriptions/{}/teams/{device_team}",
                org.subscription
            )),
            &org.admin,
            json!({}),
        )
        .await
        .ok();
        let k = app
            .post(
                &org.path(&format!("/teams/{device_team}/enrollment-keys")),
                &org.admin,
                json!({}),
            )
            .await;
        let key = k.ok()["id"].as_str().unwrap().to_owned();
        let secret = k.body["key"].as_str().unwrap().to_owned();
        let d = app
            .call(
                Method::POST,
                "/app/v1/devices/enroll",
                None,
                Some(json!({"enrollment_key": secret, "device_name": "PC-1"})),
            )
            .await;
        let device = d.ok()["device_id"].as_str().unwrap().to_owned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        app.services
            .close_periods(now + 40 * 24 * 3600 * 1000)
            .await
            .unwrap();
        let inv = app
            .get(
                &org.path(&format!("/subscriptions/{}/invoices", org.subscription)),
                &org.admin,
            )
            .await;
        let invoice = inv.ok()["items"][0]["id"]
            .as_str()
            .expect("an invoice")
            .to_owned();
        let r = app
            .post(
                &org.path("/admins"),
                &org.admin,
                json!({"email": "role-holder@example.com", "role": "org_analyst"}),
            )
            .await;
        let role_holder = r.ok()["user_id"].as_str().unwrap().to_owned();
        let api_token = id(app
            .post(
                &org.path("/api-tokens"),
                &org.admin,
                json!({"name": "To revoke", "scopes": ["read"]}),
            )
            .await);
        Objects {
            api_token,
            policy,
            sso_policy,
            device_team,
            key,
            device,
            invoice,
            role_holder,
        }
    }
}
