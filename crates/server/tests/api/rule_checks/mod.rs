//! Issue 13, item 16: rules whose older tests could not catch them breaking. Each story here is
//! built so that its assertions fail if the rule breaks: values chosen so a leaked change shows,
//! refusals followed by a re-read of everything they could have touched, races whose winners are
//! counted, and the audit log compared action by action.

mod audit;
mod billing;
mod clauses;
mod memberships;
mod overselling;
mod settings;
mod users;

use crate::helpers::{OPERATOR_TOKEN, Org, Resp, TestApp};
use serde_json::{Value, json};

pub(super) fn items(r: &Resp) -> Vec<Value> {
    r.ok()["items"].as_array().unwrap().clone()
}

pub(super) fn id_of(r: &Resp) -> String {
    r.ok()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
        .to_owned()
}

pub(super) async fn new_team(app: &TestApp, org: &Org, name: &str, login_type: &str) -> String {
    let r = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": name, "login_type": login_type}),
        )
        .await;
    id_of(&r)
}

pub(super) async fn second_subscription(
    app: &TestApp,
    org: &Org,
    plan: &str,
    seats: i64,
) -> String {
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

pub(super) async fn subscription(app: &TestApp, org: &Org, sub: &str) -> Value {
    app.get(&org.path(&format!("/subscriptions/{sub}")), &org.admin)
        .await
        .ok()
        .clone()
}

pub(super) async fn seats_used(app: &TestApp, org: &Org, team: &str) -> i64 {
    app.get(&org.path(&format!("/teams/{team}")), &org.admin)
        .await
        .ok()["seats_used"]
        .as_i64()
        .unwrap()
}

/// The organization's audit log, oldest first.
pub(super) async fn audit_log(app: &TestApp, org: &Org) -> Vec<Value> {
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
pub(super) async fn assert_never_oversold(app: &TestApp, org: &Org) {
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
