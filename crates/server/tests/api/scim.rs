//! SCIM 2.0 (`/scim/v2`) against the independent checker scim2-tester (`scim2 … test`, PyPI
//! scim2-cli), and the request sequences Okta and Microsoft Entra ID send.

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use serde_json::json;

/// An organization with plenty of seats and a `scim` token for it.
pub(crate) async fn scim_org(app: &TestApp, seats: i64) -> (Org, String) {
    let org = app.established_org(seats).await;
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "IdP provisioning", "scopes": ["scim"]}),
        )
        .await;
    let token = r.ok()["token"].as_str().unwrap().to_owned();
    (org, token)
}

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

db_tests!(scim_passes_the_independent_compliance_checker);
