//! R17 as a property: any sequence of seat-affecting requests (app-access toggles, bulk adds,
//! reservation changes, moves between subscriptions, removals, pool resizes) leaves every pool
//! within R14 after every step, and the seat counters equal to the memberships they count.

use crate::billing::assert_never_oversold;
use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Toggle(usize, bool),
    BulkAdd(usize, usize),
    Reserve(usize, Option<i64>),
    Move(usize),
    Remove(usize),
    Resize(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..15usize, any::<bool>()).prop_map(|(u, on)| Op::Toggle(u, on)),
        2 => (0..3usize, 1..5usize).prop_map(|(t, n)| Op::BulkAdd(t, n)),
        2 => (0..3usize, proptest::option::of(0..10i64)).prop_map(|(t, r)| Op::Reserve(t, r)),
        1 => (0..3usize).prop_map(Op::Move),
        1 => (0..15usize).prop_map(Op::Remove),
        1 => (4..20i64).prop_map(Op::Resize),
    ]
}

struct World {
    org: Org,
    subs: [String; 2],
    teams: [String; 3],
    users: Vec<String>,
    fresh: usize,
}

async fn world(app: &TestApp) -> World {
    let org = app.org().seats(12).established().await;
    let r = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            json!({"plan": "enterprise", "seats": 8}),
        )
        .await;
    let second_sub = r.ok()["id"].as_str().unwrap().to_owned();
    let t3 = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Retention", "login_type": "email"}),
        )
        .await;
    let t3 = t3.ok()["id"].as_str().unwrap().to_owned();
    app.allocate_team(&org, &org.second_team).await;
    app.put(
        &org.path(&format!("/subscriptions/{second_sub}/teams/{t3}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let teams = [org.initial_team.clone(), org.second_team.clone(), t3];
    let mut users = Vec::new();
    for i in 0..15 {
        let email = format!("u{i}@example.com");
        let r = org
            .add(app, &[&email])
            .to(&teams[i % 3])
            .as_member()
            .without_access()
            .await;
        users.push(TestApp::user_id_in(&r, &email));
    }
    World {
        subs: [org.subscription.clone(), second_sub],
        teams,
        users,
        fresh: 0,
        org,
    }
}

async fn apply(app: &TestApp, w: &mut World, op: &Op) -> u16 {
    let org = &w.org;
    let r = match op {
        Op::Toggle(u, on) => {
            let path = org.path(&format!(
                "/users/{}/memberships/{}",
                w.users[*u],
                w.teams[u % 3]
            ));
            app.patch(&path, &org.admin, json!({"app_access": on}))
                .await
        }
        Op::BulkAdd(t, n) => {
            let emails: Vec<String> = (0..*n)
                .map(|k| format!("fresh{}-{k}@example.com", w.fresh))
                .collect();
            w.fresh += 1;
            let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
            org.add(app, &refs)
                .to(&w.teams[*t])
                .as_member()
                .with_access()
                .await
        }
        Op::Reserve(t, r) => {
            let team = app
                .get(&org.path(&format!("/teams/{}", w.teams[*t])), &org.admin)
                .await;
            let sub = team.ok()["subscription_id"].as_str().unwrap().to_owned();
            app.put(
                &org.path(&format!("/subscriptions/{sub}/teams/{}", w.teams[*t])),
                &org.admin,
                json!({"reserved_seats": r}),
            )
            .await
        }
        Op::Move(t) => {
            let team = app
                .get(&org.path(&format!("/teams/{}", w.teams[*t])), &org.admin)
                .await;
            let sub = team.ok()["subscription_id"].as_str().unwrap().to_owned();
            let to = if sub == w.subs[0] {
                &w.subs[1]
            } else {
                &w.subs[0]
            };
            let path = org.path(&format!("/subscriptions/{sub}/teams/{}/move", w.teams[*t]));
            app.post(&path, &org.admin, json!({"to_subscription_id": to}))
                .await
        }
        Op::Remove(u) => {
            app.delete(
                &org.path(&format!(
                    "/users/{}/memberships/{}",
                    w.users[*u],
                    w.teams[u % 3]
                )),
                &org.admin,
            )
            .await
        }
        Op::Resize(n) => {
            app.patch(
                &format!("/operator/v1/subscriptions/{}", w.subs[0]),
                OPERATOR_TOKEN,
                json!({"seats": n}),
            )
            .await
        }
    };
    r.status.as_u16()
}

async fn run(app: TestApp, ops: Vec<Op>) {
    let mut w = world(&app).await;
    assert_never_oversold(&app, &w.org).await;
    for op in &ops {
        let status = apply(&app, &mut w, op).await;
        assert!(status < 500, "{op:?} answered {status}");
        assert_never_oversold(&app, &w.org).await;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, max_shrink_iters: 50, ..ProptestConfig::default() })]

    #[test]
    fn r17_random_sequences_never_oversell_sqlite(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(async { run(TestApp::sqlite().await, ops).await });
    }

    #[test]
    #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set at build time")]
    fn r17_random_sequences_never_oversell_postgres(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(async { run(TestApp::postgres_required().await, ops).await });
    }
}
