//! R14–R16: per-team reservations and caps, the subscription view's warnings, compatible teams,
//! moves between subscriptions and plan changes that keep covered teams allowed.

use super::{assert_never_oversold, second_subscription, subscription, team_in};
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::{Value, json};

async fn r14_reservations_cap_a_team_and_keep_seats_for_it(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let alloc = org.path(&format!(
        "/subscriptions/{}/teams/{}",
        org.subscription, org.second_team
    ));
    let r = app
        .put(&alloc, &org.admin, json!({"reserved_seats": 4}))
        .await;
    assert_eq!(team_in(r.ok(), &org.second_team)["reserved_seats"], 4);
    assert_eq!(r.body["shared"]["size"], 6);
    // The shared pool (6, admin holds 1) takes 5 more, not 6: the 4 are kept for Sales EU.
    let five: Vec<String> = (0..5).map(|i| format!("s{i}@example.com")).collect();
    let refs: Vec<&str> = five.iter().map(String::as_str).collect();
    org.add(&app, &refs)
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    org.add(&app, &["x@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .problem(409, "seat_limit_reached");
    let four: Vec<String> = (0..4).map(|i| format!("r{i}@example.com")).collect();
    let refs: Vec<&str> = four.iter().map(String::as_str).collect();
    org.add(&app, &refs)
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let detail = org
        .add(&app, &["y@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .problem(409, "seat_limit_reached");
    assert!(
        detail.starts_with("Team Sales EU has reached its allocated seat limit (4)"),
        "{detail}"
    );
    // Below use, or above the pool: refused, nothing changes.
    app.put(&alloc, &org.admin, json!({"reserved_seats": 3}))
        .await
        .problem(409, "reservation_below_use");
    app.put(&alloc, &org.admin, json!({"reserved_seats": 11}))
        .await
        .problem(409, "reservations_exceed_pool");
    app.put(&alloc, &org.admin, json!({"reserved_seats": -1}))
        .await
        .problem(422, "validation_failed");
    app.put(&alloc, &org.admin, json!({"reserved_seats": "many"}))
        .await
        .problem(422, "validation_failed");
    // Clearing it: the team's 4 seats go back to a shared pool of 10 holding 10.
    let r = app
        .put(&alloc, &org.admin, json!({"reserved_seats": null}))
        .await;
    assert_eq!(
        team_in(r.ok(), &org.second_team)["reserved_seats"],
        Value::Null
    );
    assert_eq!(r.body["shared"]["used"], 10);
    assert_never_oversold(&app, &org).await;
}

async fn r15_the_subscription_view_warns_about_full_teams_and_pool(app: TestApp) {
    let org = app.org().seats(3).established().await;
    let alloc = org.path(&format!(
        "/subscriptions/{}/teams/{}",
        org.subscription, org.second_team
    ));
    app.put(&alloc, &org.admin, json!({"reserved_seats": 1}))
        .await
        .ok();
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["warnings"].as_array().unwrap().len(), 0);
    org.add(&app, &["a@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    org.add(&app, &["b@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let view = subscription(&app, &org, &org.subscription).await;
    let warnings = view["warnings"].as_array().unwrap();
    let limit = warnings
        .iter()
        .find(|w| w["code"] == "teams_at_allocated_limit")
        .expect("team warning");
    assert!(
        limit["message"]
            .as_str()
            .unwrap()
            .starts_with("Some teams have reached allocated seat limit")
    );
    assert!(limit["message"].as_str().unwrap().contains("Sales EU"));
    assert_eq!(limit["team_ids"], json!([org.second_team]));
    assert!(warnings.iter().any(|w| w["code"] == "shared_pool_full"));
    assert_eq!(team_in(&view, &org.second_team)["limit_reached"], true);
    assert_eq!(
        (
            view["used"].clone(),
            view["reserved"].clone(),
            view["free"].clone()
        ),
        (json!(3), json!(1), json!(0))
    );
    insta::assert_json_snapshot!(org.redact(&view), @r#"
    {
      "current_period_end": "[time]",
      "current_period_start": "[time]",
      "features": [
        "noise_cancellation",
        "background_voice_cancellation",
        "accent_conversion",
        "agent_assist",
        "live_transcription",
        "call_summary",
        "recording",
        "analytics",
        "sso"
      ],
      "forecast": {
        "basis_days": 0,
        "exhausted_on": null,
        "seats_per_week": 0.0
      },
      "free": 0,
      "id": "[subscription]",
      "login_types": [
        "email",
        "device"
      ],
      "name": "Enterprise",
      "payment_method": null,
      "period": "monthly",
      "plan": "enterprise",
      "plan_label": "Enterprise",
      "reserved": 1,
      "seats": 3,
      "shared": {
        "free": 0,
        "size": 2,
        "used": 2
      },
      "status": "active",
      "teams": [
        {
          "limit_reached": false,
          "login_type": "email",
          "reserved_seats": null,
          "seats_used": 2,
          "team_id": "[initial team]",
          "team_name": "Support",
          "used": 2
        },
        {
          "limit_reached": true,
          "login_type": "email",
          "reserved_seats": 1,
          "seats_used": 1,
          "team_id": "[second team]",
          "team_name": "Sales EU",
          "used": 1
        }
      ],
      "unit_price_cents": 5500,
      "used": 3,
      "warnings": [
        {
          "code": "teams_at_allocated_limit",
          "message": "Some teams have reached allocated seat limit: Sales EU",
          "team_ids": [
            "[second team]"
          ]
        },
        {
          "code": "shared_pool_full",
          "message": "The shared pool is full: teams without a reservation can't take another seat.",
          "team_ids": [
            "[initial team]"
          ]
        },
        {
          "code": "pool_running_out",
          "message": "Over 90 % of the 3 seats are held.",
          "team_ids": []
        }
      ]
    }
    "#);
}

async fn r16_compatible_teams_moves_and_removal(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let small = second_subscription(&app, &org, "starter", 2).await;
    let dev = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Floor PCs", "login_type": "device"}),
        )
        .await;
    let dev = dev.ok()["id"].as_str().unwrap().to_owned();
    let list = app
        .get(
            &org.path(&format!("/subscriptions/{small}/compatible-teams")),
            &org.admin,
        )
        .await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    let find = |id: &str| items.iter().find(|t| t["team_id"] == id).unwrap().clone();
    assert_eq!(find(&org.second_team)["compatible"], true);
    assert_eq!(find(&dev)["compatible"], false);
    assert!(find(&dev)["reason"].as_str().unwrap().contains("device"));
    assert_eq!(
        find(&org.initial_team)["compatible"],
        false,
        "covered elsewhere"
    );
    // A device team can't join a plan for email teams.
    app.put(
        &org.path(&format!("/subscriptions/{small}/teams/{dev}")),
        &org.admin,
        json!({}),
    )
    .await
    .problem(409, "plan_incompatible");
    // The initial team (3 seats used) doesn't fit a pool of 2.
    let three = ["m1@example.com", "m2@example.com"];
    org.add(&app, &three)
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let mv = org.path(&format!(
        "/subscriptions/{}/teams/{}/move",
        org.subscription, org.initial_team
    ));
    let detail = app
        .post(&mv, &org.admin, json!({"to_subscription_id": small}))
        .await
        .problem(409, "seat_limit_reached");
    assert!(detail.contains("Support"), "{detail}");
    app.post(
        &mv,
        &org.admin,
        json!({"to_subscription_id": small, "reserved_seats": 3}),
    )
    .await
    .problem(409, "reservations_exceed_pool");
    // Nothing moved.
    assert_eq!(
        team_in(
            &subscription(&app, &org, &org.subscription).await,
            &org.initial_team
        )["used"],
        3
    );
    // Another organization's subscription is not found.
    let other = app.org().seats(5).established().await;
    app.post(
        &mv,
        &org.admin,
        json!({"to_subscription_id": other.subscription}),
    )
    .await
    .problem(404, "not_found");
    // Grow the small pool; then the move fits and is one step.
    app.patch(
        &format!("/operator/v1/subscriptions/{small}"),
        OPERATOR_TOKEN,
        json!({"seats": 5}),
    )
    .await
    .ok();
    let r = app
        .post(
            &mv,
            &org.admin,
            json!({"to_subscription_id": small, "reserved_seats": 4}),
        )
        .await;
    assert_eq!(team_in(r.ok(), &org.initial_team)["reserved_seats"], 4);
    assert_eq!(r.body["used"], 3);
    let old = subscription(&app, &org, &org.subscription).await;
    assert!(
        old["teams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["team_id"] != org.initial_team.as_str())
    );
    // Adding a team needs no body: no reservation.
    let t4 = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Walk-ins", "login_type": "email"}),
        )
        .await;
    let t4 = t4.ok()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            reqwest::Method::PUT,
            &org.path(&format!("/subscriptions/{small}/teams/{t4}")),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(team_in(r.ok(), &t4)["reserved_seats"], Value::Null);
    // Removing a team: only without seats.
    app.delete(
        &org.path(&format!(
            "/subscriptions/{small}/teams/{}",
            org.initial_team
        )),
        &org.admin,
    )
    .await
    .problem(409, "team_holds_seats");
    app.allocate_team(&org, &org.second_team).await;
    let r = app
        .delete(
            &org.path(&format!(
                "/subscriptions/{}/teams/{}",
                org.subscription, org.second_team
            )),
            &org.admin,
        )
        .await;
    assert!(r.ok()["teams"].as_array().unwrap().is_empty());
    assert_never_oversold(&app, &org).await;
}

async fn r16_plan_changes_keep_covered_teams_allowed(app: TestApp) {
    let org = app.org().seats(10).established().await;
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
    let r = app
        .patch(
            &format!("/operator/v1/subscriptions/{}", org.subscription),
            OPERATOR_TOKEN,
            json!({"plan": "starter"}),
        )
        .await;
    r.problem(409, "plan_incompatible");
    app.patch(
        &format!("/operator/v1/subscriptions/{}", org.subscription),
        OPERATOR_TOKEN,
        json!({"plan": "gold"}),
    )
    .await
    .problem(422, "validation_failed");
}

db_tests!(
    r14_reservations_cap_a_team_and_keep_seats_for_it,
    r15_the_subscription_view_warns_about_full_teams_and_pool,
    r16_compatible_teams_moves_and_removal,
    r16_plan_changes_keep_covered_teams_allowed,
);
