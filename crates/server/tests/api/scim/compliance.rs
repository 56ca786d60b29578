//! SCIM against the independent checker scim2-tester (`scim2 … test`, PyPI scim2-cli), and a
//! directory of two thousand users provisioned through it.

use super::{scim, scim_org};
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

fn scim2() -> std::path::PathBuf {
    let python = std::env::var("SWITCHBOARD_TEST_PYTHON").expect(
        "SWITCHBOARD_TEST_PYTHON names the venv's python (scripts/test sets it, with scim2-cli installed)",
    );
    std::path::Path::new(&python).with_file_name("scim2")
}

async fn scim_passes_the_independent_compliance_checker(app: TestApp) {
    let (org, token) = scim_org(&app, 1000).await;
    let out = tokio::process::Command::new(scim2())
        .arg("--url")
        .arg(format!("{}/scim/v2", app.base))
        .arg("-h")
        .arg(format!("Authorization: Bearer {token}"))
        .arg("test")
        .output()
        .await
        .expect("scim2 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.starts_with("SUCCESS") && !l.starts_with("  ") && !l.starts_with("Performing")
        })
        .collect();
    assert!(
        out.status.success(),
        "scim2-tester failed:\n{}\n\nfull output:\n{text}",
        failed.join("\n")
    );
    assert!(text.matches("SUCCESS").count() >= 60, "{text}");
    // Everything it did is in the audit log, as the token.
    let log = app.get(&org.path("/audit-log?limit=5"), &org.admin).await;
    assert!(
        log.ok()["items"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_token:")
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

/// 2,000 users provisioned by four concurrent clients, as an IdP's first sync does.
async fn scim_provisions_two_thousand_users(app: TestApp) {
    let (org, token) = scim_org(&app, 2100).await;
    let token = std::sync::Arc::new(token);
    let base = app.base.clone();
    let mut workers = Vec::new();
    for w in 0..4 {
        let token = token.clone();
        let base = base.clone();
        let client = app.client.clone();
        workers.push(tokio::spawn(async move {
            for i in 0..500 {
                let e = format!("agent{w}-{i}@callcenter.example");
                let r = client
                    .post(format!("{base}/scim/v2/Users"))
                    .bearer_auth(token.as_str())
                    .header("content-type", "application/scim+json")
                    .body(
                        json!({"userName": e, "active": true, "externalId": format!("x{w}-{i}"),
                        "emails": [{"value": e, "primary": true, "type": "work"}]})
                        .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let (_, list) = scim(&app, &token, "GET", "/Users?count=1", None).await;
    assert_eq!(list["totalResults"], 2001);
    let sub = app
        .get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &org.admin,
        )
        .await;
    assert_eq!(sub.ok()["used"], 2001);
    let (_, page) = scim(
        &app,
        &token,
        "GET",
        "/Users?startIndex=1001&count=100",
        None,
    )
    .await;
    assert_eq!(page["Resources"].as_array().unwrap().len(), 100);
    assert_eq!(page["startIndex"], 1001);
}

db_tests!(
    scim_passes_the_independent_compliance_checker,
    scim_provisions_two_thousand_users,
);
