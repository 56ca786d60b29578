//! R5, R13, R14: each membership with its own role and app access; no subscription, no app
//! access; a reserved team capped at its reservation.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn r5_memberships_have_their_own_role_and_access(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = org
        .add(&app, &["bo@example.com"])
        .to(&org.initial_team)
        .as_team_admin()
        .with_access()
        .await;
    let user = TestApp::user_id_in(&r, "bo@example.com");
    let r = app
        .post(
            &org.path(&format!("/users/{user}/memberships")),
            &org.admin,
            json!({"team_id": org.second_team, "team_role": "member", "app_access": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    // Each membership with its own team role and app access.
    insta::assert_json_snapshot!(org.redact(u.ok()), @r#"
    {
      "email": "bo@example.com",
      "id": "[usr 1]",
      "invited_at": "[time]",
      "last_active": null,
      "memberships": [
        {
          "app_access": true,
          "team_id": "[initial team]",
          "team_name": "Support",
          "team_role": "team_admin"
        },
        {
          "app_access": false,
          "team_id": "[second team]",
          "team_name": "Sales EU",
          "team_role": "member"
        }
      ],
      "name": null,
      "org_role": null,
      "status": "not_signed_in"
    }
    "#);
    // Editing one leaves the other alone.
    let r = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
            json!({"team_role": "member", "app_access": false}),
        )
        .await;
    assert_eq!(r.ok()["team_role"], "member");
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let m2 = u.ok()["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["team_id"] == org.second_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(m2["team_role"], "member");
    // A second membership in the same team is a conflict; an unknown role is invalid.
    app.post(
        &org.path(&format!("/users/{user}/memberships")),
        &org.admin,
        json!({"team_id": org.second_team, "team_role": "member"}),
    )
    .await
    .problem(409, "already_member");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
        json!({"team_role": "boss"}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn r13_no_subscription_no_app_access(app: TestApp) {
    let org = app.org().seats(20).established().await;
    // The second team is not covered by a subscription: access defaults off and can't be turned on.
    let r = org
        .add(&app, &["fi@example.com"])
        .to(&org.second_team)
        .as_member()
        .await;
    let user = TestApp::user_id_in(&r, "fi@example.com");
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    assert_eq!(u.ok()["memberships"][0]["app_access"], false);
    let detail = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
            &org.admin,
            json!({"app_access": true}),
        )
        .await
        .problem(409, "seat_limit_reached");
    assert!(detail.contains("not covered by a subscription"));
    org.add(&app, &["gi@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .problem(409, "seat_limit_reached");
}

async fn r14_reserved_team_is_capped(app: TestApp) {
    let org = app.org().seats(10).established().await;
    app.cover_team(&org.id, &org.second_team, &org.subscription, Some(1))
        .await;
    org.add(&app, &["h1@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let r = org
        .add(&app, &["h2@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await;
    let detail = r.problem(409, "seat_limit_reached");
    assert!(
        detail.starts_with("Team Sales EU has reached its allocated seat limit (1)"),
        "{detail}"
    );
    insta::assert_json_snapshot!(org.redact(&r.body), @r#"
    {
      "code": "seat_limit_reached",
      "detail": "Team Sales EU has reached its allocated seat limit (1): 1 seat(s) needed, 0 free. 8 seat(s) are free elsewhere in the subscription; raise the team's reservation or turn app access off for someone.",
      "status": 409,
      "title": "Conflict",
      "type": "https://switchboard.dev/problems/seat-limit-reached"
    }
    "#);
}

db_tests!(
    r5_memberships_have_their_own_role_and_access,
    r13_no_subscription_no_app_access,
    r14_reserved_team_is_capped,
);
