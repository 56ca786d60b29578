//! R24 in a real browser (headless Chromium), once per protocol: the sign-in page's "Continue
//! with SSO", the provider's login page, and back into the portal — through oidc-provider (OIDC)
//! and the samlify IdP (SAML, whose response form posts itself with JavaScript). An Org Admin
//! runs Test connection and reads each check. Our pages on the way are checked with axe-core.

use crate::chrome::Chrome;
use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::Idp;
use crate::sso_oidc::{member, oidc_org};
use serde_json::json;
use std::time::Duration;

/// Waits (up to 10 s) until the browser is at `path` (a self-posting form is still on its way).
async fn arrive(b: &Chrome, path: &str) {
    for _ in 0..200 {
        if b.path().await == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not at {path} but {}: {}", b.path().await, b.body().await);
}

async fn r24_sso_sign_in_and_test_connection_in_a_real_browser(app: TestApp) {
    let mut violations = Vec::new();
    // OIDC: an agent continues with SSO from the sign-in page.
    let (org, _idp, pol) = oidc_org(&app).await;
    let m = format!(
        "agent-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    member(&app, &org, &org.initial_team, &m).await;
    let b = Chrome::start(&format!("sso-oidc-{}", app.backend())).await;
    b.goto(&format!("{}/sign-in", app.base)).await;
    b.fill("#email", &m).await;
    b.click("button[formaction='/auth/sso/start']").await;
    assert!(
        b.path().await.starts_with("/interaction/"),
        "{}",
        b.body().await
    );
    b.fill("#login", &m).await;
    b.click("button[type=submit]").await;
    arrive(&b, &format!("/orgs/{}", org.id)).await;
    b.close().await;

    // The Org Admin (break-glass by code) tests the connection from the policy's page.
    let b = Chrome::start(&format!("sso-test-{}", app.backend())).await;
    b.goto(&format!("{}/sign-in", app.base)).await;
    b.fill("#email", &org.admin_email).await;
    b.click("button[type=submit]").await;
    assert!(
        b.body()
            .await
            .contains("Your organization signs in with SSO")
    );
    violations.extend(b.audit("sso-sign-in-code").await);
    let code = app
        .last_code(&org.admin_email)
        .await
        .expect("break-glass code");
    b.fill("#code", &code).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    b.goto(&format!("{}/orgs/{}/settings/sso/{pol}", app.base, org.id))
        .await;
    violations.extend(b.audit("sso-policy").await);
    b.click("form[action$='/test'] button").await;
    b.fill("#login", &m).await;
    b.click("button[type=submit]").await;
    assert!(
        b.body().await.contains("Every check passed"),
        "{}",
        b.body().await
    );
    violations.extend(b.audit("sso-test-connection").await);
    b.close().await;

    // SAML: another organization's agents, through the samlify IdP.
    let night = app.org().seats(5).established().await;
    // Its own domain: one organization verifies a domain at most (R34).
    app.verify_domain(&night, "night.example").await;
    let idp = Idp::saml().await;
    app.post(
        &night.path("/sso-policies"),
        &night.admin,
        json!({"name": "Night SAML", "protocol": "saml",
            "idp_metadata_url": format!("{}/metadata", idp.url),
            "allowed_domains": ["night.example"], "team_ids": [night.initial_team]}),
    )
    .await
    .ok();
    let n = format!(
        "night-{}@night.example",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    member(&app, &night, &night.initial_team, &n).await;
    let b = Chrome::start(&format!("sso-saml-{}", app.backend())).await;
    b.goto(&format!("{}/sign-in", app.base)).await;
    b.fill("#email", &n).await;
    b.click("button[formaction='/auth/sso/start']").await;
    assert_eq!(b.path().await, "/sso", "{}", b.body().await);
    b.fill("#email", &n).await;
    b.click("button[type=submit]").await;
    // Over http no RelayState cookie binds the browser: the person confirms on our page.
    for _ in 0..200 {
        if b.body().await.contains("Continue as") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    violations.extend(b.audit("sso-saml-continue").await);
    b.click("#sb-saml-continue button[type=submit]").await;
    arrive(&b, &format!("/orgs/{}", night.id)).await;

    // A refusal is a page of ours that says what to do.
    b.goto(&format!("{}/auth/oidc/callback?state=x&code=y", app.base))
        .await;
    assert!(b.body().await.contains("Single sign-on did not work"));
    violations.extend(b.audit("sso-failed").await);
    b.close().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
}

db_tests!(r24_sso_sign_in_and_test_connection_in_a_real_browser);
