//! R24, R24a over OpenID Connect, against a real provider (`oidc-provider`): sign-in through the
//! provider into a session that reaches only the policy's organization; no emailed code for
//! people all of whose teams are under SSO; break-glass for Org Admins and listed emails, audited;
//! just-in-time membership with seats; and every refusal the relying party must make — each
//! answered with a page, changing nothing.

mod codes;
mod refusals;
mod sign_in;

use crate::helpers::{Org, TestApp};
use crate::idp::{Agent, Idp, View};
use reqwest::StatusCode;
use serde_json::json;

const CLIENT: &str = "switchboard";
const SECRET: &str = "test-client-secret";

/// An established organization with an OIDC policy over its first team (domain example.com).
pub(crate) async fn oidc_org(app: &TestApp) -> (Org, Idp, String) {
    oidc_org_on(app, "example.com").await
}

/// An established organization with an OIDC policy over its first team, for `domain` (verified
/// for it), and its own provider.
pub(crate) async fn oidc_org_on(app: &TestApp, domain: &str) -> (Org, Idp, String) {
    let org = app.org().seats(20).established().await;
    app.verify_domain(&org, domain).await;
    let idp = Idp::oidc(CLIENT, SECRET, &format!("{}/auth/oidc/callback", app.base)).await;
    let r = app
        .post(
            &org.path("/sso-policies"),
            &org.admin,
            json!({"name": "Acme IdP", "issuer": idp.url, "client_id": CLIENT,
                "client_secret": SECRET, "allowed_domains": [domain],
                "team_ids": [org.initial_team]}),
        )
        .await;
    let pol = r.ok()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["protocol"], "oidc");
    assert_eq!(
        r.body["redirect_uri"],
        format!("{}/auth/oidc/callback", app.base)
    );
    (org, idp, pol)
}

/// Adds `email` to `team` (with app access) as the Org Admin.
pub(crate) async fn member(app: &TestApp, org: &Org, team: &str, email: &str) -> String {
    let r = org
        .add(app, &[email])
        .to(team)
        .as_member()
        .with_access()
        .await;
    TestApp::user_id_in(&r, email)
}

/// Starts an SSO sign-in for `hint` and logs in at the provider as `login`; the last page.
pub(crate) async fn oidc_sign_in(app: &TestApp, agent: &Agent, hint: &str, login: &str) -> View {
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={hint}", app.base))
        .await;
    assert_eq!(at_idp.status, StatusCode::OK, "{}", at_idp.text);
    assert!(at_idp.text.contains("name=\"login\""), "{}", at_idp.text);
    agent.submit(&at_idp, &[("login", login)], None).await
}

fn email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

async fn audit_count(app: &TestApp, org: &Org) -> usize {
    app.get(&org.path("/audit-log?limit=200"), &org.admin)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .len()
}

/// A refused sign-in: a page naming the check, no session.
async fn refused(app: &TestApp, agent: &Agent, end: &View, status: StatusCode, check: &str) {
    assert_eq!(end.status, status, "{}", end.text);
    assert!(
        end.text.contains(check),
        "expected {check:?} in {}",
        end.text
    );
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
}
