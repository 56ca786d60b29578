//! The binary as an operator runs it: `switchboard serve` answers health checks, and on SIGTERM
//! lets in-flight requests finish before it exits cleanly.

use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_shuts_down_gracefully_on_sigterm() {
    let app = TestApp::sqlite().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail = app.mail_file.with_file_name("serve-mail.jsonl");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_MAIL", format!("file:{}", mail.display()))
        .env("SWITCHBOARD_OPERATOR_TOKEN", OPERATOR_TOKEN)
        .env("SWITCHBOARD_SECRET_KEY", "k")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    switchboard_service::use_ring_for_tls();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    // An org to work in, and its admin signed in, through the running binary.
    let body = json!({"team": {"name": "Ops", "login_type": "email"}, "admin_email": "ops@example.com",
        "subscription": {"plan": "business", "seats": 2000}});
    let org: serde_json::Value = client
        .post(format!("{base}/operator/v1/customers"))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/v1/auth/email/start"))
        .json(&json!({"email": "ops@example.com"}))
        .send()
        .await
        .unwrap();
    // The server's worker delivers the code from its outbox right after the start commits.
    let mut code = None;
    for _ in 0..100 {
        if let Some(line) = std::fs::read_to_string(&mail)
            .ok()
            .and_then(|m| m.lines().last().map(str::to_owned))
        {
            code = serde_json::from_str::<serde_json::Value>(&line).unwrap()["code"]
                .as_str()
                .map(str::to_owned);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let code = code.expect("the sign-in code was mailed");
    let session: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/email/verify"))
        .json(&json!({"email": "ops@example.com", "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    // A bulk add of 1,000 (tens of milliseconds of work) is in flight when SIGTERM arrives.
    let emails: Vec<String> = (0..1000).map(|i| format!("agent{i}@example.com")).collect();
    let body = json!({"team_id": org["team_id"], "team_role": "member", "emails": emails});
    let req = client
        .post(format!(
            "{base}/api/v1/orgs/{}/users",
            org["org_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .json(&body)
        .send();
    let pid = child.id().unwrap().to_string();
    let (resp, _) = tokio::join!(req, async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
    });
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(status.success(), "clean exit: {status}");
    let resp = resp.expect("the in-flight request was answered");
    assert_eq!(resp.status(), 200);
    let result: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(result["added"], 1000);
    // What it answered is in the database, whole, and audited.
    let mut c = app.store.read().await.unwrap();
    let team = org["team_id"].as_str().unwrap();
    let n = switchboard_store::orgs::member_count(
        &mut c,
        &crate::helpers::typed(org["org_id"].as_str().unwrap()),
        &crate::helpers::typed(team),
    )
    .await
    .unwrap();
    assert_eq!(n, 1001);
    assert_eq!(
        app.broken_audit_entry(org["org_id"].as_str().unwrap())
            .await,
        None
    );
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

fn switchboard() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    c.env("SWITCHBOARD_SECRET_KEY", "k")
        .env_remove("DATABASE_URL");
    c
}

/// A start-up failure is one line saying what failed and what to do, and a bad exit status.
#[test]
fn startup_errors_are_one_clear_line() {
    let out = switchboard()
        .args([
            "--database-url",
            "postgres://nobody@127.0.0.1:1/nothing",
            "migrate",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("can't open the database") && lines[0].contains("--database-url"),
        "{err}"
    );
    assert!(
        !err.contains("backtrace") && !err.contains("panicked"),
        "{err}"
    );
}

/// `sqlite://path` works as written: the file and its folders are created.
#[test]
fn a_sqlite_url_creates_its_file_and_folders() {
    let dir = std::env::temp_dir().join(format!("sb-{}", ulid::Ulid::new()));
    let file = dir.join("deep/er/db.sqlite3");
    let out = switchboard()
        .args([
            "--database-url",
            &format!("sqlite://{}", file.display()),
            "migrate",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve --demo` on a database that already has the demo keeps it, says so, and says how to sign
/// in every time; each request leaves one access-log line with its route template and id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_always_says_how_to_sign_in_and_logs_each_request() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = std::env::temp_dir().join(format!("sb-{}", ulid::Ulid::new()));
    let db = format!("sqlite://{}", dir.join("db.sqlite3").display());
    let mail = format!("file:{}", dir.join("mail.jsonl").display());
    let out = switchboard()
        .args([
            "--database-url",
            &db,
            "--mail",
            &mail,
            "demo",
            "--users",
            "20",
            "--teams",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "--database-url",
            &db,
            "--mail",
            &mail,
            "serve",
            "--demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("SWITCHBOARD_SECRET_KEY", "k")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(20), stdout.next_line())
        .await
        .unwrap()
    {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("/sign-in") {
            break;
        }
    }
    assert!(printed.contains("kept"), "{printed}");
    assert!(
        printed.contains(&format!("http://127.0.0.1:{port}")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "Open http://127.0.0.1:{port}/sign-in and sign in as admin@demo.switchboard.test (the code is in "
        )),
        "{printed}"
    );
    switchboard_service::use_ring_for_tls();
    let r = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut logged = false;
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(5), stderr.next_line()).await
    {
        if line.contains(&id) {
            assert!(
                line.contains("/healthz") && line.contains("status=200") && line.contains("GET"),
                "{line}"
            );
            logged = true;
            break;
        }
    }
    assert!(logged, "an access-log line for {id}");
    let _ = child.start_kill();
    let _ = std::fs::remove_dir_all(&dir);
}
