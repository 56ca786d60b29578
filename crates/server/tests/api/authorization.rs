//! Authorization beyond the role × route matrix: what a Team Admin may do to the people of their
//! own teams (never to an org-role holder, never a removal from the organization), and that every
//! write decides its permission on the standing that holds when it commits, not when it arrived.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn team_admin_never_changes_an_org_role_holders_membership(app: TestApp) {
    let org = app.org().seats(20).established().await;
    app.cover_team(&org.id, &org.second_team, &org.subscription, None)
        .await;
    org.add(&app, &["lead@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    let lead = app.sign_in("lead@example.com").await;
    for (email, role) in [
        ("boss@example.com", "org_admin"),
        ("watcher@example.com", "org_analyst"),
    ] {
        // An Org Admin (or Analyst) whose only team is the Team Admin's.
        let r = org
            .add(&app, &[email])
            .to(&org.second_team)
            .as_member()
            .with_access()
            .await;
        let user = TestApp::user_id_in(&r, email);
        app.post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": email, "role": role}),
        )
        .await
        .ok();
        let membership = org.path(&format!("/users/{user}/memberships/{}", org.second_team));

        let detail = app
            .delete(&membership, &lead)
            .await
            .problem(403, "forbidden");
        assert!(detail.contains("org role"), "{detail}");
        let detail = app
            .patch(&membership, &lead, json!({"team_role": "team_admin"}))
            .await
            .problem(403, "forbidden");
        assert!(detail.contains("org role"), "{detail}");
        app.patch(&membership, &lead, json!({"app_access": false}))
            .await
            .problem(403, "forbidden");

        // Nothing changed: still in the organization, same role, same membership.
        let u = app
            .get(&org.path(&format!("/users/{user}")), &org.admin)
            .await;
        assert_eq!(u.ok()["org_role"], role);
        let m = &u.body["memberships"][0];
        assert_eq!(
            (m["team_role"].clone(), m["app_access"].clone()),
            (json!("member"), json!(true))
        );
        // An Org Admin may.
        app.patch(&membership, &org.admin, json!({"app_access": false}))
            .await
            .ok();
    }
}

async fn team_admin_never_removes_a_users_last_team(app: TestApp) {
    let org = app.org().seats(20).established().await;
    org.add(&app, &["lead@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    let lead = app.sign_in("lead@example.com").await;
    let r = org
        .add(&app, &["solo@example.com", "both@example.com"])
        .to(&org.second_team)
        .as_member()
        .by(&lead)
        .await;
    let (solo, both) = (
        TestApp::user_id_in(&r, "solo@example.com"),
        TestApp::user_id_in(&r, "both@example.com"),
    );
    app.post(
        &org.path(&format!("/users/{both}/memberships")),
        &org.admin,
        json!({"team_id": org.initial_team, "team_role": "member"}),
    )
    .await
    .ok();

    // The last team: that would remove them from the organization, the Org Admin's alone.
    let detail = app
        .delete(
            &org.path(&format!("/users/{solo}/memberships/{}", org.second_team)),
            &lead,
        )
        .await
        .problem(403, "forbidden");
    assert!(detail.contains("only an Org Admin"), "{detail}");
    app.get(&org.path(&format!("/users/{solo}")), &org.admin)
        .await
        .ok();
    // Not the last team: allowed, and the other membership stays.
    let r = app
        .delete(
            &org.path(&format!("/users/{both}/memberships/{}", org.second_team)),
            &lead,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], false);
    let u = app
        .get(&org.path(&format!("/users/{both}")), &org.admin)
        .await;
    assert_eq!(u.ok()["memberships"].as_array().unwrap().len(), 1);
    // The Org Admin may remove a last team (R7).
    let r = app
        .delete(
            &org.path(&format!("/users/{solo}/memberships/{}", org.second_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], true);
}

async fn a_demotion_racing_a_write_never_lets_the_write_through_after_it(app: TestApp) {
    let org = app.org().seats(20).established().await;
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "racer@example.com", "role": "org_admin"}),
    )
    .await
    .ok();
    let racer_id = app.get(&org.path("/admins"), &org.admin).await.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "racer@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let racer = app.sign_in("racer@example.com").await;
    let (mut refused, mut before) = (0, 0);
    for i in 0..20 {
        let (admin_path, teams_path) =
            (org.path(&format!("/admins/{racer_id}")), org.path("/teams"));
        let demote = app.patch(&admin_path, &org.admin, json!({"role": "org_analyst"}));
        let write = app.post(
            &teams_path,
            &racer,
            json!({"name": format!("Race {i}"), "login_type": "email"}),
        );
        let (d, w) = tokio::join!(demote, write);
        d.ok();
        let log = app.get(&org.path("/audit-log?limit=10"), &org.admin).await;
        let items = log.ok()["items"].as_array().unwrap().clone();
        let seq_of = |action: &str| {
            items
                .iter()
                .find(|e| e["action"] == action)
                .map(|e| e["seq"].as_i64().unwrap())
        };
        let demoted_at = seq_of("org_role.change").expect("the demotion is logged");
        if w.status.is_success() {
            // Allowed only if it committed before the demotion did.
            let created_at = items
                .iter()
                .find(|e| e["action"] == "team.create" && e["target"] == w.body["id"])
                .map(|e| e["seq"].as_i64().unwrap())
                .expect("the creation is logged");
            assert!(
                created_at < demoted_at,
                "a write committed after its author's demotion"
            );
            before += 1;
        } else {
            w.problem(403, "forbidden");
            refused += 1;
        }
        app.patch(
            &org.path(&format!("/admins/{racer_id}")),
            &org.admin,
            json!({"role": "org_admin"}),
        )
        .await
        .ok();
    }
    assert_eq!(before + refused, 20);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(
    team_admin_never_changes_an_org_role_holders_membership,
    team_admin_never_removes_a_users_last_team,
    a_demotion_racing_a_write_never_lets_the_write_through_after_it
);
