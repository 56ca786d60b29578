//! Sign-in by emailed code, sessions, cookies and throttling.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;
use switchboard_service::Config;

async fn start(app: &TestApp, email: &str) -> crate::helpers::Resp {
    app.call(
        Method::POST,
        "/api/v1/auth/email/start",
        None,
        Some(json!({"email": email})),
    )
    .await
}

async fn verify(app: &TestApp, email: &str, code: &str) -> crate::helpers::Resp {
    app.call(
        Method::POST,
        "/api/v1/auth/email/verify",
        None,
        Some(json!({"email": email, "code": code})),
    )
    .await
}

/// A start's answer with its attempt id (random, one per start) replaced by its length: what
/// must not differ between an email with an account and one without.
fn same_shape(body: &serde_json::Value) -> serde_json::Value {
    let mut b = body.clone();
    let id = b["attempt_id"].as_str().expect("an attempt id").len();
    b["attempt_id"] = json!(id);
    b
}

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

async fn sign_in_starts_are_throttled_per_email_with_retry_after(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    for _ in 0..5 {
        assert_eq!(start(&app, "k@example.com").await.status, 202);
    }
    let r = start(&app, "k@example.com").await;
    r.problem(429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // An unknown address is counted the same way: 429 says nothing about accounts.
    for _ in 0..5 {
        assert_eq!(start(&app, "ghost@example.com").await.status, 202);
    }
    start(&app, "ghost@example.com")
        .await
        .problem(429, "rate_limited");
    assert_eq!(
        start(&app, "other@example.com").await.status,
        202,
        "other addresses are unaffected"
    );
}

async fn throttled_starts_cost_no_write_and_do_not_extend_the_lockout(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    let app = app
        .restart_with(Config {
            starts_per_email: 2,
            throttle_window_ms: 1500,
            ..TestApp::config()
        })
        .await;
    let rows = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let mut c = store.read().await.unwrap();
            switchboard_store::sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM sign_in_attempts",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(start(&app, "k@example.com").await.status, 202);
    }
    let counted = rows(&app).await;
    for _ in 0..20 {
        start(&app, "k@example.com")
            .await
            .problem(429, "rate_limited");
    }
    assert_eq!(rows(&app).await, counted, "refused starts wrote nothing");
    // Only the accepted starts count: once they leave the window, the address may start again,
    // however often it was refused meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(start(&app, "k@example.com").await.status, 202);
    // Per address, in memory: refused before the database is touched.
    let app = app
        .restart_with(Config {
            starts_per_ip: 3,
            ..TestApp::config()
        })
        .await;
    for i in 0..3 {
        assert_eq!(start(&app, &format!("p{i}@example.com")).await.status, 202);
    }
    let counted = rows(&app).await;
    let r = start(&app, "p9@example.com").await;
    r.problem(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(rows(&app).await, counted);
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

async fn code_checks_are_throttled_per_address(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    let app = app
        .restart_with(Config {
            verifies_per_ip: 3,
            ..TestApp::config()
        })
        .await;
    for _ in 0..3 {
        verify(&app, "k@example.com", "123456")
            .await
            .problem(401, "unauthorized");
    }
    let r = verify(&app, "k@example.com", "123456").await;
    r.problem(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
}

async fn missing_bad_and_signed_out_tokens_answer_401(app: TestApp) {
    let org = app.established_org(5).await;
    app.call(Method::GET, "/api/v1/me", None, None)
        .await
        .problem(401, "unauthorized");
    app.get("/api/v1/me", "sbs_nonsense")
        .await
        .problem(401, "unauthorized");
    app.get(&org.path("/teams"), "sbs_nonsense")
        .await
        .problem(401, "unauthorized");
    let r = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&org.admin), None)
        .await;
    assert_eq!(r.status, 204);
    app.get("/api/v1/me", &org.admin)
        .await
        .problem(401, "unauthorized");
}

async fn me_lists_orgs_memberships_and_roles(app: TestApp) {
    let org = app.established_org(5).await;
    let me = app.get("/api/v1/me", &org.admin).await;
    assert_eq!(me.ok()["user"]["email"], org.admin_email.as_str());
    assert_eq!(me.body["user"]["status"], "signed_in");
    let o = &me.body["orgs"][0];
    assert_eq!(o["id"], org.id.as_str());
    assert_eq!(o["name"], "Acme");
    assert_eq!(o["org_role"], "org_admin");
    assert_eq!(o["memberships"].as_array().unwrap().len(), 1);
}

async fn cookie_sessions_need_our_origin_and_the_csrf_token_to_change_anything(app: TestApp) {
    let org = app.established_org(10).await;
    let me = app.get("/api/v1/me", &org.admin).await;
    let csrf = me.ok()["csrf_token"].as_str().unwrap().to_owned();
    let url = format!("{}{}", app.base, org.path("/teams"));
    let host = app.base.trim_start_matches("http://").to_owned();
    let post = |origin: Option<&str>, token: Option<&str>, name: &str| {
        let mut r = app
            .client
            .post(&url)
            .header("cookie", format!("sb_session={}", org.admin))
            .json(&json!({"name": name, "login_type": "email"}));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }
    };
    let ours = format!("http://{host}");
    assert_eq!(
        post(Some("https://evil.example"), Some(&csrf), "A").await,
        (403, "csrf_failed".into()),
        "a foreign origin"
    );
    assert_eq!(
        post(None, Some(&csrf), "B").await,
        (403, "csrf_failed".into()),
        "no origin at all"
    );
    assert_eq!(
        post(Some(&ours), None, "C").await,
        (403, "csrf_failed".into()),
        "no token"
    );
    assert_eq!(
        post(Some(&ours), Some("0000"), "D").await,
        (403, "csrf_failed".into()),
        "a wrong token"
    );
    assert_eq!(
        post(Some(&ours), Some(&csrf), "E").await.0,
        201,
        "our origin and the session's token"
    );
    // Sec-Fetch-Site from a browser counts as the origin check.
    let r = app
        .client
        .post(&url)
        .header("cookie", format!("sb_session={}", org.admin))
        .header("sec-fetch-site", "cross-site")
        .header("origin", &ours)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "F", "login_type": "email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Reads need neither; bearer tokens need neither.
    let r = app
        .client
        .get(&url)
        .header("cookie", format!("sb_session={}", org.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "G", "login_type": "email"}),
    )
    .await
    .ok();
    let names: Vec<String> = app.get(&org.path("/teams"), &org.admin).await.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"E".to_owned()) && names.contains(&"G".to_owned()));
    for refused in ["A", "B", "C", "D", "F"] {
        assert!(
            !names.contains(&refused.to_owned()),
            "{refused} was created"
        );
    }
    // Another session's token does not fit this one.
    let other = app.sign_in(&org.admin_email).await;
    let other_csrf = app.get("/api/v1/me", &other).await.ok()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(other_csrf, csrf);
    assert_eq!(post(Some(&ours), Some(&other_csrf), "H").await.0, 403);
}

