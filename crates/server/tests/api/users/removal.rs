//! R7, R8: removing a user from one team keeps the others, the last membership takes the org role
//! with it, and removing from the organization removes everything at once.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn r7_removing_one_team_keeps_the_others(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = org
        .add(&app, &["cy@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await;
    let user = TestApp::user_id_in(&r, "cy@example.com");
    org.add(&app, &["cy@example.com"])
        .to(&org.second_team)
        .as_member()
        .await
        .ok();
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], false);
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let ms = u.ok()["memberships"].as_array().unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["team_id"], org.initial_team.as_str());
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], true);
    app.get(&org.path(&format!("/users/{user}")), &org.admin)
        .await
        .problem(404, "not_found");
}

async fn r7_last_membership_drops_the_org_role(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "an@example.com", "role": "org_analyst"}),
        )
        .await;
    let user = r.ok()["user_id"].as_str().unwrap().to_owned();
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], true);
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert!(
        admins.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["user_id"] != user.as_str())
    );
    // Added again, they come back without a role.
    org.add(&app, &["an@example.com"])
        .to(&org.second_team)
        .as_member()
        .await
        .ok();
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["org_role"], Value::Null);
}

async fn r8_removing_from_org_removes_everything_at_once(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "dee@example.com", "role": "org_admin"}),
        )
        .await;
    let user = r.ok()["user_id"].as_str().unwrap().to_owned();
    org.add(&app, &["dee@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/users/{user}")), &org.admin)
            .await
            .status,
        204
    );
    app.get(&org.path(&format!("/users/{user}")), &org.admin)
        .await
        .problem(404, "not_found");
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert_eq!(admins.ok()["items"].as_array().unwrap().len(), 1);
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    let second = teams.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == org.second_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(second["member_count"], 0);
}

db_tests!(
    r7_removing_one_team_keeps_the_others,
    r7_last_membership_drops_the_org_role,
    r8_removing_from_org_removes_everything_at_once,
);
