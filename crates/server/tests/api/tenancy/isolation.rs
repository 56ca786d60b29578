//! Tenant isolation: another organization's objects answer 404 and change nothing, and Team
//! Admins see and manage only their own teams.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn another_orgs_objects_answer_404_and_change_nothing(app: TestApp) {
    let a = app.org().seats(10).established().await;
    let b = app.org().seats(10).established().await;
    let r = b
        .add(&app, &["bee@example.com"])
        .to(&b.initial_team)
        .as_member()
        .await;
    let b_user = TestApp::user_id_in(&r, "bee@example.com");
    // A's admin reaching into B by B's path, or with B's ids in A's path.
    app.get(&b.path("/teams"), &a.admin)
        .await
        .problem(404, "not_found");
    app.get(&a.path(&format!("/teams/{}", b.initial_team)), &a.admin)
        .await
        .problem(404, "not_found");
    app.get(&a.path(&format!("/users/{b_user}")), &a.admin)
        .await
        .problem(404, "not_found");
    app.delete(&a.path(&format!("/users/{b_user}")), &a.admin)
        .await
        .problem(404, "not_found");
    app.patch(
        &a.path(&format!("/teams/{}", b.second_team)),
        &a.admin,
        json!({"name": "Hijacked"}),
    )
    .await
    .problem(404, "not_found");
    a.add(&app, &["x@example.com"])
        .to(&b.initial_team)
        .as_member()
        .await
        .problem(404, "not_found");
    app.delete(
        &a.path(&format!("/users/{b_user}/memberships/{}", b.initial_team)),
        &a.admin,
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &a.path(&format!("/admins/{}", b.admin_user)),
        &a.admin,
        json!({"role": "org_analyst"}),
    )
    .await
    .problem(404, "not_found");
    // Unknown ids look the same.
    app.get(&a.path("/teams/team_00000000000000000000000000"), &a.admin)
        .await
        .problem(404, "not_found");
    app.get(
        "/api/v1/orgs/org_00000000000000000000000000/teams",
        &a.admin,
    )
    .await
    .problem(404, "not_found");
    app.get(&a.path("/users/not-an-id"), &a.admin)
        .await
        .problem(404, "not_found");
    // Nothing changed in B.
    let teams = app.get(&b.path("/teams"), &b.admin).await;
    assert!(
        teams.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "Hijacked")
    );
    let u = app
        .get(&b.path(&format!("/users/{b_user}")), &b.admin)
        .await;
    assert_eq!(u.ok()["memberships"].as_array().unwrap().len(), 1);
}

async fn team_admins_see_and_manage_only_their_teams(app: TestApp) {
    let org = app.org().seats(20).established().await;
    org.add(&app, &["lead@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    org.add(&app, &["outside@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await
        .ok();
    let lead = app.sign_in("lead@example.com").await;
    let teams = app.get(&org.path("/teams"), &lead).await;
    let items = teams.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], org.second_team.as_str());
    let users = app.get(&org.path("/users"), &lead).await;
    let emails: Vec<&str> = users.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["lead@example.com"]);
    let r = org
        .add(&app, &["newbie@example.com"])
        .to(&org.second_team)
        .as_member()
        .by(&lead)
        .await;
    assert_eq!(r.ok()["added"], 1);
    org.add(&app, &["nope@example.com"])
        .to(&org.initial_team)
        .as_member()
        .by(&lead)
        .await
        .problem(403, "forbidden");
    app.patch(
        &org.path(&format!("/teams/{}", org.second_team)),
        &lead,
        json!({"description": "ours"}),
    )
    .await
    .ok();
    app.get(&org.path("/audit-log"), &lead)
        .await
        .problem(403, "forbidden");
}

db_tests!(
    another_orgs_objects_answer_404_and_change_nothing,
    team_admins_see_and_manage_only_their_teams,
);