db_tests!(
    sign_in_never_reveals_whether_an_account_exists,
    sign_in_codes_are_single_use_and_set_a_session_cookie,
    five_wrong_codes_burn_the_code,
    expired_codes_and_sessions_are_refused,
    sign_in_starts_are_throttled_per_email_with_retry_after,
    throttled_starts_cost_no_write_and_do_not_extend_the_lockout,
    a_burned_code_can_be_replaced_at_once,
    code_checks_are_throttled_per_address,
    missing_bad_and_signed_out_tokens_answer_401,
    me_lists_orgs_memberships_and_roles,
    cookie_sessions_need_our_origin_and_the_csrf_token_to_change_anything
);

/// The Python of the test tools (aiosmtpd): `SWITCHBOARD_TEST_PYTHON`, or the workspace's `.venv`
/// that `scripts/test` installs. Without either the test fails, saying so: it is never skipped.
pub fn test_python() -> String {
    if let Ok(p) = std::env::var("SWITCHBOARD_TEST_PYTHON") {
        return p;
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with aiosmtpd: run scripts/test once (it installs .venv), or set SWITCHBOARD_TEST_PYTHON"
    );
    venv.display().to_string()
}

/// A real SMTP server (Python's aiosmtpd) on a free loopback port, printing what it receives.
async fn smtp_server() -> (tokio::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = tokio::process::Command::new(test_python())
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Debugging",
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (smtp, port)
}

/// Mail goes through the outbox: `start` answers 202 the same for known and unknown addresses even
/// when the mail server is down; the worker retries with backoff and delivers once a real SMTP
/// server (aiosmtpd) is up; nothing is lost and nothing is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_mail_is_queued_retried_and_delivered_through_a_real_smtp_server() {
    let app = TestApp::sqlite().await;
    app.provision("Support", "email", "smtp@example.com", "business", 5)
        .await;
    // The mail server is down (nothing listens on the port).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down =
        switchboard_service::mail::Mailer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let app = app.restart_with_mailer(down, TestApp::config()).await;
    let known = start(&app, "smtp@example.com").await;
    let unknown = start(&app, "nobody@example.com").await;
    assert_eq!(
        (known.status.as_u16(), unknown.status.as_u16()),
        (202, 202),
        "no 500 for a known address"
    );
    assert_eq!(same_shape(&known.body), same_shape(&unknown.body));
    assert_eq!(
        app.services.mail_pending().await.unwrap(),
        1,
        "one code queued, none for the stranger"
    );
    assert_eq!(app.services.deliver_mail().await.unwrap(), 0);
    let mut c = app.store.read().await.unwrap();
    let (attempts, error): (i64, Option<String>) =
        switchboard_store::sqlx::query_as("SELECT attempts, last_error FROM outbox")
            .fetch_one(&mut *c)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.is_some(), "the failure is kept for an operator");
    drop(c);
    // The server comes back; the retry (made due now instead of in 2 s) delivers it once.
    let (smtp, port) = smtp_server().await;
    let up =
        switchboard_service::mail::Mailer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let app = app.restart_with_mailer(up, TestApp::config()).await;
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    assert_eq!(app.services.deliver_mail().await.unwrap(), 1);
    assert_eq!(
        app.services.deliver_mail().await.unwrap(),
        0,
        "nothing is sent twice"
    );
    assert_eq!(app.services.mail_pending().await.unwrap(), 0);
    let mut smtp = smtp;
    let _ = smtp.start_kill();
    let out = smtp.wait_with_output().await.unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("smtp@example.com"), "{printed}");
    assert!(
        printed.contains("Your Switchboard sign-in code"),
        "{printed}"
    );
    assert_eq!(
        printed.matches("Your Switchboard sign-in code").count(),
        1,
        "{printed}"
    );
}
