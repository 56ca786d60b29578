//! R2, R3: teams, and the organization established by the second one.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn r2_second_team_requires_org_name_and_establishes_org(app: TestApp) {
    let p = app
        .provision("Support", "email", "ta@example.com", "enterprise", 10)
        .await;
    let ta = app.sign_in("ta@example.com").await;
    let teams = format!("/api/v1/orgs/{}/teams", p.org);
    let detail = app
        .post(&teams, &ta, json!({"name": "Sales", "login_type": "email"}))
        .await
        .problem(422, "validation_failed");
    assert!(detail.contains("organization_name"));
    // Not yet established: org-level sections are closed.
    app.get(&format!("/api/v1/orgs/{}/admins", p.org), &ta)
        .await
        .problem(403, "forbidden");
    let r = app
        .post(
            &teams,
            &ta,
            json!({"name": "Sales", "login_type": "email", "organization_name": " Acme Calls "}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["id"].as_str().unwrap().starts_with("team_"));
    let org = app.get(&format!("/api/v1/orgs/{}", p.org), &ta).await;
    assert_eq!(org.ok()["established"], true);
    assert_eq!(org.body["name"], "Acme Calls");
    let admins = app
        .get(&format!("/api/v1/orgs/{}/admins", p.org), &ta)
        .await;
    assert_eq!(admins.ok()["items"][0]["email"], "ta@example.com");
    assert_eq!(admins.body["items"][0]["role"], "org_admin");
    // The initial team stays the initial team.
    assert_eq!(org.body["initial_team_id"], p.team.as_str());
}

async fn r2_only_the_initial_teams_admin_creates_before_establishment(app: TestApp) {
    let p = app
        .provision("Support", "email", "ta@example.com", "enterprise", 10)
        .await;
    let ta = app.sign_in("ta@example.com").await;
    let r = app
        .add_users(&p.org, &ta, &p.team, "member", &["agent@example.com"], None)
        .await;
    r.ok();
    let agent = app.sign_in("agent@example.com").await;
    let body = json!({"name": "Sales", "login_type": "email", "organization_name": "Acme"});
    app.post(&format!("/api/v1/orgs/{}/teams", p.org), &agent, body)
        .await
        .problem(403, "forbidden");
    let org = app.get(&format!("/api/v1/orgs/{}", p.org), &ta).await;
    assert_eq!(org.ok()["established"], false);
}

async fn r3_team_names_are_unique_ignoring_case(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let r = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "  SALES eu ", "login_type": "email"}),
        )
        .await;
    let detail = r.problem(409, "team_name_taken");
    assert!(detail.contains("SALES eu"));
    let r = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Sales US", "login_type": "device", "description": "Phones"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["name"], "Sales US");
    assert_eq!(r.body["login_type"], "device");
    // Renaming onto another team's name is refused too.
    let id = r.body["id"].as_str().unwrap();
    app.patch(
        &org.path(&format!("/teams/{id}")),
        &org.admin,
        json!({"name": "sales eu"}),
    )
    .await
    .problem(409, "team_name_taken");
    let list = app.get(&org.path("/teams"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 3);
}

async fn r3_team_names_logins_and_descriptions_are_validated(app: TestApp) {
    let org = app.org().seats(10).established().await;
    for (body, field) in [
        (json!({"name": "", "login_type": "email"}), "name"),
        (
            json!({"name": "x".repeat(101), "login_type": "email"}),
            "name",
        ),
        (json!({"name": "Ok", "login_type": "sms"}), "login_type"),
        (
            json!({"name": "Ok", "login_type": "email", "description": "d".repeat(501)}),
            "description",
        ),
    ] {
        let r = app.post(&org.path("/teams"), &org.admin, body).await;
        r.problem(422, "validation_failed");
        assert_eq!(r.body["field"], field);
    }
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"login_type": "email"}),
    )
    .await
    .problem(422, "validation_failed");
    let list = app.get(&org.path("/teams"), &org.admin).await;
    assert_eq!(
        list.ok()["items"].as_array().unwrap().len(),
        2,
        "nothing was created"
    );
}

async fn teams_are_edited_and_deleted_only_when_empty(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let team = org.path(&format!("/teams/{}", org.second_team));
    let r = app
        .patch(
            &team,
            &org.admin,
            json!({"name": "Sales Europe", "description": "EMEA"}),
        )
        .await;
    assert_eq!(r.ok()["name"], "Sales Europe");
    assert_eq!(r.body["description"], "EMEA");
    assert_eq!(r.body["login_type"], "email");
    app.patch(&team, &org.admin, json!({}))
        .await
        .problem(422, "validation_failed");
    org.add(&app, &["a@example.com"])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await
        .ok();
    let detail = app
        .delete(&team, &org.admin)
        .await
        .problem(409, "team_not_empty");
    assert!(detail.contains("1 member"));
    let user = app
        .get(&org.path("/users?q=a@example.com"), &org.admin)
        .await
        .ok()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    assert_eq!(app.delete(&team, &org.admin).await.status, 204);
    app.get(&team, &org.admin).await.problem(404, "not_found");
    // The initial team is there forever.
    app.delete(
        &org.path(&format!("/teams/{}", org.initial_team)),
        &org.admin,
    )
    .await
    .problem(409, "initial_team");
}

