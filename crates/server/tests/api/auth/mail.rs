//! Sign-in mail through a real SMTP server (aiosmtpd): queued, retried and delivered.

use super::{same_shape, start};
use crate::helpers::TestApp;

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
