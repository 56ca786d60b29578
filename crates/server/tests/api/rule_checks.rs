//! Issue 13, item 16: rules whose older tests could not catch them breaking. Each story here is
//! built so that its assertions fail if the rule breaks: values chosen so a leaked change shows,
//! refusals followed by a re-read of everything they could have touched, races whose winners are
//! counted, and the audit log compared action by action.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, Resp, TestApp};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;

type Call<'a> = Pin<Box<dyn Future<Output = Resp> + 'a>>;

fn items(r: &Resp) -> Vec<Value> {
    r.ok()["items"].as_array().unwrap().clone()
}

fn id_of(r: &Resp) -> String {
    r.ok()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
        .to_owned()
}

async fn new_team(app: &TestApp, org: &Org, name: &str, login_type: &str) -> String {
    let r = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": name, "login_type": login_type}),
        )
        .await;
    id_of(&r)
}

async fn second_subscription(app: &TestApp, org: &Org, plan: &str, seats: i64) -> String {
    let r = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            json!({"plan": plan, "seats": seats}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    id_of(&r)
}

async fn subscription(app: &TestApp, org: &Org, sub: &str) -> Value {
    app.get(&org.path(&format!("/subscriptions/{sub}")), &org.admin)
        .await
        .ok()
        .clone()
}

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

async fn seats_used(app: &TestApp, org: &Org, team: &str) -> i64 {
    app.get(&org.path(&format!("/teams/{team}")), &org.admin)
        .await
        .ok()["seats_used"]
        .as_i64()
        .unwrap()
}

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

/// The organization's audit log, oldest first.
async fn audit_log(app: &TestApp, org: &Org) -> Vec<Value> {
    let r = app.get(&org.path("/audit-log?limit=500"), &org.admin).await;
    assert!(
        r.ok()["next_cursor"].is_null(),
        "more than one page of audit entries"
    );
    let mut entries = items(&r);
    entries.reverse();
    entries
}

/// R14's invariant on every subscription, and every team's seat counter equal to a fresh count.
async fn assert_never_oversold(app: &TestApp, org: &Org) {
    let subs = app.get(&org.path("/subscriptions"), &org.admin).await;
    for s in items(&subs) {
        let seats = s["seats"].as_i64().unwrap();
        assert!(s["used"].as_i64().unwrap() <= seats, "oversold: {s}");
        assert!(
            s["reserved"].as_i64().unwrap() <= seats,
            "over-reserved: {s}"
        );
        assert!(
            s["shared"]["used"].as_i64().unwrap() <= s["shared"]["size"].as_i64().unwrap(),
            "shared pool overflow: {s}"
        );
        for t in s["teams"].as_array().unwrap() {
            if let Some(r) = t["reserved_seats"].as_i64() {
                assert!(
                    t["seats_used"].as_i64().unwrap() <= r,
                    "team over its reservation: {t}"
                );
            }
        }
    }
    let mut c = app.store.read().await.unwrap();
    for (team, counter, counted) in
        switchboard_store::people::counted_seats(&mut c, &crate::helpers::typed(&org.id))
            .await
            .unwrap()
    {
        assert_eq!(
            counter, counted,
            "seats_used of {team} differs from a fresh count"
        );
    }
}

fn statuses(results: &[Resp]) -> Vec<u16> {
    results.iter().map(|r| r.status.as_u16()).collect()
}

async fn r5_editing_one_membership_leaves_the_other_unchanged(app: TestApp) {
    let org = app.established_org(20).await;
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
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["bo@example.com"],
            Some(true),
        )
        .await;
    let user = TestApp::user_id_in(&r, "bo@example.com");
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["bo@example.com"],
        Some(false),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &third,
        "team_admin",
        &["bo@example.com"],
        Some(true),
    )
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
    let org = app.established_org(3).await; // the admin holds one seat
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "team_admin",
            &["old@example.com"],
            Some(true),
        )
        .await;
    let old = TestApp::user_id_in(&r, "old@example.com");
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["quiet@example.com"],
            Some(false),
        )
        .await;
    let quiet = TestApp::user_id_in(&r, "quiet@example.com");
    let log_before = audit_log(&app, &org).await.len();
    let seats_before = seats_used(&app, &org, &org.initial_team).await;
    assert_eq!(seats_before, 2);

    // Re-added with the other role and the other access: reported, left as it was.
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["OLD@example.com"],
            Some(false),
        )
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
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "team_admin",
            &["quiet@example.com"],
            Some(true),
        )
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
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["new@example.com", "old@example.com", "quiet@example.com"],
            Some(true),
        )
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
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["old@example.com", "new@example.com"],
            Some(true),
        )
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

