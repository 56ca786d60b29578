//! The entitlement answer: it reflects every change on any server instance, and its ETag moves
//! only when the subject's answer does.

use super::{app_sign_in, entitlement};
use crate::db_tests;
use crate::freshness::eventually;
use crate::helpers::TestApp;
use serde_json::json;

async fn entitlement_reflects_every_change_on_any_instance(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let r = org
        .add(&app, &["agent@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    let user = TestApp::user_id_in(&r, "agent@example.com");
    let token = app_sign_in(&app, "agent@example.com", None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.second_instance().await;
    let first = entitlement(&other, &token, None).await;
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.ok()["locked"], json!([]));
    // A policy applied through instance A is seen by instance B's next request.
    let pol = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Summaries",
        "values": {"call_summary": true}, "team_ids": [org.initial_team]}),
        )
        .await;
    let pol = pol.ok()["id"].as_str().unwrap().to_owned();
    let next = eventually(&other, &token, Some(&etag), |r| r.status == 200).await;
    assert_eq!(next.status, 200, "not a 304: the answer changed");
    assert_eq!(next.body["settings"]["call_summary"], true);
    assert_eq!(next.body["locked"], json!(["call_summary"]));
    // Team settings, policy edits, unapplying: each visible on the other instance within the
    // freshness bound (and on this one at once).
    app.patch(
        &org.path(&format!("/teams/{}/settings", org.initial_team)),
        &org.admin,
        json!({"agent_assist": true}),
    )
    .await
    .ok();
    eventually(&other, &token, None, |r| {
        r.body["settings"]["agent_assist"] == true
    })
    .await;
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"values": {"call_summary": false}}),
    )
    .await
    .ok();
    eventually(&other, &token, None, |r| {
        r.body["settings"]["call_summary"] == false
    })
    .await;
    app.delete(&org.path(&format!("/policies/{pol}")), &org.admin)
        .await;
    eventually(&other, &token, None, |r| r.body["locked"] == json!([])).await;
    // A plan change reaches it too.
    app.patch(
        &format!("/operator/v1/subscriptions/{}", org.subscription),
        crate::helpers::OPERATOR_TOKEN,
        json!({"plan": "starter"}),
    )
    .await
    .ok();
    // Starter lacks agent assist.
    eventually(&other, &token, None, |r| {
        r.status == 200 && r.body["settings"].get("agent_assist").is_none()
    })
    .await;
    // App access off, then the membership removed: clear 403s.
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"app_access": false}),
    )
    .await
    .ok();
    eventually(&other, &token, None, |r| r.status == 403)
        .await
        .problem(403, "app_access_off");
    // The refusal is kept like an answer — and goes when access comes back, at once here and
    // within the bound there.
    entitlement(&app, &token, None)
        .await
        .problem(403, "app_access_off");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"app_access": true}),
    )
    .await
    .ok();
    entitlement(&app, &token, None).await.ok();
    eventually(&other, &token, None, |r| r.status == 200).await;
    app.delete(
        &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
        &org.admin,
    )
    .await
    .ok();
    eventually(&other, &token, None, |r| {
        r.body["code"] == "membership_removed"
    })
    .await
    .problem(403, "membership_removed");
}

async fn entitlement_etag_moves_only_when_the_subjects_answer_does(app: TestApp) {
    let org = app.org().seats(20).established().await;
    org.add(&app, &["agent@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let token = app_sign_in(&app, "agent@example.com", None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.second_instance().await;
    let etag = entitlement(&app, &token, None).await.headers["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    // Unrelated writes in the organization: another team's people, another team's settings.
    app.cover_team(&org.id, &org.second_team, &org.subscription, None)
        .await;
    org.add(&app, &["else@example.com"])
        .to(&org.second_team)
        .as_member()
        .await
        .ok();
    app.patch(
        &org.path(&format!("/teams/{}/settings", org.second_team)),
        &org.admin,
        json!({"agent_assist": true}),
    )
    .await
    .ok();
    app.patch(
        &org.path(&format!("/teams/{}", org.second_team)),
        &org.admin,
        json!({"description": "elsewhere"}),
    )
    .await
    .ok();
    for instance in [&app, &other] {
        let r = entitlement(instance, &token, Some(&etag)).await;
        assert_eq!(
            r.status, 304,
            "an unrelated write left the answer as it was: {}",
            r.text
        );
    }
    // Tags on several `If-None-Match` lines are one list: ours second still matches.
    let r = app
        .client
        .get(format!("{}/app/v1/entitlement", app.base))
        .bearer_auth(&token)
        .header("if-none-match", "\"someone-elses\"")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304, "our tag on a second line");
    // A policy on the subject's own team changes it: at the very next request on the instance
    // that made the change, within the freshness bound on the other.
    app.post(
        &org.path("/policies"),
        &org.admin,
        json!({"name": "Summaries",
        "values": {"call_summary": true}, "team_ids": [org.initial_team]}),
    )
    .await
    .ok();
    let r = entitlement(&app, &token, Some(&etag)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.headers["etag"].to_str().unwrap(), etag);
    let r = eventually(&other, &token, Some(&etag), |r| r.status != 304).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.headers["etag"].to_str().unwrap(), etag);
}

db_tests!(
    entitlement_reflects_every_change_on_any_instance,
    entitlement_etag_moves_only_when_the_subjects_answer_does,
);
