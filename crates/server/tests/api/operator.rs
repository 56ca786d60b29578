//! R1: the operator provisions customers, by API and by CLI.

use crate::db_tests;
use crate::helpers::OPERATOR_TOKEN;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn r1_operator_provisions_a_customer(app: TestApp) {
    let p = app
        .provision("Support EU", "email", "Lead@Example.com", "business", 20)
        .await;
    let admin = app.sign_in("lead@example.com").await;
    let org = app.get(&format!("/api/v1/orgs/{}", p.org), &admin).await;
    assert_eq!(org.ok()["established"], false);
    assert_eq!(org.body["name"], serde_json::Value::Null);
    assert_eq!(org.body["initial_team_id"], p.team.as_str());
    let teams = app
        .get(&format!("/api/v1/orgs/{}/teams", p.org), &admin)
        .await;
    let team = &teams.ok()["items"][0];
    assert_eq!(team["name"], "Support EU");
    assert_eq!(team["plan"], "business");
    assert_eq!(team["subscription_id"], p.subscription.as_str());
    assert_eq!(team["is_initial_team"], true);
    let me = app.get("/api/v1/me", &admin).await;
    assert_eq!(
        me.ok()["orgs"][0]["memberships"][0]["team_role"],
        "team_admin"
    );
    assert_eq!(me.body["orgs"][0]["org_role"], serde_json::Value::Null);
    assert_eq!(app.broken_audit_entry(&p.org).await, None);
}

async fn r1_provisioning_refuses_bad_input(app: TestApp) {
    let base = json!({"team": {"name": "Ops", "login_type": "email"}, "admin_email": "a@example.com",
        "subscription": {"plan": "business", "seats": 5}});
    let cases = [
        ("/team/login_type", json!("fax"), "login_type"),
        ("/team/name", json!("  "), "name"),
        ("/admin_email", json!("nope"), "email"),
        ("/subscription/plan", json!("gold"), "plan"),
        ("/subscription/seats", json!(-1), "seats"),
    ];
    for (pointer, value, word) in cases {
        let mut body = base.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = app
            .post("/operator/v1/customers", OPERATOR_TOKEN, body)
            .await;
        let detail = r.problem(422, "validation_failed");
        assert!(detail.contains(word), "{detail}");
    }
    // A device team on a plan that allows only email teams.
    let mut body = base.clone();
    body["team"]["login_type"] = json!("device");
    body["subscription"]["plan"] = json!("starter");
    app.post("/operator/v1/customers", OPERATOR_TOKEN, body)
        .await
        .problem(422, "validation_failed");
    // Fractional seats do not parse.
    let mut body = base.clone();
    body["subscription"]["seats"] = json!(2.5);
    app.post("/operator/v1/customers", OPERATOR_TOKEN, body)
        .await
        .problem(422, "validation_failed");
    // Without or with a wrong operator token.
    let r = app
        .call(
            Method::POST,
            "/operator/v1/customers",
            None,
            Some(base.clone()),
        )
        .await;
    r.problem(401, "unauthorized");
    app.post("/operator/v1/customers", "wrong", base)
        .await
        .problem(401, "unauthorized");
    let plans = app.get("/operator/v1/plans", OPERATOR_TOKEN).await;
    assert!(
        plans.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "enterprise")
    );
}

async fn r1_cli_provisions_the_same_way(app: TestApp) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "provision",
            "--team-name",
            "Night Desk",
            "--login-type",
            "device",
            "--admin-email",
            "night@example.com",
            "--plan",
            "enterprise",
            "--seats",
            "12",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env(
            "SWITCHBOARD_MAIL",
            format!("file:{}", app.mail_file.display()),
        )
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let org = printed["org_id"].as_str().unwrap();
    let admin = app.sign_in("night@example.com").await;
    let teams = app.get(&format!("/api/v1/orgs/{org}/teams"), &admin).await;
    assert_eq!(teams.ok()["items"][0]["login_type"], "device");
    assert_eq!(teams.body["items"][0]["name"], "Night Desk");
}

/// R1: the first team keeps the description it was provisioned with, and its first Team Admin
/// holds a seat exactly when the pool has one (none in a pool of 0, none in a device-login team).
async fn r1_the_first_team_keeps_its_description_and_its_admin_a_seat_if_any(app: TestApp) {
    for (login, seats, seated) in [
        ("email", 3, true),
        ("email", 0, false),
        ("device", 3, false),
    ] {
        let admin = format!("{}@example.com", crate::helpers::unique("lead"));
        let r = app
            .post(
                "/operator/v1/customers",
                OPERATOR_TOKEN,
                json!({"team": {"name": "Support EU", "login_type": login,
                    "description": "Second line, Dublin"},
                    "admin_email": admin, "subscription": {"plan": "enterprise", "seats": seats}}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        let (org, team) = (r.body["org_id"].clone(), r.body["team_id"].clone());
        let token = app.sign_in(&admin).await;
        let t = app
            .get(
                &format!(
                    "/api/v1/orgs/{}/teams/{}",
                    org.as_str().unwrap(),
                    team.as_str().unwrap()
                ),
                &token,
            )
            .await;
        assert_eq!(t.ok()["description"], "Second line, Dublin");
        assert_eq!(
            t.body["seats_used"],
            i64::from(seated),
            "{login} with {seats} seats"
        );
        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(
            me.ok()["orgs"][0]["memberships"][0]["app_access"],
            seated,
            "{login} with {seats} seats"
        );
        assert_eq!(app.broken_audit_entry(org.as_str().unwrap()).await, None);
    }
}

db_tests!(
    r1_the_first_team_keeps_its_description_and_its_admin_a_seat_if_any,
    r1_operator_provisions_a_customer,
    r1_provisioning_refuses_bad_input,
    r1_cli_provisions_the_same_way
);
