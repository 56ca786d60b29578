//! R12–R16: a team sits in one subscription at most, and a refused reservation, move or add
//! leaves every subscription's pool and every team's placement as it was.

use super::{assert_never_oversold, audit_log, items, new_team, second_subscription, subscription};
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, Resp, TestApp};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Everything billing-related a refused call could have changed, in a canonical form: every
/// subscription's pool and teams (seats used and reserved per team), and every team's placement.
async fn billing_state(app: &TestApp, org: &Org) -> Value {
    let subs = app.get(&org.path("/subscriptions"), &org.admin).await;
    let mut out = BTreeMap::new();
    for s in items(&subs) {
        let mut teams: BTreeMap<String, Value> = BTreeMap::new();
        for t in s["teams"].as_array().unwrap() {
            teams.insert(
                t["team_id"].as_str().unwrap().to_owned(),
                json!({"seats_used": t["seats_used"], "reserved_seats": t["reserved_seats"]}),
            );
        }
        out.insert(
            s["id"].as_str().unwrap().to_owned(),
            json!({"plan": s["plan"], "seats": s["seats"], "used": s["used"], "reserved": s["reserved"],
                "free": s["free"], "shared": s["shared"], "teams": teams}),
        );
    }
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    let mut placement = BTreeMap::new();
    for t in items(&teams) {
        placement.insert(
            t["id"].as_str().unwrap().to_owned(),
            json!({"subscription_id": t["subscription_id"], "reserved_seats": t["reserved_seats"],
                "seats_used": t["seats_used"]}),
        );
    }
    json!({"subscriptions": out, "teams": placement})
}

