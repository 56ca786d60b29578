//! R9, R10: org roles and the last Org Admin.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn r9_assigning_by_email_adds_to_the_initial_team(app: TestApp) {
    let org = app.org().seats(2).established().await; // one seat left after the admin
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "New.Analyst@example.com", "role": "org_analyst"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["email"], "new.analyst@example.com");
    assert_eq!(r.body["added_to_initial_team"], true);
    assert_eq!(r.body["app_access"], true, "a seat was free");
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "second@example.com", "role": "org_admin"}),
        )
        .await;
    assert_eq!(r.ok()["app_access"], false, "no seat was free");
    let user = r.body["user_id"].as_str().unwrap();
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["org_role"], "org_admin");
    assert_eq!(
        u.body["memberships"][0]["team_id"],
        org.initial_team.as_str()
    );
    assert_eq!(u.body["memberships"][0]["app_access"], false);
    // A member of another team keeps their memberships and gains only the role.
    org.add(&app, &["m@example.com"])
        .to(&org.second_team)
        .as_member()
        .await
        .ok();
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "m@example.com", "role": "org_analyst"}),
        )
        .await;
    assert_eq!(r.ok()["added_to_initial_team"], false);
    let list = app.get(&org.path("/admins"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 4);
}

async fn r9_at_most_one_org_role_per_user(app: TestApp) {
    let org = app.org().seats(10).established().await;
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "xavier.role@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    let detail = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "xavier.role@example.com", "role": "org_admin"}),
        )
        .await
        .problem(409, "org_role_exists");
    assert!(detail.contains("org_analyst"));
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "y@example.com", "role": "owner"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "nope", "role": "org_admin"}),
    )
    .await
    .problem(422, "validation_failed");
    // Changing a role in place works.
    let u = app
        .get(&org.path("/users?q=xavier.role@example.com"), &org.admin)
        .await
        .ok()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .patch(
            &org.path(&format!("/admins/{u}")),
            &org.admin,
            json!({"role": "org_admin"}),
        )
        .await;
    assert_eq!(r.ok()["role"], "org_admin");
    assert_eq!(
        app.delete(&org.path(&format!("/admins/{u}")), &org.admin)
            .await
            .status,
        204
    );
    let u2 = app.get(&org.path(&format!("/users/{u}")), &org.admin).await;
    assert_eq!(
        u2.ok()["org_role"],
        serde_json::Value::Null,
        "revoked, still a member"
    );
}

async fn r10_last_org_admin_is_protected_on_every_route(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let me = &org.admin_user;
    let routes = [
        app.patch(
            &org.path(&format!("/admins/{me}")),
            &org.admin,
            json!({"role": "org_analyst"}),
        )
        .await,
        app.delete(&org.path(&format!("/admins/{me}")), &org.admin)
            .await,
        app.delete(&org.path(&format!("/users/{me}")), &org.admin)
            .await,
        app.delete(
            &org.path(&format!("/users/{me}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await,
    ];
    for r in routes {
        let detail = r.problem(409, "last_org_admin");
        assert!(detail.contains("last Org Admin"));
    }
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert_eq!(admins.ok()["items"][0]["user_id"], me.as_str());
    // With a second admin, the first may step down.
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "two@example.com", "role": "org_admin"}),
    )
    .await
    .ok();
    let r = app
        .patch(
            &org.path(&format!("/admins/{me}")),
            &org.admin,
            json!({"role": "org_analyst"}),
        )
        .await;
    assert_eq!(r.ok()["role"], "org_analyst");
}

async fn r10_concurrent_removals_leave_one_admin(app: TestApp) {
    let org = app.org().seats(50).established().await;
    let mut admins = vec![(org.admin_user.clone(), org.admin.clone())];
    for i in 0..4 {
        let email = format!("admin{i}@example.com");
        let r = app
            .post(
                &org.path("/admins"),
                &org.admin,
                json!({"email": email, "role": "org_admin"}),
            )
            .await;
        let id = r.ok()["user_id"].as_str().unwrap().to_owned();
        admins.push((id, app.sign_in(&email).await));
    }
    // Every admin demotes, revokes or removes every admin, all at once.
    let mut calls = Vec::new();
    for (i, (_, token)) in admins.iter().enumerate() {
        for (target, _) in &admins {
            let (app, org, token, target) = (&app, &org, token.clone(), target.clone());
            calls.push(async move {
                match i % 3 {
                    0 => {
                        app.patch(
                            &org.path(&format!("/admins/{target}")),
                            &token,
                            json!({"role": "org_analyst"}),
                        )
                        .await
                    }
                    1 => {
                        app.delete(&org.path(&format!("/admins/{target}")), &token)
                            .await
                    }
                    _ => {
                        app.delete(&org.path(&format!("/users/{target}")), &token)
                            .await
                    }
                }
            });
        }
    }
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.status.as_u16() < 500), "no 5xx");
    assert!(results.iter().any(|r| r.body["code"] == "last_org_admin"));
    let mut c = app.store.read().await.unwrap();
    let n = switchboard_store::people::count_org_role(
        &mut c,
        &crate::helpers::typed(&org.id),
        switchboard_domain::role::OrgRole::OrgAdmin,
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "exactly one Org Admin is left");
    assert_eq!(
        app.broken_audit_entry(&org.id).await,
        None,
        "the audit chain stayed intact"
    );
}

db_tests!(
    r9_assigning_by_email_adds_to_the_initial_team,
    r9_at_most_one_org_role_per_user,
    r10_last_org_admin_is_protected_on_every_route,
    r10_concurrent_removals_leave_one_admin
);
