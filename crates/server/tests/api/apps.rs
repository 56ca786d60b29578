//! The app API: sign-in into one membership, devices enrolled with keys, and the entitlement
//! answer — its ETag, its refusals, and its freshness across server instances.

use crate::db_tests;
use crate::freshness::eventually;
use crate::helpers::{Resp, TestApp};
use reqwest::Method;
use serde_json::json;

pub(crate) async fn app_sign_in(app: &TestApp, email: &str, team: Option<&str>) -> Resp {
    let r = app
        .call(
            Method::POST,
            "/app/v1/sign-in/email/start",
            None,
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let code = app.last_code(email).await.unwrap();
    let mut body = json!({"email": email, "code": code});
    if let Some(t) = team {
        body["team_id"] = json!(t);
    }
    app.call(
        Method::POST,
        "/app/v1/sign-in/email/verify",
        None,
        Some(body),
    )
    .await
}

pub(crate) async fn entitlement(app: &TestApp, token: &str, etag: Option<&str>) -> Resp {
    let mut req = app
        .client
        .get(format!("{}/app/v1/entitlement", app.base))
        .bearer_auth(token);
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

async fn app_sign_in_binds_one_membership_and_answers_the_entitlement(app: TestApp) {
    let org = app.established_org(10).await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["agent@example.com"],
        Some(true),
    )
    .await
    .ok();
    let s = app_sign_in(&app, "agent@example.com", None).await;
    assert_eq!(s.ok()["team_id"], org.initial_team.as_str());
    let token = s.body["token"].as_str().unwrap().to_owned();
    let e = entitlement(&app, &token, None).await;
    assert_eq!(e.ok()["team"]["id"], org.initial_team.as_str());
    assert_eq!(e.body["org"]["name"], "Acme");
    assert_eq!(e.body["subject"]["kind"], "user");
    assert_eq!(e.body["subject"]["email"], "agent@example.com");
    assert_eq!(
        (e.body["app_access"].clone(), e.body["seat"].clone()),
        (json!(true), json!("held"))
    );
    assert_eq!(e.body["settings"]["outbound_noise_cancellation"], true);
    assert!(
        e.body.get("policy_version").is_none(),
        "no organization version in the body"
    );
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

async fn entitlement_reflects_every_change_on_any_instance(app: TestApp) {
    let org = app.established_org(10).await;
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["agent@example.com"],
            Some(true),
        )
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
    let org = app.established_org(20).await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["agent@example.com"],
        Some(true),
    )
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
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["else@example.com"],
        None,
    )
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

async fn users_in_several_teams_choose_one(app: TestApp) {
    let org = app.established_org(10).await;
    app.allocate_team(&org, &org.second_team).await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["two@example.com"],
        Some(true),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["two@example.com"],
        Some(true),
    )
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