async fn r12_a_team_in_one_subscription_cannot_join_another(app: TestApp) {
    let org = app.org().seats(10).established().await;
    org.add(&app, &["a@example.com", "b@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    app.put(
        &org.path(&format!(
            "/subscriptions/{}/teams/{}",
            org.subscription, org.initial_team
        )),
        &org.admin,
        json!({"reserved_seats": 5}),
    )
    .await
    .ok();
    let b = second_subscription(&app, &org, "enterprise", 10).await;
    let before_a = subscription(&app, &org, &org.subscription).await;
    let before_b = subscription(&app, &org, &b).await;
    let state = billing_state(&app, &org).await;
    let log_before = audit_log(&app, &org).await.len();
    assert!(before_b["teams"].as_array().unwrap().is_empty());

    let into_b = org.path(&format!("/subscriptions/{b}/teams/{}", org.initial_team));
    for body in [
        json!({}),
        json!({"reserved_seats": 4}),
        json!({"reserved_seats": null}),
    ] {
        let detail = app
            .put(&into_b, &org.admin, body.clone())
            .await
            .problem(409, "team_in_other_subscription");
        assert!(detail.contains("Support"), "{detail}");
        let after_a = subscription(&app, &org, &org.subscription).await;
        let after_b = subscription(&app, &org, &b).await;
        assert_eq!(
            after_a["teams"], before_a["teams"],
            "subscription A after {body}"
        );
        assert_eq!(
            (after_a["used"].clone(), after_a["reserved"].clone()),
            (json!(3), json!(5))
        );
        assert_eq!(after_b["teams"], json!([]), "subscription B after {body}");
        assert_eq!(
            (
                after_b["used"].clone(),
                after_b["reserved"].clone(),
                after_b["free"].clone()
            ),
            (json!(0), json!(0), json!(10))
        );
        assert_eq!(billing_state(&app, &org).await, state);
    }
    // Without a body at all, too.
    app.call(Method::PUT, &into_b, Some(&org.admin), None)
        .await
        .problem(409, "team_in_other_subscription");
    let team = app
        .get(
            &org.path(&format!("/teams/{}", org.initial_team)),
            &org.admin,
        )
        .await;
    assert_eq!(
        (
            team.ok()["subscription_id"].clone(),
            team.body["reserved_seats"].clone()
        ),
        (json!(org.subscription), json!(5))
    );
    assert_eq!(billing_state(&app, &org).await, state);
    assert_eq!(
        audit_log(&app, &org).await.len(),
        log_before,
        "refusals write no audit entry"
    );
    // The way that is offered, a move, works.
    let r = app
        .post(
            &org.path(&format!(
                "/subscriptions/{}/teams/{}/move",
                org.subscription, org.initial_team
            )),
            &org.admin,
            json!({"to_subscription_id": b}),
        )
        .await;
    assert_eq!(r.ok()["id"], b.as_str());
    assert_eq!(
        subscription(&app, &org, &org.subscription).await["teams"],
        json!([])
    );
    assert_never_oversold(&app, &org).await;
}

async fn r14_refused_reservations_change_nothing(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let a = org.subscription.clone();
    let third = new_team(&app, &org, "Retention", "email").await;
    // Initial team: 3 seats used, shared. Sales EU: reserved 4, 2 used. Retention: not covered.
    org.add(&app, &["i1@example.com", "i2@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 4}),
    )
    .await
    .ok();
    org.add(&app, &["s1@example.com", "s2@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let state = billing_state(&app, &org).await;
    assert_eq!(state["subscriptions"][&a]["used"], 5);
    assert_eq!(state["subscriptions"][&a]["reserved"], 4);
    let log_before = audit_log(&app, &org).await.len();

    let put = |team: &str, body: Value| {
        let path = org.path(&format!("/subscriptions/{a}/teams/{team}"));
        let app = &app;
        let admin = org.admin.clone();
        async move { app.put(&path, &admin, body).await }
    };
    let refusals: Vec<(&str, Resp, &str)> = vec![
        (
            "reservation below use",
            put(&org.second_team, json!({"reserved_seats": 1})).await,
            "reservation_below_use",
        ),
        (
            "reservation above the pool",
            put(&org.second_team, json!({"reserved_seats": 11})).await,
            "reservations_exceed_pool",
        ),
        (
            "reservations together above the pool",
            put(&org.initial_team, json!({"reserved_seats": 7})).await,
            "reservations_exceed_pool",
        ),
        (
            "a reservation squeezing the shared pool below its use",
            put(&org.second_team, json!({"reserved_seats": 8})).await,
            "seat_limit_reached",
        ),
        (
            "a new reserved team squeezing the shared pool below its use",
            put(&third, json!({"reserved_seats": 5})).await,
            "seat_limit_reached",
        ),
        (
            "a new reserved team above the pool",
            put(&third, json!({"reserved_seats": 7})).await,
            "reservations_exceed_pool",
        ),
    ];
    for (what, r, code) in &refusals {
        r.problem(409, code);
        assert_eq!(billing_state(&app, &org).await, state, "after {what}");
    }
    // A full reserved team is refused a seat, naming its limit; nothing changes.
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 2}),
    )
    .await
    .ok();
    let state = billing_state(&app, &org).await;
    let detail = org
        .add(&app, &["s3@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .problem(409, "seat_limit_reached");
    assert!(
        detail.contains("Sales EU") && detail.contains("(2)"),
        "{detail}"
    );
    assert_eq!(billing_state(&app, &org).await, state);
    let users = app.get(&org.path("/users?q=s3@"), &org.admin).await;
    assert!(items(&users).is_empty(), "nobody was added");
    assert_eq!(
        audit_log(&app, &org).await.len(),
        log_before + 1,
        "only the accepted reservation was logged"
    );
    // A change that is allowed does show in the state (the comparison can see changes).
    put(&third, json!({"reserved_seats": 1})).await.ok();
    assert_ne!(billing_state(&app, &org).await, state);
    assert_never_oversold(&app, &org).await;
}

async fn r16_refused_moves_and_adds_change_nothing(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let a = org.subscription.clone();
    let b = second_subscription(&app, &org, "starter", 2).await;
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    org.add(&app, &["i1@example.com", "i2@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 4}),
    )
    .await
    .ok();
    org.add(&app, &["s1@example.com", "s2@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let state = billing_state(&app, &org).await;
    let log_before = audit_log(&app, &org).await.len();

    let mv = |team: &str, from: &str, body: Value| {
        let path = org.path(&format!("/subscriptions/{from}/teams/{team}/move"));
        let app = &app;
        let admin = org.admin.clone();
        async move { app.post(&path, &admin, body).await }
    };
    let refusals: Vec<(&str, Resp, u16, &str)> = vec![
        (
            "a move whose use doesn't fit",
            mv(&org.initial_team, &a, json!({"to_subscription_id": b})).await,
            409,
            "seat_limit_reached",
        ),
        (
            "a move reserving more than the pool",
            mv(
                &org.initial_team,
                &a,
                json!({"to_subscription_id": b, "reserved_seats": 3}),
            )
            .await,
            409,
            "reservations_exceed_pool",
        ),
        (
            "a move reserving less than the use",
            mv(
                &org.second_team,
                &a,
                json!({"to_subscription_id": b, "reserved_seats": 1}),
            )
            .await,
            409,
            "reservation_below_use",
        ),
        (
            "a move from a subscription the team isn't in",
            mv(&org.initial_team, &b, json!({"to_subscription_id": a})).await,
            404,
            "not_found",
        ),
        (
            "a move to where it is",
            mv(&org.initial_team, &a, json!({"to_subscription_id": a})).await,
            422,
            "validation_failed",
        ),
        (
            "adding a team the plan doesn't allow",
            app.put(
                &org.path(&format!("/subscriptions/{b}/teams/{dev}")),
                &org.admin,
                json!({}),
            )
            .await,
            409,
            "plan_incompatible",
        ),
        (
            "adding a team covered elsewhere",
            app.put(
                &org.path(&format!("/subscriptions/{b}/teams/{}", org.second_team)),
                &org.admin,
                json!({}),
            )
            .await,
            409,
            "team_in_other_subscription",
        ),
        (
            "removing a team that holds seats",
            app.delete(
                &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
                &org.admin,
            )
            .await,
            409,
            "team_holds_seats",
        ),
    ];
    for (what, r, status, code) in &refusals {
        r.problem(*status, code);
        assert_eq!(billing_state(&app, &org).await, state, "after {what}");
    }
    // The compatible-teams list agrees: Floor PCs can't join B, and nothing moved meanwhile.
    let list = app
        .get(
            &org.path(&format!("/subscriptions/{b}/compatible-teams")),
            &org.admin,
        )
        .await;
    let dev_entry = items(&list)
        .into_iter()
        .find(|t| t["team_id"] == dev.as_str())
        .unwrap();
    assert_eq!(dev_entry["compatible"], false);
    assert_eq!(
        audit_log(&app, &org).await.len(),
        log_before,
        "refusals write no audit entry"
    );
    // A move that fits happens, in one step: out of A, into B, with its seats.
    app.patch(
        &format!("/operator/v1/subscriptions/{b}"),
        OPERATOR_TOKEN,
        json!({"seats": 3}),
    )
    .await
    .ok();
    let r = mv(&org.initial_team, &a, json!({"to_subscription_id": b})).await;
    let moved = r.ok()["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(moved["seats_used"], 3);
    let after = billing_state(&app, &org).await;
    assert_eq!(after["subscriptions"][&a]["used"], 2);
    assert_eq!(after["subscriptions"][&b]["used"], 3);
    assert_eq!(
        after["teams"][&org.initial_team]["subscription_id"],
        b.as_str()
    );
    assert_never_oversold(&app, &org).await;
}

db_tests!(
    r12_a_team_in_one_subscription_cannot_join_another,
    r14_refused_reservations_change_nothing,
    r16_refused_moves_and_adds_change_nothing,
);
