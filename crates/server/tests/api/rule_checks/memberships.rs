//! R5–R6: a team membership changes only where it is asked to: editing one of a user's
//! memberships leaves the others as they were, and adding a member again changes nothing.

use super::{assert_never_oversold, audit_log, new_team, seats_used};
use crate::db_tests;
use crate::helpers::{Org, TestApp};
use serde_json::{Value, json};

/// The user's membership in `team` as (team_role, app_access).
async fn membership(app: &TestApp, org: &Org, user: &str, team: &str) -> (Value, Value) {
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let m = u.ok()["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["team_id"] == team)
        .unwrap_or_else(|| panic!("{user} has no membership in {team}: {}", u.text))
        .clone();
    (m["team_role"].clone(), m["app_access"].clone())
}

async fn r5_editing_one_membership_leaves_the_other_unchanged(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let third = new_team(&app, &org, "Retention", "email").await;
    for team in [&org.second_team, &third] {
        app.put(
            &org.path(&format!("/subscriptions/{}/teams/{team}", org.subscription)),
            &org.admin,
            json!({}),
        )
        .await
        .ok();
    }
    // Three memberships, each different from the others:
    //   initial: member / access on   (the one we edit, to team_admin / access off)
    //   second:  member / access off  (a leaked role would show here: team_admin ≠ member)
    //   third:   team_admin / access on (a leaked access would show here: off ≠ on)
    let r = org
        .add(&app, &["bo@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    let user = TestApp::user_id_in(&r, "bo@example.com");
    org.add(&app, &["bo@example.com"])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await
        .ok();
    org.add(&app, &["bo@example.com"])
        .to(&third)
        .as_team_admin()
        .with_access()
        .await
        .ok();
    assert_eq!(
        membership(&app, &org, &user, &org.initial_team).await,
        (json!("member"), json!(true))
    );
    assert_eq!(
        membership(&app, &org, &user, &org.second_team).await,
        (json!("member"), json!(false))
    );
    assert_eq!(
        membership(&app, &org, &user, &third).await,
        (json!("team_admin"), json!(true))
    );
    let seats_before = (
        seats_used(&app, &org, &org.initial_team).await,
        seats_used(&app, &org, &org.second_team).await,
        seats_used(&app, &org, &third).await,
    );

    let r = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
            json!({"team_role": "team_admin", "app_access": false}),
        )
        .await;
    assert_eq!(
        (r.ok()["team_role"].clone(), r.body["app_access"].clone()),
        (json!("team_admin"), json!(false))
    );

    assert_eq!(
        membership(&app, &org, &user, &org.initial_team).await,
        (json!("team_admin"), json!(false))
    );
    assert_eq!(
        membership(&app, &org, &user, &org.second_team).await,
        (json!("member"), json!(false)),
        "the second membership kept its role"
    );
    assert_eq!(
        membership(&app, &org, &user, &third).await,
        (json!("team_admin"), json!(true)),
        "the third membership kept its app access"
    );
    // Only the edited team's seat count moved.
    assert_eq!(
        (
            seats_used(&app, &org, &org.initial_team).await,
            seats_used(&app, &org, &org.second_team).await,
            seats_used(&app, &org, &third).await,
        ),
        (seats_before.0 - 1, seats_before.1, seats_before.2)
    );
    // The other way round: editing the third leaves the (now different) first alone.
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{third}")),
        &org.admin,
        json!({"team_role": "member"}),
    )
    .await
    .ok();
    assert_eq!(
        membership(&app, &org, &user, &third).await,
        (json!("member"), json!(true))
    );
    assert_eq!(
        membership(&app, &org, &user, &org.initial_team).await,
        (json!("team_admin"), json!(false)),
        "an edit of one field leaves the other membership's fields alone"
    );
    assert_eq!(
        membership(&app, &org, &user, &org.second_team).await,
        (json!("member"), json!(false))
    );
    assert_never_oversold(&app, &org).await;
}

async fn r6_re_adding_a_member_leaves_the_membership_unchanged(app: TestApp) {
    let org = app.org().seats(3).established().await; // the admin holds one seat
    let r = org
        .add(&app, &["old@example.com"])
        .to(&org.initial_team)
        .as_team_admin()
        .with_access()
        .await;
    let old = TestApp::user_id_in(&r, "old@example.com");
    let r = org
        .add(&app, &["quiet@example.com"])
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    let quiet = TestApp::user_id_in(&r, "quiet@example.com");
    let log_before = audit_log(&app, &org).await.len();
    let seats_before = seats_used(&app, &org, &org.initial_team).await;
    assert_eq!(seats_before, 2);

    // Re-added with the other role and the other access: reported, left as it was.
    let r = org
        .add(&app, &["OLD@example.com"])
        .to(&org.initial_team)
        .as_member()
        .without_access()
        .await;
    assert_eq!(
        r.ok()["results"][0]["outcome"],
        "already_member",
        "{}",
        r.text
    );
    assert_eq!(r.body["results"][0]["user_id"], old.as_str());
    assert_eq!(
        (r.body["added"].clone(), r.body["already_member"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(
        membership(&app, &org, &old, &org.initial_team).await,
        (json!("team_admin"), json!(true))
    );

    // With access asked on, for someone whose access is off, while one seat is free.
    let r = org
        .add(&app, &["quiet@example.com"])
        .to(&org.initial_team)
        .as_team_admin()
        .with_access()
        .await;
    assert_eq!(
        r.ok()["results"][0]["outcome"],
        "already_member",
        "{}",
        r.text
    );
    assert_eq!(
        membership(&app, &org, &quiet, &org.initial_team).await,
        (json!("member"), json!(false))
    );
    assert_eq!(
        seats_used(&app, &org, &org.initial_team).await,
        seats_before,
        "no seat was taken"
    );

    // Mixed with a new email: the new one is added with the batch's role and access, the
    // existing ones keep theirs.
    let r = org
        .add(
            &app,
            &["new@example.com", "old@example.com", "quiet@example.com"],
        )
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    let outcomes: Vec<&str> = r.ok()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["added", "already_member", "already_member"]);
    let new = TestApp::user_id_in(&r, "new@example.com");
    assert_eq!(
        membership(&app, &org, &new, &org.initial_team).await,
        (json!("member"), json!(true))
    );
    assert_eq!(
        membership(&app, &org, &old, &org.initial_team).await,
        (json!("team_admin"), json!(true))
    );
    assert_eq!(
        membership(&app, &org, &quiet, &org.initial_team).await,
        (json!("member"), json!(false))
    );
    // The pool is full now: re-adding members needs no seat, so it is not refused.
    let r = org
        .add(&app, &["old@example.com", "new@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    assert_eq!(r.ok()["already_member"], 2, "{}", r.text);
    assert_eq!(seats_used(&app, &org, &org.initial_team).await, 3);
    // Two batches changed something, one entry each; the batches that added nobody wrote none.
    let log = audit_log(&app, &org).await;
    let new_actions: Vec<&str> = log[log_before..]
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(new_actions, vec!["membership.bulk_add"]);
    assert_eq!(log.last().unwrap()["after"]["user_ids"], json!([new]));
    assert_never_oversold(&app, &org).await;
}

/// An active user created through SCIM; their id.
async fn scim_user(app: &TestApp, token: &str, email: &str) -> String {
    let (s, created) = crate::scim::scim(
        app,
        token,
        "POST",
        "/Users",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email, "emails": [{"primary": true, "value": email}], "active": true}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// An organization whose initial team signs in by device, established, with a `scim` token.
async fn device_first_org(app: &TestApp) -> (Org, String) {
    let admin_email = format!("{}.admin@example.com", crate::helpers::unique("dev"));
    let p = app
        .provision("Floor 3", "device", &admin_email, "enterprise", 10)
        .await;
    let admin = app.sign_in(&admin_email).await;
    let r = app
        .post(
            &format!("/api/v1/orgs/{}/teams", p.org),
            &admin,
            json!({"name": "Sales EU", "login_type": "email", "organization_name": "Acme"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let org = Org {
        id: p.org,
        initial_team: p.team,
        second_team: r.body["id"].as_str().unwrap().to_owned(),
        subscription: p.subscription,
        admin,
        admin_email,
        admin_user: p.admin_user,
    };
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "IdP", "scopes": ["scim"]}),
        )
        .await;
    let token = r.ok()["token"].as_str().unwrap().to_owned();
    (org, token)
}

/// R5, R13: an active SCIM user joins the initial team; when that team signs in by device, its
/// seats are the devices', so the person gets no app access there (and takes no seat).
async fn r13_scim_gives_no_app_access_in_a_device_login_initial_team(app: TestApp) {
    let (org, token) = device_first_org(&app).await;
    let email = "ines.scim@acme.example";
    let user = scim_user(&app, &token, email).await;
    let (role, access) = membership(&app, &org, &user, &org.initial_team).await;
    assert_eq!((role, access), (json!("member"), json!(false)));
    assert_eq!(seats_used(&app, &org, &org.initial_team).await, 0);
    assert_never_oversold(&app, &org).await;
}

/// R13 again through SCIM groups: a person removed from their only group goes back to the
/// initial team, with a seat only where people hold seats — never in a device-login team.
async fn r13_a_person_sent_back_to_a_device_login_initial_team_holds_no_seat(app: TestApp) {
    let (org, token) = device_first_org(&app).await;
    let path = format!(
        "/subscriptions/{}/teams/{}",
        org.subscription, org.second_team
    );
    app.put(&org.path(&path), &org.admin, json!({})).await.ok();
    let email = "joao.scim@acme.example";
    let user = scim_user(&app, &token, email).await;
    let (s, group) = crate::scim::scim(
        &app,
        &token,
        "POST",
        "/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Retention", "members": [{"value": user}]}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{group}");
    let team = group["id"].as_str().unwrap().to_owned();
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{team}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    // Their seat comes with the group's team once it is covered; then they leave the initial
    // team, so the group is their only team.
    let r = app
        .patch(
            &org.path(&format!("/users/{user}/memberships/{team}")),
            &org.admin,
            json!({"app_access": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let (s, body) = crate::scim::scim(
        &app,
        &token,
        "PUT",
        &format!("/Groups/{team}"),
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Retention", "members": []}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (_, access) = membership(&app, &org, &user, &org.initial_team).await;
    assert_eq!(access, json!(false));
    assert_eq!(seats_used(&app, &org, &org.initial_team).await, 0);
    assert_eq!(seats_used(&app, &org, &team).await, 0);
    assert_never_oversold(&app, &org).await;
}

/// Each team's seats held.
async fn seats_of(app: &TestApp, org: &Org, teams: &[String]) -> Vec<i64> {
    let mut out = Vec::new();
    for t in teams {
        out.push(seats_used(app, org, t).await);
    }
    out
}

/// R27: SCIM's `active` moves app access in every team of the person, not only the first one:
/// off frees each seat, on takes each back.
async fn r27_scim_active_moves_app_access_in_every_team(app: TestApp) {
    let (org, token) = crate::scim::scim_org(&app, 20).await;
    let third = new_team(&app, &org, "Retention", "email").await;
    for team in [&org.second_team, &third] {
        let path = format!("/subscriptions/{}/teams/{team}", org.subscription);
        app.put(&org.path(&path), &org.admin, json!({})).await.ok();
    }
    let email = "kai.scim@acme.example";
    let user = scim_user(&app, &token, email).await;
    let teams = [org.initial_team.clone(), org.second_team.clone(), third];
    for team in &teams[1..] {
        let r = app
            .post(
                &org.path(&format!("/users/{user}/memberships")),
                &org.admin,
                json!({"team_id": team, "team_role": "member", "app_access": true}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }
    let held = seats_of(&app, &org, &teams).await;
    for active in [false, true] {
        let (s, body) = crate::scim::scim(
            &app,
            &token,
            "PATCH",
            &format!("/Users/{user}"),
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": active}}]}),
            ),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        for team in &teams {
            let (_, access) = membership(&app, &org, &user, team).await;
            assert_eq!(access, json!(active), "{team} after active = {active}");
        }
        let now = seats_of(&app, &org, &teams).await;
        let expected: Vec<i64> = held.iter().map(|h| h - i64::from(!active)).collect();
        assert_eq!(now, expected, "seats after active = {active}");
    }
    assert_never_oversold(&app, &org).await;
}

db_tests!(
    r27_scim_active_moves_app_access_in_every_team,
    r5_editing_one_membership_leaves_the_other_unchanged,
    r6_re_adding_a_member_leaves_the_membership_unchanged,
    r13_scim_gives_no_app_access_in_a_device_login_initial_team,
    r13_a_person_sent_back_to_a_device_login_initial_team_holds_no_seat,
);