async fn devices_enroll_with_keys_and_hold_seats(app: TestApp) {
    let org = app.established_org(3).await; // admin holds 1
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{dev}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    let k = app.post(&keys, &org.admin, json!({"max_uses": 5})).await;
    assert_eq!(k.status, 201, "{}", k.text);
    let key = k.body["key"].as_str().unwrap().to_owned();
    let key_id = k.body["id"].as_str().unwrap().to_owned();
    let list = app.get(&keys, &org.admin).await;
    assert!(
        list.ok()["items"][0].get("key").is_none(),
        "the key is shown once"
    );
    let app = &app;
    let enroll = |name: &str, key: &str| {
        let body = json!({"enrollment_key": key, "device_name": name});
        async move {
            app.call(Method::POST, "/app/v1/devices/enroll", None, Some(body))
                .await
        }
    };
    let d1 = enroll("PC-01", &key).await;
    assert_eq!(d1.status, 201, "{}", d1.text);
    let token = d1.body["token"].as_str().unwrap().to_owned();
    let e = entitlement(app, &token, None).await;
    assert_eq!(
        (
            e.ok()["subject"]["kind"].clone(),
            e.body["subject"]["name"].clone()
        ),
        (json!("device"), json!("PC-01"))
    );
    enroll("PC-02", &key).await.ok();
    // The pool (3) is full: the third device is refused by the seat check.
    enroll("PC-03", &key)
        .await
        .problem(409, "seat_limit_reached");
    let teams = app
        .get(&org.path(&format!("/teams/{dev}")), &org.admin)
        .await;
    assert_eq!(teams.ok()["seats_used"], 2);
    // Rename, then remove: the seat is free and the token stops working.
    let devices = app
        .get(&org.path(&format!("/teams/{dev}/devices")), &org.admin)
        .await;
    let d1_id = d1.body["device_id"].as_str().unwrap();
    assert_eq!(devices.ok()["items"].as_array().unwrap().len(), 2);
    let r = app
        .patch(
            &org.path(&format!("/teams/{dev}/devices/{d1_id}")),
            &org.admin,
            json!({"name": "PC-01 (window)"}),
        )
        .await;
    assert_eq!(r.ok()["name"], "PC-01 (window)");
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/devices/{d1_id}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    entitlement(app, &token, None)
        .await
        .problem(401, "unauthorized");
    enroll("PC-03", &key).await.ok();
    // Revoked, used-up and expiring keys.
    assert_eq!(
        app.delete(&format!("{keys}/{key_id}"), &org.admin)
            .await
            .status,
        204
    );
    let detail = enroll("PC-04", &key)
        .await
        .problem(403, "enrollment_key_invalid");
    assert!(detail.contains("revoked"));
    app.patch(
        &format!("/operator/v1/subscriptions/{}", org.subscription),
        crate::helpers::OPERATOR_TOKEN,
        json!({"seats": 10}),
    )
    .await
    .ok();
    let once = app
        .post(&keys, &org.admin, json!({"max_uses": 1}))
        .await
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    enroll("PC-05", &once).await.ok();
    assert!(
        enroll("PC-06", &once)
            .await
            .problem(403, "enrollment_key_invalid")
            .contains("used up")
    );
    enroll("PC-07", "sbk_unknown")
        .await
        .problem(403, "enrollment_key_invalid");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::milliseconds(300))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let brief = app
        .post(&keys, &org.admin, json!({"expires_at": soon}))
        .await
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(
        enroll("PC-08", &brief)
            .await
            .problem(403, "enrollment_key_invalid")
            .contains("expired")
    );
    app.post(
        &keys,
        &org.admin,
        json!({"expires_at": "2001-01-01T00:00:00Z"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(&keys, &org.admin, json!({"max_uses": 0}))
        .await
        .problem(422, "validation_failed");
    // A team with enrolled devices can't be deleted.
    app.delete(&org.path(&format!("/teams/{dev}")), &org.admin)
        .await
        .problem(409, "team_not_empty");
    // Enrollment keys are for device teams only.
    app.post(
        &org.path(&format!("/teams/{}/enrollment-keys", org.initial_team)),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    crate::billing::assert_never_oversold(app, &org).await;
}

async fn team_admins_manage_their_own_devices_only(app: TestApp) {
    let org = app.established_org(5).await;
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    app.add_users(
        &org.id,
        &org.admin,
        &dev,
        "team_admin",
        &["lead@example.com"],
        None,
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "team_admin",
        &["other@example.com"],
        None,
    )
    .await
    .ok();
    let lead = app.sign_in("lead@example.com").await;
    let other = app.sign_in("other@example.com").await;
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    assert_eq!(app.post(&keys, &lead, json!({})).await.status, 201);
    app.post(&keys, &other, json!({}))
        .await
        .problem(403, "forbidden");
    // No body at all means no expiry and no use limit.
    let bare = app.call(Method::POST, &keys, Some(&lead), None).await;
    assert_eq!(bare.status, 201, "{}", bare.text);
    assert_eq!(
        (
            bare.body["expires_at"].clone(),
            bare.body["max_uses"].clone()
        ),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    app.get(&org.path(&format!("/teams/{dev}/devices")), &other)
        .await
        .problem(403, "forbidden");
}

db_tests!(
    app_sign_in_binds_one_membership_and_answers_the_entitlement,
    entitlement_reflects_every_change_on_any_instance,
    entitlement_etag_moves_only_when_the_subjects_answer_does,
    users_in_several_teams_choose_one,
    devices_enroll_with_keys_and_hold_seats,
    team_admins_manage_their_own_devices_only
);