async fn r12_a_team_in_one_subscription_cannot_join_another(app: TestApp) {
    let org = app.established_org(10).await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["a@example.com", "b@example.com"],
        Some(true),
    )
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
    let org = app.established_org(10).await;
    let a = org.subscription.clone();
    let third = new_team(&app, &org, "Retention", "email").await;
    // Initial team: 3 seats used, shared. Sales EU: reserved 4, 2 used. Retention: not covered.
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["i1@example.com", "i2@example.com"],
        Some(true),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 4}),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["s1@example.com", "s2@example.com"],
        Some(true),
    )
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
    let detail = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &["s3@example.com"],
            Some(true),
        )
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
    let org = app.established_org(10).await;
    let a = org.subscription.clone();
    let b = second_subscription(&app, &org, "starter", 2).await;
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["i1@example.com", "i2@example.com"],
        Some(true),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 4}),
    )
    .await
    .ok();
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["s1@example.com", "s2@example.com"],
        Some(true),
    )
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

async fn r17_concurrent_device_enrollments_never_oversell(app: TestApp) {
    const N: usize = 5;
    let org = app.established_org(N as i64 + 1).await; // the admin holds one seat: N free
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{dev}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let keys = org.path(&format!("/teams/{dev}/enrollment-keys"));
    let k = app
        .post(&keys, &org.admin, json!({"max_uses": 3 * N}))
        .await;
    let key = k.ok()["key"].as_str().unwrap().to_owned();
    let key_id = k.body["id"].as_str().unwrap().to_owned();
    let calls = (0..3 * N).map(|i| {
        let body = json!({"enrollment_key": key, "device_name": format!("PC-{i:02}")});
        let app = &app;
        async move {
            app.call(Method::POST, "/app/v1/devices/enroll", None, Some(body))
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    let refused = results
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "seat_limit_reached")
        .count();
    assert_eq!((ok.len(), refused), (N, 2 * N), "{:?}", statuses(&results));
    let tokens: BTreeSet<&str> = ok
        .iter()
        .map(|r| r.body["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), N, "one token per device");
    assert_eq!(seats_used(&app, &org, &dev).await, N as i64);
    let devices = app
        .get(&org.path(&format!("/teams/{dev}/devices")), &org.admin)
        .await;
    assert_eq!(items(&devices).len(), N);
    let listed = app.get(&keys, &org.admin).await;
    let k = items(&listed)
        .into_iter()
        .find(|k| k["id"] == key_id.as_str())
        .unwrap();
    assert_eq!(k["uses"], N as i64, "refused enrollments use nothing up");
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(N + 1), json!(0))
    );
    let enrolled = audit_log(&app, &org)
        .await
        .iter()
        .filter(|e| e["action"] == "device.enroll")
        .count();
    assert_eq!(enrolled, N);
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r17_two_instances_never_oversell(app: TestApp) {
    let org = app.established_org(11).await; // the admin holds one seat: 10 free
    let other = app.second_instance().await;
    let emails: Vec<String> = (0..30).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &refs,
            Some(false),
        )
        .await;
    let ids: Vec<String> = emails.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    let mut calls: Vec<Call<'_>> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let on = if i % 2 == 0 { &app } else { &other };
        let path = org.path(&format!("/users/{id}/memberships/{}", org.initial_team));
        calls.push(Box::pin(on.patch_owned(
            path,
            org.admin.clone(),
            json!({"app_access": true}),
        )));
        if i % 3 == 0 {
            // Bulk adds of two, from the other instance than the toggle next to them.
            let on = if i % 2 == 0 { &other } else { &app };
            let body = json!({"team_id": org.initial_team, "team_role": "member",
                "emails": [format!("bulk{i}a@example.com"), format!("bulk{i}b@example.com")], "app_access": true});
            calls.push(Box::pin(on.post_owned(
                org.path("/users"),
                org.admin.clone(),
                body,
            )));
        }
    }
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(|r| r.status.as_u16() < 500),
        "no 5xx: {:?}",
        statuses(&results)
    );
    assert!(
        results
            .iter()
            .all(|r| r.status == 200 || r.body["code"] == "seat_limit_reached"),
        "{:?}",
        statuses(&results)
    );
    let toggles = results
        .iter()
        .filter(|r| r.status == 200 && r.body.get("results").is_none())
        .count();
    let bulk = results
        .iter()
        .filter(|r| r.status == 200 && r.body.get("results").is_some())
        .count();
    // Seats are only taken here, never given back: once a toggle was refused, the pool was full.
    assert_eq!(
        toggles + 2 * bulk,
        10,
        "{toggles} toggles and {bulk} bulk adds of two got seats"
    );
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(11), json!(0))
    );
    let on = app
        .get(&org.path("/users?app_access=true&limit=200"), &org.admin)
        .await;
    assert_eq!(items(&on).len(), 11, "seat holders in the user list");
    assert_eq!(
        seats_used(&other, &org, &org.initial_team).await,
        11,
        "as the other instance sees it"
    );
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r22_editing_values_into_a_conflict_is_refused_and_changes_nothing(app: TestApp) {
    let org = app.established_org(5).await;
    let p1 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist on",
        "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
        )
        .await;
    let p1 = id_of(&p1);
    let p2 = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Summaries",
        "values": {"call_summary": true}, "team_ids": [org.initial_team, org.second_team]}),
        )
        .await;
    let p2 = id_of(&p2);
    let before = app
        .get(&org.path(&format!("/policies/{p2}")), &org.admin)
        .await
        .ok()
        .clone();
    let log_before = audit_log(&app, &org).await.len();

    // p2 shares the initial team with p1; setting agent_assist there too is refused.
    for body in [
        json!({"values": {"call_summary": true, "agent_assist": false}}),
        json!({"name": "Summaries and assist", "values": {"agent_assist": true}}),
    ] {
        let detail = app
            .patch(
                &org.path(&format!("/policies/{p2}")),
                &org.admin,
                body.clone(),
            )
            .await
            .problem(409, "policy_conflict");
        assert!(
            detail.contains("Assist on"),
            "names the other policy: {detail}"
        );
        assert!(detail.contains("agent_assist"), "names the key: {detail}");
        assert!(detail.contains("Support"), "names the team: {detail}");
        let after = app
            .get(&org.path(&format!("/policies/{p2}")), &org.admin)
            .await;
        assert_eq!(after.ok(), &before, "after {body}");
    }
    assert_eq!(
        audit_log(&app, &org).await.len(),
        log_before,
        "refusals write no audit entry"
    );
    // The teams' effective values are as before: agent_assist from p1 on Support, the default elsewhere.
    let view = app
        .get(
            &org.path(&format!("/teams/{}/settings", org.initial_team)),
            &org.admin,
        )
        .await;
    let assist = view.ok()["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "agent_assist")
        .unwrap()
        .clone();
    assert_eq!(
        (
            assist["source"].clone(),
            assist["value"].clone(),
            assist["policy"]["id"].clone()
        ),
        (json!("policy"), json!(true), json!(p1))
    );
    let view = app
        .get(
            &org.path(&format!("/teams/{}/settings", org.second_team)),
            &org.admin,
        )
        .await;
    let assist = view.ok()["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "agent_assist")
        .unwrap()
        .clone();
    assert_ne!(assist["source"], "policy", "{assist}");
    // The same values without the shared team are fine.
    let r = app.patch(&org.path(&format!("/policies/{p2}")), &org.admin,
        json!({"values": {"call_summary": true, "agent_assist": false}, "team_ids": [org.second_team]})).await;
    assert_eq!(
        r.ok()["values"],
        json!({"call_summary": true, "agent_assist": false})
    );
    // And editing p1's values into p2's key on a team they no longer share is fine too.
    app.patch(
        &org.path(&format!("/policies/{p1}")),
        &org.admin,
        json!({"values": {"agent_assist": true, "call_summary": false}}),
    )
    .await
    .ok();
    // Now they don't share a team; applying p1 to Sales EU would put two policies on both keys.
    let detail = app
        .patch(
            &org.path(&format!("/policies/{p1}")),
            &org.admin,
            json!({"team_ids": [org.initial_team, org.second_team]}),
        )
        .await
        .problem(409, "policy_conflict");
    assert!(detail.contains("Summaries"), "{detail}");
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r22_concurrent_conflicting_applies_let_exactly_one_through(app: TestApp) {
    let org = app.established_org(5).await;
    let pa = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist A",
        "values": {"agent_assist": true}, "team_ids": [org.initial_team]}),
        )
        .await;
    let pa = id_of(&pa);
    let pb = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Assist B",
        "values": {"agent_assist": false}, "team_ids": [org.second_team]}),
        )
        .await;
    let pb = id_of(&pb);
    for round in 0..4 {
        let x = new_team(&app, &org, &format!("Race {round}"), "email").await;
        // Two applies that each put agent_assist on team x from a different policy.
        let (path_a, path_b, create) = (
            org.path(&format!("/policies/{pa}")),
            org.path(&format!("/policies/{pb}")),
            org.path("/policies"),
        );
        let (ra, rb) = tokio::join!(
            app.patch(
                &path_a,
                &org.admin,
                json!({"team_ids": [org.initial_team, x]})
            ),
            app.patch(
                &path_b,
                &org.admin,
                json!({"team_ids": [org.second_team, x]})
            ),
        );
        let ok = [&ra, &rb].iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 1, "round {round}: {} / {}", ra.text, rb.text);
        let loser = if ra.status == 200 { &rb } else { &ra };
        loser.problem(409, "policy_conflict");
        let on_x = |list: &Resp| {
            items(list)
                .into_iter()
                .filter(|p| {
                    p["team_ids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == x.as_str())
                })
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let list = app.get(&org.path("/policies"), &org.admin).await;
        assert_eq!(on_x(&list).len(), 1, "round {round}: one policy on {x}");
        // Two creates that each set call_summary on team x.
        let (ca, cb) = tokio::join!(
            app.post(
                &create,
                &org.admin,
                json!({"name": format!("Summary on {round}"),
                "values": {"call_summary": true}, "team_ids": [x]})
            ),
            app.post(
                &create,
                &org.admin,
                json!({"name": format!("Summary off {round}"),
                "values": {"call_summary": false}, "team_ids": [x]})
            ),
        );
        let created = [&ca, &cb].iter().filter(|r| r.status == 201).count();
        assert_eq!(created, 1, "round {round}: {} / {}", ca.text, cb.text);
        let loser = if ca.status == 201 { &cb } else { &ca };
        loser.problem(409, "policy_conflict");
        let list = app.get(&org.path("/policies"), &org.admin).await;
        assert_eq!(
            on_x(&list).len(),
            2,
            "round {round}: the apply's winner and the create's winner"
        );
        // No key of team x is set by two of the policies on it.
        let mut keys: Vec<String> = items(&list)
            .into_iter()
            .filter(|p| {
                p["team_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == x.as_str())
            })
            .flat_map(|p| {
                p["values"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(
            keys.len(),
            n,
            "round {round}: a key set twice on {x}: {keys:?}"
        );
        // Every team keeps the rule: check all teams against all policies.
        let mut per_team: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in items(&list) {
            for t in p["team_ids"].as_array().unwrap() {
                per_team
                    .entry(t.as_str().unwrap().to_owned())
                    .or_default()
                    .extend(p["values"].as_object().unwrap().keys().cloned());
            }
        }
        for (team, mut keys) in per_team {
            let n = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(
                keys.len(),
                n,
                "round {round}: team {team} has a key set by two policies"
            );
        }
    }
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r25_every_audited_action_of_a_realistic_sequence_is_logged(app: TestApp) {
    let org = app.established_org(20).await;
    let a = org.subscription.clone();
    // Memberships.
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.initial_team,
            "member",
            &["a@example.com"],
            None,
        )
        .await;
    let user_a = TestApp::user_id_in(&r, "a@example.com");
    app.patch(
        &org.path(&format!("/users/{user_a}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"team_role": "team_admin", "app_access": false}),
    )
    .await
    .ok();
    app.post(
        &org.path(&format!("/users/{user_a}/memberships")),
        &org.admin,
        json!({"team_id": org.second_team, "team_role": "member"}),
    )
    .await
    .ok();
    app.delete(
        &org.path(&format!("/users/{user_a}/memberships/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    // Org roles.
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            json!({"email": "b@example.com", "role": "org_analyst"}),
        )
        .await;
    let user_b = r.ok()["user_id"].as_str().unwrap().to_owned();
    app.patch(
        &org.path(&format!("/admins/{user_b}")),
        &org.admin,
        json!({"role": "org_admin"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/admins/{user_b}")), &org.admin)
            .await
            .status
            .as_u16()
            / 100,
        2
    );
    // Teams.
    app.patch(
        &org.path(&format!("/teams/{}", org.second_team)),
        &org.admin,
        json!({"name": "Sales Europe"}),
    )
    .await
    .ok();
    // Billing.
    app.patch(
        &org.path(&format!("/subscriptions/{a}")),
        &org.admin,
        json!({"name": "Main pool"}),
    )
    .await
    .ok();
    app.put(&org.path(&format!("/subscriptions/{a}/payment-method")), &org.admin,
        json!({"provider_token": "tok_SECRET42", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031})).await.ok();
    app.patch(
        &format!("/operator/v1/subscriptions/{a}"),
        OPERATOR_TOKEN,
        json!({"seats": 25}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.second_team)),
        &org.admin,
        json!({"reserved_seats": 3}),
    )
    .await
    .ok();
    let b = second_subscription(&app, &org, "enterprise", 10).await;
    app.post(
        &org.path(&format!(
            "/subscriptions/{a}/teams/{}/move",
            org.second_team
        )),
        &org.admin,
        json!({"to_subscription_id": b}),
    )
    .await
    .ok();
    app.delete(
        &org.path(&format!("/subscriptions/{b}/teams/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    // Settings and policies.
    app.patch(
        &org.path(&format!("/teams/{}/settings", org.initial_team)),
        &org.admin,
        json!({"call_summary": true, "agent_assist": true}),
    )
    .await
    .ok();
    let pol = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Retention",
        "values": {"recording_retention_days": 90}, "team_ids": [org.initial_team]}),
        )
        .await;
    let pol = id_of(&pol);
    app.patch(
        &org.path(&format!("/policies/{pol}")),
        &org.admin,
        json!({"values": {"recording_retention_days": 120}}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/policies/{pol}")), &org.admin)
            .await
            .status,
        204
    );
    // SSO policies.
    let sso = app.post(&org.path("/sso-policies"), &org.admin, json!({"name": "Okta", "issuer": "https://acme.okta.example",
        "client_id": "0oa1", "client_secret": "s3cr3t-value", "allowed_domains": ["acme.example"], "team_ids": [org.initial_team]})).await;
    let sso = id_of(&sso);
    app.patch(
        &org.path(&format!("/sso-policies/{sso}")),
        &org.admin,
        json!({"name": "Okta EU"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&org.path(&format!("/sso-policies/{sso}")), &org.admin)
            .await
            .status,
        204
    );
    // Enrollment keys and devices.
    let dev = new_team(&app, &org, "Floor PCs", "device").await;
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{dev}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let k = app
        .post(
            &org.path(&format!("/teams/{dev}/enrollment-keys")),
            &org.admin,
            json!({"max_uses": 3}),
        )
        .await;
    let key = k.ok()["key"].as_str().unwrap().to_owned();
    let key_id = id_of(&k);
    let d = app
        .call(
            Method::POST,
            "/app/v1/devices/enroll",
            None,
            Some(json!({"enrollment_key": key, "device_name": "PC-01"})),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.text);
    let device = d.body["device_id"].as_str().unwrap().to_owned();
    app.patch(
        &org.path(&format!("/teams/{dev}/devices/{device}")),
        &org.admin,
        json!({"name": "PC-01 (window)"}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/devices/{device}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.delete(
            &org.path(&format!("/teams/{dev}/enrollment-keys/{key_id}")),
            &org.admin
        )
        .await
        .status,
        204
    );
    // A team made and deleted; a user removed from the organization.
    let temp = new_team(&app, &org, "Temp", "email").await;
    assert_eq!(
        app.delete(&org.path(&format!("/teams/{temp}")), &org.admin)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&org.path(&format!("/users/{user_b}")), &org.admin)
            .await
            .status,
        204
    );
    // Refusals in between write nothing.
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{}", org.initial_team)),
        &org.admin,
        json!({"reserved_seats": 26}),
    )
    .await
    .problem(409, "reservations_exceed_pool");
    app.delete(
        &org.path(&format!("/admins/{}", org.admin_user)),
        &org.admin,
    )
    .await
    .problem(409, "last_org_admin");
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "sales europe", "login_type": "email"}),
    )
    .await
    .problem(409, "team_name_taken");

    let log = audit_log(&app, &org).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "org.provision",
            "org.establish",
            "team.create",
            "membership.bulk_add",
            "membership.update",
            "membership.add",
            "membership.remove",
            "org_role.assign",
            "org_role.change",
            "org_role.revoke",
            "team.update",
            "subscription.rename",
            "subscription.payment_method",
            "subscription.update",
            "subscription.team_add",
            "subscription.team_reserve",
            "subscription.create",
            "subscription.team_move",
            "subscription.team_remove",
            "team_setting.update",
            "team_setting.update",
            "policy.create",
            "policy.update",
            "policy.delete",
            "sso_policy.create",
            "sso_policy.update",
            "sso_policy.delete",
            "team.create",
            "subscription.team_add",
            "enrollment_key.create",
            "device.enroll",
            "device.rename",
            "device.remove",
            "enrollment_key.revoke",
            "team.create",
            "team.delete",
            "user.remove_from_org",
        ]
    );
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "appended without gaps"
    );
    let entry = |action: &str| {
        log.iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}"))
            .clone()
    };
    // A membership change: who, on whom, and both sides.
    let e = entry("membership.update");
    assert_eq!(
        (e["actor"].clone(), e["actor_name"].clone()),
        (json!(org.admin_user), json!(org.admin_email))
    );
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(user_a), json!("a@example.com"))
    );
    assert_eq!(
        e["before"],
        json!({"team_id": org.initial_team, "team_name": "Support", "team_role": "member", "app_access": true})
    );
    assert_eq!(
        e["after"],
        json!({"team_id": org.initial_team, "team_name": "Support", "team_role": "team_admin", "app_access": false})
    );
    // A rename: the name before and after.
    let e = entry("team.update");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(org.second_team), json!("Sales Europe"))
    );
    assert_eq!(
        (e["before"]["name"].clone(), e["after"]["name"].clone()),
        (json!("Sales EU"), json!("Sales Europe"))
    );
    // A move: from where, to where, with the reservation it had and has.
    let e = entry("subscription.team_move");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(org.second_team), json!("Sales Europe"))
    );
    assert_eq!(
        (
            e["before"]["subscription_id"].clone(),
            e["before"]["reserved_seats"].clone()
        ),
        (json!(a), json!(3))
    );
    assert_eq!(
        (
            e["after"]["subscription_id"].clone(),
            e["after"]["reserved_seats"].clone()
        ),
        (json!(b), Value::Null)
    );
    assert_eq!(e["actor_name"], org.admin_email.as_str());
    // The operator's changes are the operator's.
    let e = entry("subscription.create");
    assert_eq!(
        (
            e["actor"].clone(),
            e["actor_name"].clone(),
            e["target"].clone()
        ),
        (json!("operator"), Value::Null, json!(b))
    );
    let e = entry("subscription.update");
    assert_eq!(
        (
            e["actor"].clone(),
            e["before"]["seats"].clone(),
            e["after"]["seats"].clone()
        ),
        (json!("operator"), json!(20), json!(25))
    );
    // The payment method: brand and last four, never the provider's token.
    let e = entry("subscription.payment_method");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(a), json!("Main pool"))
    );
    assert_eq!(
        (e["after"]["brand"].clone(), e["after"]["last4"].clone()),
        (json!("visa"), json!("4242"))
    );
    // A policy edit: the values before and after.
    let e = entry("policy.update");
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(pol), json!("Retention"))
    );
    assert_eq!(
        e["before"]["values"],
        json!({"recording_retention_days": 90})
    );
    assert_eq!(
        e["after"]["values"],
        json!({"recording_retention_days": 120})
    );
    // Both team settings of one request: one entry per key, the same request id.
    let settings: Vec<&Value> = log
        .iter()
        .filter(|e| e["action"] == "team_setting.update")
        .collect();
    assert_eq!(
        settings
            .iter()
            .map(|e| e["after"]["key"].as_str().unwrap())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["agent_assist", "call_summary"])
    );
    assert_eq!(settings[0]["request_id"], settings[1]["request_id"]);
    assert!(
        settings
            .iter()
            .all(|e| e["target"] == org.initial_team.as_str() && e["target_name"] == "Support")
    );
    // A device enrolled by its key.
    let e = entry("device.enroll");
    assert_eq!(
        (e["actor"].clone(), e["actor_name"].clone()),
        (json!(format!("enrollment_key:{key_id}")), Value::Null)
    );
    assert_eq!(
        (e["target"].clone(), e["target_name"].clone()),
        (json!(device), json!("PC-01"))
    );
    let e = entry("device.rename");
    assert_eq!(
        (e["before"]["name"].clone(), e["after"]["name"].clone()),
        (json!("PC-01"), json!("PC-01 (window)"))
    );
    // An org role assigned by email to someone new.
    let e = entry("org_role.assign");
    assert_eq!(
        (
            e["target"].clone(),
            e["target_name"].clone(),
            e["after"]["role"].clone()
        ),
        (json!(user_b), json!("b@example.com"), json!("org_analyst"))
    );
    // Each request has its own id; nothing secret is in the log.
    let requests: BTreeSet<&str> = log
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        requests.len(),
        log.len() - 2,
        "one request per entry, except establish and the two settings"
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains("tok_SECRET42"),
        "the provider token is in the log"
    );
    assert!(
        !text.contains("s3cr3t-value"),
        "the SSO client secret is in the log"
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r25_deleting_an_entry_in_the_middle_breaks_the_chain(app: TestApp) {
    let org = app.established_org(20).await;
    for i in 0..6 {
        new_team(&app, &org, &format!("T{i}"), "email").await;
    }
    let log = audit_log(&app, &org).await;
    assert_eq!(log.len(), 9);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
    let middle = 5i64;
    let mut c = app.store.read().await.unwrap();
    let gone =
        switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq = $2")
            .bind(&org.id)
            .bind(middle)
            .execute(&mut *c)
            .await
            .unwrap();
    assert_eq!(gone.rows_affected(), 1);
    drop(c);
    let broken = app.broken_audit_entry(&org.id).await;
    assert!(
        broken == Some(middle) || broken == Some(middle + 1),
        "a deleted entry {middle} shows as a break, got {broken:?}"
    );
    // The first entry too.
    let org2 = app.established_org(20).await;
    new_team(&app, &org2, "T", "email").await;
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq = $2")
        .bind(&org2.id)
        .bind(1i64)
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    assert!(
        app.broken_audit_entry(&org2.id).await.is_some(),
        "a deleted first entry shows"
    );
}

async fn r11_search_finds_users_by_name(app: TestApp) {
    let org = app.established_org(50).await;
    let emails: Vec<String> = (0..6).map(|i| format!("agent{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &refs,
            Some(false),
        )
        .await;
    let zelda = TestApp::user_id_in(&r, "agent3@example.com");
    let other = TestApp::user_id_in(&r, "agent4@example.com");
    let mut c = app.store.read().await.unwrap();
    for (id, email, name) in [
        (&zelda, "agent3@example.com", "Zelda Quintero"),
        (&other, "agent4@example.com", "Mark Twain"),
    ] {
        switchboard_store::sqlx::query("UPDATE users SET name = $1, search = $2 WHERE id = $3")
            .bind(name)
            .bind(format!("{email} {name}").to_lowercase())
            .bind(id.as_str())
            .execute(&mut *c)
            .await
            .unwrap();
    }
    drop(c);
    let found = |q: &str| {
        let path = org.path(&format!("/users?q={q}"));
        let app = &app;
        let admin = org.admin.clone();
        async move {
            let r = app.get(&path, &admin).await;
            items(&r)
                .into_iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("quint").await,
        vec![zelda.clone()],
        "a piece of the last name"
    );
    assert_eq!(found("ZELDA").await, vec![zelda.clone()], "any case");
    assert_eq!(
        found("elda%20qu").await,
        vec![zelda.clone()],
        "across first and last name"
    );
    assert_eq!(found("twain").await, vec![other.clone()]);
    assert_eq!(
        found("agent3").await,
        vec![zelda.clone()],
        "the email still matches"
    );
    assert!(found("zelda%20agent3").await.is_empty());
    let r = app.get(&org.path("/users?q=quint"), &org.admin).await;
    assert_eq!(items(&r)[0]["name"], "Zelda Quintero");
    // Name search combines with the other filters.
    assert_eq!(
        found(&format!("quint&team={}", org.second_team)).await,
        vec![zelda.clone()]
    );
    assert!(
        found(&format!("quint&team={}", org.initial_team))
            .await
            .is_empty()
    );
    assert!(found("quint&app_access=true").await.is_empty());
}

async fn r11_cursor_is_stable_under_inserts(app: TestApp) {
    let org = app.established_org(100).await;
    // Someone who already exists (in another organization) before this org's users are made:
    // their id sorts before them.
    let elsewhere = app.established_org(5).await;
    let r = app
        .add_users(
            &elsewhere.id,
            &elsewhere.admin,
            &elsewhere.initial_team,
            "member",
            &["early@example.com"],
            Some(false),
        )
        .await;
    let early = TestApp::user_id_in(&r, "early@example.com");
    let emails: Vec<String> = (0..12).map(|i| format!("pg{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &refs,
        Some(false),
    )
    .await
    .ok();
    let all = app.get(&org.path("/users?limit=200"), &org.admin).await;
    let existing: BTreeSet<String> = items(&all)
        .into_iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(existing.len(), 13);

    let page1 = app.get(&org.path("/users?limit=5"), &org.admin).await;
    let mut seen: Vec<String> = items(&page1)
        .into_iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen.len(), 5);
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(&cursor, seen.last().unwrap());

    // Inserts after page 1 was read: new users (their ids sort after the cursor), and an
    // existing identity joining (its id sorts before the cursor).
    let fresh: Vec<String> = (0..6).map(|i| format!("late{i}@example.com")).collect();
    let refs: Vec<&str> = fresh.iter().map(String::as_str).collect();
    let r = app
        .add_users(
            &org.id,
            &org.admin,
            &org.second_team,
            "member",
            &refs,
            Some(false),
        )
        .await;
    let fresh_ids: Vec<String> = fresh.iter().map(|e| TestApp::user_id_in(&r, e)).collect();
    assert!(
        fresh_ids.iter().all(|id| *id > cursor),
        "new ids sort after the cursor"
    );
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["early@example.com"],
        Some(false),
    )
    .await
    .ok();

    let mut cursor = Some(cursor);
    let mut pages = 1;
    while let Some(c) = cursor.take() {
        let page = app
            .get(&org.path(&format!("/users?limit=5&cursor={c}")), &org.admin)
            .await;
        let ids: Vec<String> = items(&page)
            .into_iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            ids.iter().all(|id| *id > c),
            "page {} starts after its cursor",
            pages + 1
        );
        seen.extend(ids);
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 20, "paging does not end");
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a user was repeated: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "one stable order across pages");
    for id in &existing {
        assert!(
            unique.contains(id),
            "{id}, there before page 1, was skipped"
        );
    }
    for id in &fresh_ids {
        assert!(
            unique.contains(id),
            "{id}, added after the cursor's user, is on a later page"
        );
    }
    // The identity that joined with an id before the cursor is on no later page (and moved nobody).
    let first_cursor = &seen[4];
    assert_eq!(unique.contains(&early), early > *first_cursor);
    assert_eq!(seen.len(), 13 + 6 + usize::from(early > *first_cursor));
}

db_tests!(
    r5_editing_one_membership_leaves_the_other_unchanged,
    r6_re_adding_a_member_leaves_the_membership_unchanged,
    r12_a_team_in_one_subscription_cannot_join_another,
    r14_refused_reservations_change_nothing,
    r16_refused_moves_and_adds_change_nothing,
    r17_concurrent_device_enrollments_never_oversell,
    r17_two_instances_never_oversell,
    r22_editing_values_into_a_conflict_is_refused_and_changes_nothing,
    r22_concurrent_conflicting_applies_let_exactly_one_through,
    r25_every_audited_action_of_a_realistic_sequence_is_logged,
    r25_deleting_an_entry_in_the_middle_breaks_the_chain,
    r11_search_finds_users_by_name,
    r11_cursor_is_stable_under_inserts
);