async fn team_list_shows_plan_and_seats_used(app: TestApp) {
    let org = app.org().seats(10).established().await;
    org.add(&app, &["a@example.com", "b@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await
        .ok();
    let list = app.get(&org.path("/teams"), &org.admin).await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    let initial = items
        .iter()
        .find(|t| t["id"] == org.initial_team.as_str())
        .unwrap();
    assert_eq!(initial["plan"], "enterprise");
    assert_eq!(initial["seats_used"], 3, "admin + 2");
    assert_eq!(initial["member_count"], 3);
    let second = items
        .iter()
        .find(|t| t["id"] == org.second_team.as_str())
        .unwrap();
    assert_eq!(second["plan"], serde_json::Value::Null);
    assert_eq!(second["seats_used"], 0);
    // One team, as `GET /teams/{id}` answers it.
    let team = app
        .get(
            &org.path(&format!("/teams/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    insta::assert_json_snapshot!(org.redact(team.ok()), @r#"
    {
      "created_at": "[time]",
      "description": null,
      "id": "[initial team]",
      "is_initial_team": true,
      "login_type": "email",
      "member_count": 3,
      "name": "Support",
      "plan": "enterprise",
      "reserved_seats": null,
      "seats_used": 3,
      "subscription_id": "[subscription]"
    }
    "#);
}

async fn r3_invisible_and_look_alike_names_are_refused(app: TestApp) {
    let org = app.org().seats(10).established().await;
    for name in [
        "\u{200B}",
        "Support\u{200B}",
        "Sales\u{202E}UE",
        "\u{2066}X",
    ] {
        let r = app
            .post(
                &org.path("/teams"),
                &org.admin,
                json!({"name": name, "login_type": "email"}),
            )
            .await;
        r.problem(422, "validation_failed");
        assert_eq!(r.body["field"], "name");
    }
    // Full-width letters fold into the name they look like: a duplicate.
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "Ｓｕｐｐｏｒｔ", "login_type": "email"}),
    )
    .await
    .problem(409, "team_name_taken");
    let r = org
        .add(
            &app,
            &[
                "ann\u{200B}@example.com",
                "ann@pаypal.com",
                "ann@example.com",
            ],
        )
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    let outcomes: Vec<&str> = r.ok()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["invalid", "invalid", "added"]);
    let domains: Vec<String> = (0..101).map(|i| format!("d{i}.example.com")).collect();
    let r = app.post(&org.path("/sso-policies"), &org.admin, json!({"name": "Okta", "issuer": "https://idp.example.com",
        "client_id": "c", "client_secret": "s", "allowed_domains": domains, "team_ids": [org.second_team]})).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["field"], "allowed_domains");
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    assert_eq!(
        teams.ok()["items"].as_array().unwrap().len(),
        2,
        "nothing was created"
    );
}

/// R3: a team's login type is fixed when it is created: an edit that names one is refused whole
/// (the name sent with it is not taken either), and the team signs in as before.
async fn r3_a_team_s_login_type_never_changes(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let path = org.path(&format!("/teams/{}", org.second_team));
    let before = app.get(&path, &org.admin).await.ok().clone();
    assert_eq!(before["login_type"], "email");
    for body in [
        json!({"login_type": "device"}),
        json!({"name": "Renamed", "login_type": "device"}),
    ] {
        let r = app.patch(&path, &org.admin, body.clone()).await;
        assert_eq!(r.status.as_u16(), 422, "{body}: {}", r.text);
        assert_eq!(r.body["field"], "login_type", "{}", r.text);
    }
    assert_eq!(app.get(&path, &org.admin).await.ok(), &before);
}

db_tests!(
    r3_a_team_s_login_type_never_changes,
    r2_second_team_requires_org_name_and_establishes_org,
    r2_only_the_initial_teams_admin_creates_before_establishment,
    r3_team_names_are_unique_ignoring_case,
    r3_team_names_logins_and_descriptions_are_validated,
    teams_are_edited_and_deleted_only_when_empty,
    team_list_shows_plan_and_seats_used,
    r3_invisible_and_look_alike_names_are_refused
);
