//! Stories every test starts from: signing in by emailed code, provisioning a customer through
//! the operator API, an established organization ([`Org`]) signed in as its first Org Admin,
//! verified domains, teams put under a subscription, and people added to teams.

use super::{OPERATOR_TOKEN, Resp, TestApp, unique};
use reqwest::{Method, StatusCode};
use serde_json::json;

impl TestApp {
    /// Signs in by email code and returns the session token.
    pub async fn sign_in(&self, email: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/email/start",
                None,
                Some(json!({"email": email})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let code = self
            .last_code(email)
            .await
            .unwrap_or_else(|| panic!("no code mailed to {email}"));
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/email/verify",
                None,
                Some(json!({"email": email, "code": code})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Provisions a customer through the operator API.
    pub async fn provision(
        &self,
        team: &str,
        login_type: &str,
        admin: &str,
        plan: &str,
        seats: i64,
    ) -> Provisioned {
        let body = json!({
            "team": {"name": team, "login_type": login_type},
            "admin_email": admin,
            "subscription": {"plan": plan, "seats": seats},
        });
        let r = self
            .post("/operator/v1/customers", OPERATOR_TOKEN, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        Provisioned {
            org: r.body["org_id"].as_str().unwrap().into(),
            team: r.body["team_id"].as_str().unwrap().into(),
            subscription: r.body["subscription_id"].as_str().unwrap().into(),
            admin_user: r.body["admin_user_id"].as_str().unwrap().into(),
        }
    }

    /// A provisioned and established organization, signed in as its first Org Admin.
    pub async fn established_org(&self, seats: i64) -> Org {
        // Ends in "admin@" so substring searches of other tests (q=a@…) never match it by chance.
        let admin_email = format!("{}.admin@example.com", unique("org"));
        let p = self
            .provision("Support", "email", &admin_email, "enterprise", seats)
            .await;
        let admin = self.sign_in(&admin_email).await;
        let r = self
            .post(
                &format!("/api/v1/orgs/{}/teams", p.org),
                &admin,
                json!({"name": "Sales EU", "login_type": "email", "organization_name": "Acme"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let second_team = r.body["id"].as_str().unwrap().to_owned();
        Org {
            id: p.org,
            initial_team: p.team,
            second_team,
            subscription: p.subscription,
            admin,
            admin_email,
            admin_user: p.admin_user,
        }
    }

    /// R34: the operator verifies `domain` for the organization `org` (an id): SSO policies may
    /// name only verified domains.
    pub async fn verify_domain_of(&self, org: &str, domain: &str) {
        let r = self
            .put(
                &format!("/operator/v1/orgs/{org}/domains/{domain}"),
                OPERATOR_TOKEN,
                json!({}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "verifying {domain}: {}", r.text);
    }

    /// [`TestApp::verify_domain_of`] for an established organization.
    pub async fn verify_domain(&self, org: &Org, domain: &str) {
        self.verify_domain_of(&org.id, domain).await;
    }

    /// Puts `team` under the organization's subscription (no cap), as its admin, so the team's
    /// members can hold seats.
    pub async fn allocate_team(&self, org: &Org, team: &str) {
        let path = format!("/subscriptions/{}/teams/{team}", org.subscription);
        self.put(&org.path(&path), &org.admin, json!({})).await.ok();
    }

    /// Adds emails to a team as the given caller; returns the response.
    pub async fn add_users(
        &self,
        org: &str,
        token: &str,
        team: &str,
        role: &str,
        emails: &[&str],
        app_access: Option<bool>,
    ) -> Resp {
        let mut body = json!({"team_id": team, "team_role": role, "emails": emails});
        if let Some(a) = app_access {
            body["app_access"] = json!(a);
        }
        self.post(&format!("/api/v1/orgs/{org}/users"), token, body)
            .await
    }

    /// The user id of an email from a bulk-add response.
    pub fn user_id_in(resp: &Resp, email: &str) -> String {
        resp.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == email)
            .and_then(|r| r["user_id"].as_str())
            .unwrap_or_else(|| panic!("{email} not in {}", resp.body))
            .to_owned()
    }
}

pub struct Provisioned {
    pub org: String,
    pub team: String,
    pub subscription: String,
    pub admin_user: String,
}

pub struct Org {
    pub id: String,
    pub initial_team: String,
    pub second_team: String,
    pub subscription: String,
    pub admin: String,
    pub admin_email: String,
    pub admin_user: String,
}

impl Org {
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/orgs/{}{}", self.id, rest)
    }
}
