//! Sign-in by emailed code: it never reveals whether an account exists, a code is single use and
//! sets a session cookie, five wrong codes burn it (and a burned code can be replaced at once),
//! expired codes and sessions are refused.

use super::{same_shape, start, verify};
use crate::db_tests;
use crate::helpers::TestApp;
use switchboard_service::Config;

async fn sign_in_never_reveals_whether_an_account_exists(app: TestApp) {
    app.provision("Support", "email", "known@example.com", "business", 5)
        .await;
    let known = start(&app, "known@example.com").await;
    let unknown = start(&app, "stranger@example.com").await;
    assert_eq!((known.status.as_u16(), unknown.status.as_u16()), (202, 202));
    assert_eq!(same_shape(&known.body), same_shape(&unknown.body));
    assert!(
        app.last_code("stranger@example.com").await.is_none(),
        "no mail to unknown addresses"
    );
    let code = app.last_code("known@example.com").await.unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    start(&app, "not an email")
        .await
        .problem(422, "validation_failed");
}

async fn sign_in_codes_are_single_use_and_set_a_session_cookie(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    start(&app, "k@example.com").await;
    let code = app.last_code("k@example.com").await.unwrap();
    let r = verify(&app, "K@example.com", &code).await;
    let token = r.ok()["token"].as_str().unwrap().to_owned();
    assert!(r.body["expires_at"].as_str().unwrap().ends_with('Z'));
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with(&format!("sb_session={token}")));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain loopback");
    verify(&app, "k@example.com", &code)
        .await
        .problem(401, "unauthorized");
    // The cookie alone authenticates.
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", format!("sb_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    // Codes and tokens are stored only as hashes.
    let mut c = app.store.read().await.unwrap();
    let stored: Vec<String> =
        switchboard_store::sqlx::query_scalar("SELECT token_hash FROM sessions")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    assert!(stored.iter().all(|h| !h.contains(&token[4..])));
}

async fn five_wrong_codes_burn_the_code(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    start(&app, "k@example.com").await;
    let code = app.last_code("k@example.com").await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        verify(&app, "k@example.com", wrong)
            .await
            .problem(401, "unauthorized");
    }
    verify(&app, "k@example.com", &code)
        .await
        .problem(401, "unauthorized");
}

async fn expired_codes_and_sessions_are_refused(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    let app = app
        .restart_with(Config {
            code_ttl_ms: 0,
            session_ttl_ms: 0,
            starts_per_ip: 10_000,
            ..Config::default()
        })
        .await;
    start(&app, "k@example.com").await;
    let code = app.last_code("k@example.com").await.unwrap();
    verify(&app, "k@example.com", &code)
        .await
        .problem(401, "unauthorized");
    let app = app
        .restart_with(Config {
            session_ttl_ms: 0,
            starts_per_ip: 10_000,
            ..Config::default()
        })
        .await;
    start(&app, "k@example.com").await;
    let code = app.last_code("k@example.com").await.unwrap();
    let token = verify(&app, "k@example.com", &code).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get("/api/v1/me", &token)
        .await
        .problem(401, "unauthorized");
}

async fn a_burned_code_can_be_replaced_at_once(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    start(&app, "k@example.com").await;
    let code = app.last_code("k@example.com").await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        verify(&app, "k@example.com", wrong)
            .await
            .problem(401, "unauthorized");
    }
    verify(&app, "k@example.com", &code)
        .await
        .problem(401, "unauthorized");
    // Someone burned it with wrong guesses; its owner asks for a fresh one and signs in.
    assert_eq!(start(&app, "k@example.com").await.status, 202);
    let fresh = app.last_code("k@example.com").await.unwrap();
    verify(&app, "k@example.com", &fresh).await.ok();
}

db_tests!(
    sign_in_never_reveals_whether_an_account_exists,
    sign_in_codes_are_single_use_and_set_a_session_cookie,
    five_wrong_codes_burn_the_code,
    expired_codes_and_sessions_are_refused,
    a_burned_code_can_be_replaced_at_once,
);
