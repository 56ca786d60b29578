//! App sign-in: into exactly one membership, chosen by people in several teams, answering the
//! entitlement.

use super::{app_sign_in, entitlement};
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn app_sign_in_binds_one_membership_and_answers_the_entitlement(app: TestApp) {
    let org = app.org().seats(10).established().await;
    org.add(&app, &["agent@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let s = app_sign_in(&app, "agent@example.com", None).await;
    assert_eq!(s.ok()["team_id"], org.initial_team.as_str());
    let token = s.body["token"].as_str().unwrap().to_owned();
    let e = entitlement(&app, &token, None).await;
    // The membership's team and organization, the subject with its seat, the team's effective
    // settings — and no organization version in the body (the ETag carries it).
    insta::assert_json_snapshot!(org.redact(e.ok()), @r#"
    {
      "app_access": true,
      "locked": [],
      "org": {
        "id": "[org]",
        "name": "Acme"
      },
      "seat": "held",
      "settings": {
        "accent_conversion": false,
        "agent_assist": false,
        "agents_can_change_settings": false,
        "auto_update_channel": "stable",
        "background_voice_cancellation": false,
        "call_summary": false,
        "inbound_noise_cancellation": true,
        "live_transcription": false,
        "outbound_noise_cancellation": true,
        "recording_retention_days": 30,
        "usage_analytics": true
      },
      "subject": {
        "email": "agent@example.com",
        "id": "[usr 1]",
        "kind": "user"
      },
      "team": {
        "id": "[initial team]",
        "name": "Support"
      }
    }
    "#);
    let etag = e.headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    let again = entitlement(&app, &token, Some(&etag)).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.headers["etag"].to_str().unwrap(), etag);
    // Status moved to signed in (R11).
    let u = app.get(&org.path("/users?q=agent@"), &org.admin).await;
    assert_eq!(u.ok()["items"][0]["status"], "signed_in");
    // A bad token is a 401.
    entitlement(&app, "sba_nope", None)
        .await
        .problem(401, "unauthorized");
    app.call(Method::GET, "/app/v1/entitlement", None, None)
        .await
        .problem(401, "unauthorized");
}

async fn users_in_several_teams_choose_one(app: TestApp) {
    let org = app.org().seats(10).established().await;
    app.allocate_team(&org, &org.second_team).await;
    org.add(&app, &["two@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    org.add(&app, &["two@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let s = app_sign_in(&app, "two@example.com", None).await;
    assert_eq!(s.ok()["team_id"], serde_json::Value::Null);
    assert_eq!(s.body["teams"].as_array().unwrap().len(), 2);
    let token = s.body["token"].as_str().unwrap().to_owned();
    entitlement(&app, &token, None)
        .await
        .problem(409, "team_choice_required");
    let teams = app.get("/app/v1/teams", &token).await;
    assert_eq!(teams.ok()["items"].as_array().unwrap().len(), 2);
    app.post(
        "/app/v1/teams/team_00000000000000000000000000/select",
        &token,
        json!({}),
    )
    .await
    .problem(404, "not_found");
    let r = app
        .post(
            &format!("/app/v1/teams/{}/select", org.second_team),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["team_id"], org.second_team.as_str());
    assert_eq!(
        entitlement(&app, &token, None).await.ok()["team"]["name"],
        "Sales EU"
    );
    // Someone in no email-login team gets a clear refusal.
    app.provision("Desk", "device", "devices-only@example.com", "business", 3)
        .await;
    app_sign_in(&app, "devices-only@example.com", None)
        .await
        .problem(403, "no_team");
    // Or choose at sign-in.
    let s = app_sign_in(&app, "two@example.com", Some(&org.initial_team)).await;
    assert_eq!(s.ok()["team_id"], org.initial_team.as_str());
}

db_tests!(
    app_sign_in_binds_one_membership_and_answers_the_entitlement,
    users_in_several_teams_choose_one,
);
