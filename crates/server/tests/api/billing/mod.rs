//! R12–R18: subscriptions, seat pools, per-team allocation, moves, invoices — never oversold.

mod allocation;
mod invoices;
mod overselling;
mod subscriptions;

use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use serde_json::{Value, json};

/// A second subscription for the org, through the operator API.
async fn second_subscription(app: &TestApp, org: &Org, plan: &str, seats: i64) -> String {
    let r = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            json!({"plan": plan, "seats": seats}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn subscription(app: &TestApp, org: &Org, sub: &str) -> Value {
    app.get(&org.path(&format!("/subscriptions/{sub}")), &org.admin)
        .await
        .ok()
        .clone()
}

fn team_in<'a>(view: &'a Value, team: &str) -> &'a Value {
    view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == team)
        .unwrap_or_else(|| panic!("{team} not in {view}"))
}

/// R14's invariant and the seat counters, checked on every subscription of the organization.
pub async fn assert_never_oversold(app: &TestApp, org: &Org) {
    let subs = app.get(&org.path("/subscriptions"), &org.admin).await;
    for s in subs.ok()["items"].as_array().unwrap() {
        let (seats, used, reserved) = (
            s["seats"].as_i64().unwrap(),
            s["used"].as_i64().unwrap(),
            s["reserved"].as_i64().unwrap(),
        );
        assert!(
            reserved <= seats,
            "Σ reservations {reserved} > pool {seats}: {s}"
        );
        assert!(used <= seats, "used {used} > pool {seats}: {s}");
        for t in s["teams"].as_array().unwrap() {
            if let Some(r) = t["reserved_seats"].as_i64() {
                assert!(
                    t["used"].as_i64().unwrap() <= r,
                    "reserved team over its reservation: {t}"
                );
            }
        }
        assert!(
            s["shared"]["used"].as_i64().unwrap() <= s["shared"]["size"].as_i64().unwrap(),
            "shared pool overflow: {s}"
        );
    }
    let mut c = app.store.read().await.unwrap();
    for (team, counter, counted) in
        switchboard_store::people::counted_seats(&mut c, &crate::helpers::typed(&org.id))
            .await
            .unwrap()
    {
        assert_eq!(counter, counted, "seat counter of {team} drifted");
    }
}
