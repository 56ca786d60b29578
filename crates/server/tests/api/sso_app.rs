//! R24 for the apps (RFC 8252): the app opens the sign-in in the system browser with a loopback
//! redirect and a PKCE challenge, receives a one-time code there, and exchanges it with its
//! verifier for an app token that may run in the SSO team. Codes are single-use, bound to the
//! verifier and the redirect; only loopback addresses are accepted.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::{Agent, query_param};
use crate::sso_oidc::{member, oidc_org};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

pub(crate) const LOOPBACK: &str = "http://127.0.0.1:9/callback";

pub(crate) fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The browser part: start, log in at the provider, land on the loopback address with a code.
pub(crate) async fn loopback_code(app: &TestApp, who: &str, verifier: &str) -> String {
    let agent = Agent::new();
    let start = format!(
        "{}/app/v1/sign-in/sso/start?email={who}&redirect_uri={LOOPBACK}&code_challenge={}&code_challenge_method=S256&state=app-state-1",
        app.base,
        challenge(verifier)
    );
    let at_idp = agent.get(&start).await;
    assert_eq!(at_idp.status, StatusCode::OK, "{}", at_idp.text);
    let landed = agent
        .submit(&at_idp, &[("login", who)], Some(LOOPBACK))
        .await;
    assert!(
        landed.url.starts_with(LOOPBACK),
        "{}: {}",
        landed.url,
        landed.text
    );
    assert_eq!(
        query_param(&landed.url, "state").as_deref(),
        Some("app-state-1")
    );
    query_param(&landed.url, "code").expect("a one-time code")
}

pub(crate) async fn token(
    app: &TestApp,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> crate::helpers::Resp {
    app.call(
        Method::POST,
        "/app/v1/sign-in/sso/token",
        None,
        Some(json!({"code": code, "code_verifier": verifier, "redirect_uri": redirect})),
    )
    .await
}

async fn r24_app_sso_loopback_code_with_pkce(app: TestApp) {
    let (org, _idp, _) = oidc_org(&app).await;
    let m = format!(
        "agent-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    member(&app, &org, &org.initial_team, &m).await;
    let verifier = "a-verifier-that-is-long-enough-for-rfc7636-0123456789";

    // A wrong verifier spends the code; the code can't be used again either.
    let code = loopback_code(&app, &m, verifier).await;
    token(
        &app,
        &code,
        "another-verifier-of-sufficient-length-0123456789",
        LOOPBACK,
    )
    .await
    .problem(401, "unauthorized");
    token(&app, &code, verifier, LOOPBACK)
        .await
        .problem(401, "unauthorized");
    // Another redirect than the one the sign-in started with.
    let code = loopback_code(&app, &m, verifier).await;
    token(&app, &code, verifier, "http://127.0.0.1:10/callback")
        .await
        .problem(401, "unauthorized");

    let code = loopback_code(&app, &m, verifier).await;
    let session = token(&app, &code, verifier, LOOPBACK).await;
    let body = session.ok();
    assert_eq!(body["team_id"], org.initial_team.as_str(), "{body}");
    let app_token = body["token"].as_str().unwrap();
    let e = app.get("/app/v1/entitlement", app_token).await;
    assert_eq!(e.ok()["team"]["id"], org.initial_team.as_str());
}

async fn r24_app_sso_takes_only_loopback_redirects_and_s256(app: TestApp) {
    let (_org, _idp, _) = oidc_org(&app).await;
    let good = challenge("a-verifier-that-is-long-enough-for-rfc7636-0123456789");
    for (query, field) in [
        (
            format!("redirect_uri=https://evil.example/cb&code_challenge={good}"),
            "redirect_uri",
        ),
        (
            format!("redirect_uri=http://localhost:9/cb&code_challenge={good}"),
            "redirect_uri",
        ),
        (
            format!("redirect_uri={LOOPBACK}&code_challenge=short"),
            "code_challenge",
        ),
        (
            format!("redirect_uri={LOOPBACK}&code_challenge={good}&code_challenge_method=plain"),
            "code_challenge_method",
        ),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/app/v1/sign-in/sso/start?email=a@example.com&{query}"),
                None,
                None,
            )
            .await;
        let detail = r.problem(422, "validation_failed");
        assert_eq!(r.body["field"], field, "{detail}");
    }
}

db_tests!(
    r24_app_sso_loopback_code_with_pkce,
    r24_app_sso_takes_only_loopback_redirects_and_s256,
);
