//! The lesser findings of the attack pass, each reproduced and now refused: answers that a
//! browser could read as another type (every answer says `nosniff`), metrics readable by anyone
//! (`SWITCHBOARD_METRICS_TOKEN`), a provider's `error=access_denied` answered as our failure
//! (a 502) — now a page that says the sign-in was cancelled — and a provider's text forging a log
//! line or flooding the page.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::Agent;
use crate::sso_oidc::{member, oidc_org};
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard_service::Config;

async fn every_answer_says_nosniff(app: TestApp) {
    let org = app.org().seats(5).established().await;
    for (path, token) in [
        ("/healthz", None),
        ("/openapi.json", None),
        ("/sign-in", None),
        ("/assets/portal.css", None),
        ("/api/v1/no-such-route", None),
        ("/no-such-page", None),
        ("/api/v1/me", Some(org.admin.as_str())),
        ("/scim/v2/Users", None),
    ] {
        let r = app.call(Method::GET, path, token, None).await;
        assert_eq!(
            r.headers
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path} ({})",
            r.status
        );
    }
}

async fn metrics_need_their_token_when_one_is_set(app: TestApp) {
    // Unset: a scraper on this machine reads them (the tests run on loopback).
    let r = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let app = app
        .restart_with(Config {
            metrics_token: Some("scrape-me".into()),
            ..TestApp::config()
        })
        .await;
    app.call(Method::GET, "/metrics", None, None)
        .await
        .problem(401, "unauthorized");
    app.call(Method::GET, "/metrics", Some("wrong"), None)
        .await
        .problem(401, "unauthorized");
    let r = app
        .call(Method::GET, "/metrics", Some("scrape-me"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("http_requests"), "{}", r.text);
}

/// The person cancels at the provider, which answers `error=access_denied`: a page that says so,
/// not a 502; the provider's description, with a line break that would forge a log line, is
/// neither echoed nor logged raw.
async fn r24_a_cancelled_provider_sign_in_is_a_page_not_an_error(app: TestApp) {
    let (org, idp, _) = oidc_org(&app).await;
    let m = format!(
        "cancel-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    member(&app, &org, &org.initial_team, &m).await;
    let agent = Agent::new();
    let at_idp = agent
        .go(
            Method::GET,
            &format!("{}/auth/sso/start?email={m}", app.base),
            &[],
            Some(&idp.url),
        )
        .await;
    let state = crate::idp::query_param(&at_idp.url, "state").expect("the provider gets a state");
    let page = agent
        .get(&format!(
            "{}/auth/oidc/callback?state={state}&error=access_denied&error_description=no%0AINFO%20forged",
            app.base
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Sign-in cancelled"), "{}", page.text);
    assert!(
        !page.text.contains("forged"),
        "the provider's words are not echoed"
    );
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
    // The flow is spent: the same callback again is refused.
    let again = agent
        .get(&format!(
            "{}/auth/oidc/callback?state={state}&error=access_denied",
            app.base
        ))
        .await;
    assert!(again.status.is_client_error(), "{}", again.status);
}

async fn r3_look_alike_team_names_are_taken(app: TestApp) {
    let org = app.org().seats(5).established().await;
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "B Sales", "login_type": "email"}),
    )
    .await
    .ok();
    // Greek capital beta, Cyrillic capital ve, two spaces: all read as "B Sales".
    for look_alike in ["\u{0392} Sales", "\u{0412} Sales", "B  Sales", "b sales"] {
        app.post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": look_alike, "login_type": "email"}),
        )
        .await
        .problem(409, "team_name_taken");
    }
}

async fn r4_an_idn_domain_is_one_identity_in_either_form(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let r = org
        .add(&app, &["vic@xn--mnchen-3ya.de"])
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    let id = r.ok()["results"][0]["user_id"].as_str().unwrap().to_owned();
    let user = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(user.ok()["email"], "vic@münchen.de", "stored in one form");
    let again = org
        .add(&app, &["VIC@münchen.de"])
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    let result = &again.ok()["results"][0];
    assert_eq!(result["outcome"], "already_member", "{}", again.text);
    assert_eq!(result["user_id"], id.as_str());
}

db_tests!(
    r3_look_alike_team_names_are_taken,
    r4_an_idn_domain_is_one_identity_in_either_form,
    every_answer_says_nosniff,
    metrics_need_their_token_when_one_is_set,
    r24_a_cancelled_provider_sign_in_is_a_page_not_an_error,
);
