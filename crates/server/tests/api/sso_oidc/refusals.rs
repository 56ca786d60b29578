//! Every refusal the relying party must make, each answered with a page and changing nothing; a
//! provider that never answers; the admin's test connection showing each check.

use super::{CLIENT, SECRET, audit_count, email, member, oidc_org, oidc_sign_in, refused};
use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::{Agent, query_param};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn r24_oidc_refusals_are_pages_and_change_nothing(app: TestApp) {
    let (org, idp, _) = oidc_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    let unverified = email("unverified");
    member(&app, &org, &org.initial_team, &unverified).await;
    let before = audit_count(&app, &org).await;
    let forbidden = StatusCode::FORBIDDEN;
    for (mode, check) in [
        ("wrong_audience", "Issued for Switchboard (audience)"),
        (
            "wrong_nonce",
            "Answers the sign-in request Switchboard sent",
        ),
        ("expired", "Within its validity period"),
        ("bad_signature", "Signed by the identity provider"),
        ("wrong_issuer", "Issued by the configured identity provider"),
    ] {
        idp.control("/__test/mode", json!({"mode": mode})).await;
        let agent = Agent::new();
        let end = oidc_sign_in(&app, &agent, &m, &m).await;
        refused(&app, &agent, &end, forbidden, check).await;
    }
    idp.control("/__test/mode", json!({"mode": null})).await;

    // An email the provider did not verify; a domain the policy does not allow; a stranger.
    idp.control("/__test/unverified", json!({"email": unverified}))
        .await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &unverified, &unverified).await;
    refused(&app, &agent, &end, forbidden, "Names a verified email").await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, "someone@elsewhere.org").await;
    refused(&app, &agent, &end, forbidden, "domain is allowed").await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, &email("stranger")).await;
    refused(&app, &agent, &end, forbidden, "member of the policy").await;

    // A callback with no pending sign-in, and a forged state from another browser.
    let agent = Agent::new();
    let end = agent
        .get(&format!(
            "{}/auth/oidc/callback?state=abc&code=xyz",
            app.base
        ))
        .await;
    refused(&app, &agent, &end, forbidden, "Answers the sign-in request").await;
    let victim = Agent::new();
    let first = victim
        .go(
            Method::GET,
            &format!("{}/auth/sso/start?email={m}", app.base),
            &[],
            Some(&idp.url),
        )
        .await;
    let state = query_param(&first.url, "state").expect("the provider's address carries state");
    let forger = Agent::new();
    let end = forger
        .get(&format!(
            "{}/auth/oidc/callback?state={state}&code=forged",
            app.base
        ))
        .await;
    refused(
        &app,
        &forger,
        &end,
        forbidden,
        "Answers the sign-in request",
    )
    .await;
    // …and the real browser's sign-in is untouched by the attempt.
    let at_idp = victim.get(&first.url).await;
    let end = victim.submit(&at_idp, &[("login", &m)], None).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );

    // Key rotation: the provider signs with a key we have not seen; we fetch its keys again.
    idp.control("/__test/rotate", json!({})).await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, &m).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );

    // The provider goes down between the login and the code exchange.
    let agent = Agent::new();
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={m}", app.base))
        .await;
    let callback = format!("{}/auth/oidc/callback", app.base);
    let back = agent
        .submit(&at_idp, &[("login", &m)], Some(&callback))
        .await;
    idp.control("/__test/down", json!({"down": true})).await;
    let end = agent.get(&back.url).await;
    refused(
        &app,
        &agent,
        &end,
        StatusCode::BAD_GATEWAY,
        "could not be reached",
    )
    .await;
    idp.control("/__test/down", json!({"down": false})).await;

    // Nothing a refusal did is in the organization's log.
    assert_eq!(audit_count(&app, &org).await, before);
}

async fn r24_a_provider_that_never_answers_is_a_clear_page(app: TestApp) {
    let org = app.org().seats(5).established().await;
    app.verify_domain(&org, "example.com").await;
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "Down", "issuer": "http://127.0.0.1:9", "client_id": CLIENT,
            "client_secret": SECRET, "allowed_domains": ["example.com"], "team_ids": [org.second_team]}),
    )
    .await
    .ok();
    let agent = Agent::new();
    let end = agent
        .get(&format!("{}/auth/sso/start?email={}", app.base, email("x")))
        .await;
    refused(
        &app,
        &agent,
        &end,
        StatusCode::BAD_GATEWAY,
        "could not be reached",
    )
    .await;
    // An email whose domain has no SSO: the sign-in page, with the reason beside the email.
    let end = agent
        .get(&format!("{}/auth/sso/start?email=ana@nosso.org", app.base))
        .await;
    assert_eq!(end.status, StatusCode::OK);
    assert!(
        end.text
            .contains("No single sign-on is set up for this email"),
        "{}",
        end.text
    );
}

async fn r24_test_connection_shows_each_check(app: TestApp) {
    let (org, idp, pol) = oidc_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    // The Org Admin signs in to the portal by code (break-glass) and runs the test.
    let admin = Agent::new();
    let page = admin.get(&format!("{}/sign-in", app.base)).await;
    let page = admin
        .submit_form(&page, "/sign-in", &[("email", &org.admin_email)], None)
        .await;
    let code = app.last_code(&org.admin_email).await.unwrap();
    admin
        .submit_form(&page, "/sign-in", &[("code", &code)], None)
        .await;
    let policy_page = admin
        .get(&format!("{}/orgs/{}/settings/sso/{pol}", app.base, org.id))
        .await;
    assert!(
        policy_page.text.contains("Test connection"),
        "{}",
        policy_page.text
    );
    let at_idp = admin.submit_form(&policy_page, "/test", &[], None).await;
    let result = admin.submit(&at_idp, &[("login", &m)], None).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.text);
    assert!(
        result.text.contains("Every check passed"),
        "{}",
        result.text
    );
    assert!(!result.text.contains("Failed"));
    // The admin's own session is untouched: a test signs nobody in.
    let (_, me) = admin.me(&app.base).await;
    assert_eq!(me["user"]["email"], org.admin_email.as_str());

    // Again, now that the provider no longer vouches for the email (it remembers the login, so
    // the browser comes straight back).
    idp.control("/__test/unverified", json!({"email": m})).await;
    let result = admin.submit_form(&policy_page, "/test", &[], None).await;
    assert!(result.text.contains("A check failed"), "{}", result.text);
    assert!(result.text.contains("Failed") && result.text.contains("Not reached"));
}

db_tests!(
    r24_oidc_refusals_are_pages_and_change_nothing,
    r24_a_provider_that_never_answers_is_a_clear_page,
    r24_test_connection_shows_each_check,
);
