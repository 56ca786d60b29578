//! Fair share under floods, as the attacker would try it: a stranger guessing or re-requesting a
//! person's code from other addresses (the test binds its clients to other loopback addresses,
//! 127.0.0.2 and up), an app token or organization posting usage as fast as it can, starts past
//! their limit in the portal's pages, and made-up SSO states that would cost a database write.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::Agent;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use switchboard_service::Config;

/// A client whose requests come from 127.0.0.`n`.
fn from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Failed guesses recorded against any attempt.
async fn failures(app: &TestApp) -> i64 {
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(failed_attempts), 0) AS BIGINT) FROM sign_in_attempts",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

async fn r33_codes_are_bound_to_their_attempt(app: TestApp) {
    let vic = "vic@example.com";
    app.provision("Support", "email", vic, "business", 5).await;
    // Vic signed in from her own address before (it is "known" for her).
    app.sign_in(vic).await;
    let start = format!("{}/api/v1/auth/email/start", app.base);
    let verify = format!("{}/api/v1/auth/email/verify", app.base);
    let (status, started) = post(&from(1), start.clone(), json!({"email": vic})).await;
    assert_eq!(status, 202);
    let attempt = started["attempt_id"].as_str().unwrap().to_owned();
    let code = app.last_code(vic).await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };

    // A stranger elsewhere guesses: nothing to guess at without the attempt, and nothing burns.
    let stranger = from(2);
    let before = failures(&app).await;
    for _ in 0..10 {
        let (s, _) = post(
            &stranger,
            verify.clone(),
            json!({"email": vic, "code": wrong}),
        )
        .await;
        assert_eq!(s, 401);
    }
    let (s, _) = post(
        &stranger,
        verify.clone(),
        json!({"email": vic, "code": wrong, "attempt_id": "0".repeat(64)}),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(
        failures(&app).await,
        before,
        "the stranger's guesses wrote nothing"
    );

    // The stranger asks for codes from ten addresses until every one is refused …
    for n in 2..12 {
        loop {
            let (s, _) = post(&from(n), start.clone(), json!({"email": vic})).await;
            if s == 429 {
                break;
            }
            assert_eq!(s, 202);
        }
    }
    // … and Vic, from her own address, is still served; her first code still works.
    let (status, _) = post(&from(1), start.clone(), json!({"email": vic})).await;
    assert_eq!(status, 202, "a flood from elsewhere doesn't lock Vic out");
    let (status, session) = post(
        &from(1),
        verify.clone(),
        json!({"email": vic, "code": code, "attempt_id": attempt}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert!(session["token"].as_str().is_some());
}

async fn fair_share_usage_is_limited_per_token_and_per_organization(app: TestApp) {
    let app = app
        .restart_with(Config {
            ingest_units_per_token_per_s: 1,
            ingest_units_per_org_per_s: 1,
            ..TestApp::config()
        })
        .await;
    let a = app.org().seats(10).established().await;
    let b = app.org().seats(10).established().await;
    let mut tokens = Vec::new();
    for (org, who) in [(&a, "one"), (&a, "two"), (&b, "three")] {
        let email = format!("{who}-{}@example.com", &org.id[4..]);
        org.add(&app, &[&email])
            .to(&org.initial_team)
            .as_member()
            .with_access()
            .await
            .ok();
        let s = crate::apps::app_sign_in(&app, &email, None).await;
        tokens.push(s.ok()["token"].as_str().unwrap().to_owned());
    }
    let batch = |n: usize| {
        let (_, at) = crate::usage::day(0);
        let events: Vec<Value> = (0..n)
            .map(|_| {
                json!({"id": ulid::Ulid::new().to_string(), "type": "call", "ended_at": at,
                    "duration_s": 60, "features_s": {}})
            })
            .collect();
        json!({ "events": events })
    };
    // A whole batch of 1,000 events fits the burst (10 units) …
    app.post("/app/v1/usage", &tokens[0], batch(1000))
        .await
        .ok();
    // … and the next one, at once, is refused with when to retry; nothing of it is counted.
    let r = app.post("/app/v1/usage", &tokens[0], batch(1)).await;
    r.problem(429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    // Another token of the same organization shares the organization's rate …
    app.post("/app/v1/usage", &tokens[1], batch(1))
        .await
        .problem(429, "rate_limited");
    // … while another organization's agents are untouched.
    app.post("/app/v1/usage", &tokens[2], batch(1000))
        .await
        .ok();
    // The rate refills: a second later the first token may send again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.post("/app/v1/usage", &tokens[1], batch(1)).await.ok();
}

async fn fair_share_pages_answer_429_with_retry_after(app: TestApp) {
    let app = app
        .restart_with(Config {
            starts_per_ip: 1,
            sso_per_ip: 2,
            ..TestApp::config()
        })
        .await;
    // SSO starts: two, then 429 — on the page too, with when to retry.
    for _ in 0..2 {
        let r = app
            .client
            .get(format!(
                "{}/auth/sso/start?email=a@nowhere.example",
                app.base
            ))
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let r = app
        .client
        .get(format!(
            "{}/auth/sso/start?email=a@nowhere.example",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.text().await.unwrap().contains("<form"),
        "still the sign-in page"
    );
    // The sign-in form: one start, then 429 with the page.
    let agent = Agent::new();
    let page = agent.get(&format!("{}/sign-in", app.base)).await;
    let first = agent
        .submit(&page, &[("email", "someone@example.com")], None)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let page = agent.get(&format!("{}/sign-in", app.base)).await;
    let second = agent
        .submit(&page, &[("email", "someone@example.com")], None)
        .await;
    assert_eq!(
        second.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        second.text
    );
}

async fn fair_share_made_up_sso_states_cost_no_write(app: TestApp) {
    let (_org, _idp, policy) = crate::sso_saml::saml_org(&app).await;
    let policy = policy["id"].as_str().unwrap().to_owned();
    // Hold the database's writer (on SQLite, the one write connection): a forged callback or
    // ACS post must still be answered, so it never queued for a write.
    let held = app.store.write().await.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let callback = client
        .get(format!(
            "{}/auth/oidc/callback?state=made-up&code=x",
            app.base
        ))
        .header("cookie", "sb_sso_state=made-up")
        .send()
        .await
        .expect("answered while the writer is held");
    assert!(callback.status().is_client_error(), "{}", callback.status());
    let acs = client
        .post(format!("{}/auth/saml/{policy}/acs", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("SAMLResponse=PHNhbWw%2B&RelayState=made-up")
        .send()
        .await
        .expect("answered while the writer is held");
    assert!(acs.status().is_client_error(), "{}", acs.status());
    drop(held);
}

db_tests!(
    r33_codes_are_bound_to_their_attempt,
    fair_share_usage_is_limited_per_token_and_per_organization,
    fair_share_pages_answer_429_with_retry_after,
    fair_share_made_up_sso_states_cost_no_write
);
