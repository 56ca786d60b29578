//! R21–R23: setting policies override team values (which come back when the policy goes), two
//! policies may not set one key on one team, locked and unavailable keys are refused, and bad
//! policies are refused.

use super::{setting, settings_of};
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn r21_policies_override_and_team_values_come_back(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let team_path = org.path(&format!("/teams/{}/settings", org.initial_team));
    app.patch(
        &team_path,
        &org.admin,
        json!({"outbound_noise_cancellation": false}),
    )
    .await
    .ok();
    let r = app.post(&org.path("/policies"), &org.admin, json!({"name": "Quiet floor",
        "values": {"outbound_noise_cancellation": true, "call_summary": true}, "team_ids": [org.initial_team]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pol = r.body["id"].as_str().unwrap().to_owned();
    assert!(pol.starts_with("pol_"));
    assert_eq!(r.body["team_ids"], json!([org.initial_team]));
    let view = settings_of(&app, &org, &org.initial_team).await;
    let s = setting(&view, "outbound_noise_cancellation");
    assert_eq!(
        (s["value"].clone(), s["locked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(s["source"], "policy");
    assert_eq!(s["policy"], json!({"id": pol, "name": "Quiet floor"}));
    assert_eq!(s["team_value"], false, "the team's own value stays stored");
    // Unapplying brings the team's value back at once.
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"team_ids": [org.second_team]}),
    )
    .await
    .ok();
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["value"],
        false
    );
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["source"],
        "team"
    );
    // Deleting it too.
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"team_ids": [org.initial_team]}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/policies/{pol}")), &org.admin)
            .await
            .status,
        204
    );
    let view = settings_of(&app, &org, &org.initial_team).await;
    assert_eq!(
        setting(&view, "outbound_noise_cancellation")["value"],
        false
    );
    app.get(&org.path(&format!("/policies/{pol}")), &org.admin)
        .await
        .problem(404, "not_found");
}

async fn r22_two_policies_may_not_set_one_key_on_one_team(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let p1 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist on",
        "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
        )
        .await;
    let p1 = p1.ok()["id"].as_str().unwrap().to_owned();
    let detail = app.post(&org.path("/policies"), &org.admin, json!({"name": "Assist off",
        "values": {"agent_assist": false, "call_summary": true}, "team_ids": [org.initial_team, org.second_team]})).await
        .problem(409, "policy_conflict");
    assert!(
        detail.contains("Assist on")
            && detail.contains("agent_assist")
            && detail.contains("Support"),
        "{detail}"
    );
    let p2 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist off",
        "values": {"agent_assist": false}, "team_ids": [org.second_team]}),
        )
        .await;
    let p2 = p2.ok()["id"].as_str().unwrap().to_owned();
    // Applying or editing into a conflict is refused too, naming the other policy.
    let detail = app
        .patch(
            &org.path(&format!("/policies/{p2}")),
            &org.admin,
            json!({"team_ids": [org.second_team, org.initial_team]}),
        )
        .await
        .problem(409, "policy_conflict");
    assert!(detail.contains("Assist on"));
    app.patch(
        &org.path(&format!("/policies/{p1}")),
        &org.admin,
        json!({"team_ids": [org.initial_team, org.second_team]}),
    )
    .await
    .problem(409, "policy_conflict");
    let list = app.get(&org.path("/policies"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 2);
    app.patch(&org.path(&format!("/policies/{p2}")), &org.admin, json!({}))
        .await
        .problem(422, "validation_failed");
}

async fn r23_locked_and_unavailable_keys_are_refused(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let pol = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Compliance",
        "values": {"recording_retention_days": 365}, "team_ids": [org.initial_team]}),
        )
        .await;
    pol.ok();
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    let detail = app
        .patch(&path, &org.admin, json!({"recording_retention_days": 10}))
        .await
        .problem(409, "setting_locked");
    assert!(detail.contains("Compliance"));
    // A team on a plan without a feature: the key is unavailable, and can't be set.
    let p = app
        .provision("Small", "email", "small@example.com", "starter", 3)
        .await;
    let small = app.sign_in("small@example.com").await;
    let view = app
        .get(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
        )
        .await;
    let s = setting(view.ok(), "accent_conversion");
    assert_eq!(
        (s["source"].clone(), s["missing_feature"].clone()),
        (json!("unavailable"), json!("accent_conversion"))
    );
    assert_eq!(s["value"], Value::Null);
    assert_eq!(
        setting(&view.body, "outbound_noise_cancellation")["source"],
        "default"
    );
    let detail = app
        .patch(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
            json!({"accent_conversion": true}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(detail.contains("accent_conversion"));
    // A Team Admin changes unlocked keys of their own team.
    let r = app
        .patch(
            &format!("/api/v1/orgs/{}/teams/{}/settings", p.org, p.team),
            &small,
            json!({"outbound_noise_cancellation": false}),
        )
        .await;
    assert_eq!(
        setting(r.ok(), "outbound_noise_cancellation")["value"],
        false
    );
}

async fn policies_refuse_bad_input(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let other = app.org().seats(5).established().await;
    for (body, status, code) in [
        (
            json!({"name": "", "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}, "team_ids": []}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"warp_drive": true}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": 1}, "team_ids": [org.initial_team]}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}, "team_ids": [other.initial_team]}),
            404,
            "not_found",
        ),
        (
            json!({"name": "P", "values": {"agent_assist": true}}),
            422,
            "validation_failed",
        ),
    ] {
        app.post(&org.path("/policies"), &org.admin, body)
            .await
            .problem(status, code);
    }
    let list = app.get(&org.path("/policies"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 0);
    // Org Analysts read policies but can't change them.
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "an@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    let an = app.sign_in("an@example.com").await;
    app.get(&org.path("/policies"), &an).await.ok();
    app.post(
        &org.path("/policies"),
        &an,
        json!({"name": "P", "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
    )
    .await
    .problem(403, "forbidden");
}

/// R23: a key the team's plan lacks stays unavailable even when a policy sets it — the plan is
/// resolved before the policy (a resolution that asked the policy first would show its value).
async fn r23_unavailable_wins_over_a_policy(app: TestApp) {
    let admin = format!("{}@example.com", crate::helpers::unique("small"));
    let p = app.provision("Small", "email", &admin, "starter", 3).await;
    let token = app.sign_in(&admin).await;
    let org = format!("/api/v1/orgs/{}", p.org);
    app.post(
        &format!("{org}/teams"),
        &token,
        json!({"name": "Second", "login_type": "email", "organization_name": "Small Co"}),
    )
    .await
    .ok();
    let r = app
        .post(
            &format!("{org}/policies"),
            &token,
            json!({"name": "Accents on", "values": {"accent_conversion": true},
                "team_ids": [p.team]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let view = app
        .get(&format!("{org}/teams/{}/settings", p.team), &token)
        .await;
    let s = setting(view.ok(), "accent_conversion");
    assert_eq!(
        (s["source"].clone(), s["value"].clone()),
        (json!("unavailable"), Value::Null),
        "{s}"
    );
}

db_tests!(
    r23_unavailable_wins_over_a_policy,
    r21_policies_override_and_team_values_come_back,
    r22_two_policies_may_not_set_one_key_on_one_team,
    r23_locked_and_unavailable_keys_are_refused,
    policies_refuse_bad_input,
);
