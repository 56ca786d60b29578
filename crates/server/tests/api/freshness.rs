//! R19 across instances: a change made on one instance is applied by every other within the
//! freshness bound (100 ms with the default 50 ms poll) — through PostgreSQL's notifications, and
//! through the poll alone when notifications are off or lost (the listening connection killed),
//! and for a refusal kept without a version (a token in no team yet, until a team is chosen).
//! Each change is timed from the writer's answer to the first answer of the other instance that
//! shows it, over many changes; the worst must be under the bound.

use crate::apps::{app_sign_in, entitlement};
use crate::db_tests;
use crate::helpers::{Org, Resp, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};

/// The freshness bound of the default configuration (twice the 50 ms version poll).
const BOUND: Duration = Duration::from_millis(100);

/// Asks `app` for the entitlement until `done` holds, and answers that response (2 s at most).
pub async fn eventually(
    app: &TestApp,
    token: &str,
    etag: Option<&str>,
    done: impl Fn(&Resp) -> bool,
) -> Resp {
    let t0 = Instant::now();
    loop {
        let r = entitlement(app, token, etag).await;
        if done(&r) {
            return r;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "not seen within 2 s: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// An agent of the org's initial team, signed in to the app: their token.
async fn agent(app: &TestApp, org: &Org) -> String {
    crate::usage_input::agent_token(app, org, "fresh-agent@example.com").await
}

/// `n` changes on `a` (agent assist on, off, …), each timed until `b` answers with it.
async fn changes_seen(a: &TestApp, b: &TestApp, org: &Org, token: &str, n: usize) -> Vec<Duration> {
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    let mut seen = Vec::with_capacity(n);
    for i in 0..n {
        let want = i % 2 == 0;
        a.patch(&path, &org.admin, json!({ "agent_assist": want }))
            .await
            .ok();
        // Committed: the writer answered.
        let t0 = Instant::now();
        eventually(b, token, None, |r| {
            r.body["settings"]["agent_assist"] == want
        })
        .await;
        seen.push(t0.elapsed());
    }
    seen.sort();
    seen
}

fn report(what: &str, seen: &[Duration]) -> Duration {
    let worst = *seen.last().unwrap();
    eprintln!(
        "{what}: {} changes, median {:?}, worst {worst:?} (bound {BOUND:?})",
        seen.len(),
        seen[seen.len() / 2]
    );
    worst
}

async fn r19_every_instance_applies_a_change_within_the_bound(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent(&app, &org).await;
    let b = app.second_instance().await;
    entitlement(&b, &token, None).await.ok();
    let seen = changes_seen(&app, &b, &org, &token, 100).await;
    let worst = report(&format!("{} across instances", app.backend()), &seen);
    assert!(worst < BOUND, "worst {worst:?} over the bound");
    // The writer's own instance answers from the change at once.
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    for want in [true, false, true] {
        app.patch(&path, &org.admin, json!({ "agent_assist": want }))
            .await
            .ok();
        let r = entitlement(&app, &token, None).await;
        assert_eq!(r.ok()["settings"]["agent_assist"], want);
    }
}

async fn r19_the_poll_keeps_the_bound_when_notifications_are_lost(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent(&app, &org).await;
    // An instance that never listens: the poll alone.
    let deaf = app
        .second_instance_with(switchboard_service::Config {
            listen_for_changes: false,
            ..TestApp::config()
        })
        .await;
    entitlement(&deaf, &token, None).await.ok();
    let seen = changes_seen(&app, &deaf, &org, &token, 60).await;
    let worst = report(&format!("{} by the poll alone", app.backend()), &seen);
    assert!(worst < BOUND, "worst {worst:?} over the bound");
    if app.backend() != "postgres" {
        eprintln!("SQLite has no notifications to lose: the poll alone is what it uses");
        return;
    }
    // A listening instance whose listening connection is killed before every change.
    let b = app.second_instance().await;
    entitlement(&b, &token, None).await.ok();
    let mut seen = Vec::new();
    for round in 0..20 {
        let killed = kill_listeners(&app).await;
        if round == 0 {
            assert!(
                killed > 0,
                "the listener's connection is in pg_stat_activity"
            );
        }
        seen.extend(changes_seen(&app, &b, &org, &token, 1).await);
    }
    seen.sort();
    let worst = report(
        "postgres with its listener killed before each change",
        &seen,
    );
    assert!(worst < BOUND, "worst {worst:?} over the bound");
}

/// A token in no team yet gets a 409 that is kept without an organization version: choosing a
/// team applies at once on the instance that took the choice, and within the bound on another.
async fn r19_a_team_chosen_on_one_instance_applies_on_another_within_the_bound(app: TestApp) {
    let org = app.org().seats(30).established().await;
    app.allocate_team(&org, &org.second_team).await;
    let b = app.second_instance().await;
    let mut seen = Vec::new();
    for i in 0..10 {
        let email = format!("undecided{i}@example.com");
        for team in [&org.initial_team, &org.second_team] {
            org.add(&app, &[&email])
                .to(team)
                .as_member()
                .with_access()
                .await
                .ok();
        }
        let s = app_sign_in(&app, &email, None).await;
        let token = s.ok()["token"].as_str().unwrap().to_owned();
        // Both instances answer (and keep) the refusal.
        for instance in [&app, &b] {
            entitlement(instance, &token, None)
                .await
                .problem(409, "team_choice_required");
        }
        app.post(
            &format!("/app/v1/teams/{}/select", org.second_team),
            &token,
            json!({}),
        )
        .await
        .ok();
        let t0 = Instant::now();
        assert_eq!(
            entitlement(&app, &token, None).await.ok()["team"]["id"],
            org.second_team.as_str()
        );
        eventually(&b, &token, None, |r| r.status == 200).await;
        seen.push(t0.elapsed());
    }
    seen.sort();
    let worst = report(
        &format!("{} team choices across instances", app.backend()),
        &seen,
    );
    assert!(worst < BOUND, "worst {worst:?} over the bound");
}

/// After a change, an app's concurrent requests rebuild its answer once, not once each: the
/// others wait for that rebuild and answer from it.
async fn r19_a_change_rebuilds_an_apps_answer_once_however_many_ask(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let token = agent(&app, &org).await;
    entitlement(&app, &token, None).await.ok();
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    for want in [true, false, true] {
        let before = rebuilds(&app).await;
        app.patch(&path, &org.admin, json!({ "agent_assist": want }))
            .await
            .ok();
        let asks = (0..32).map(|_| entitlement(&app, &token, None));
        for r in futures::future::join_all(asks).await {
            assert_eq!(r.ok()["settings"]["agent_assist"], want);
        }
        assert_eq!(
            rebuilds(&app).await - before,
            1,
            "one rebuild for 32 requests"
        );
    }
}

/// `entitlement_rebuilds_total` from the instance's metrics (0 before the first). The counter is
/// the process's: exact under nextest (a process per test, as `scripts/test` runs the suite),
/// shared with concurrent tests under plain `cargo test`.
async fn rebuilds(app: &TestApp) -> u64 {
    let m = app.call(reqwest::Method::GET, "/metrics", None, None).await;
    m.text
        .lines()
        .find_map(|l| l.strip_prefix("entitlement_rebuilds_total "))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// Terminates every listening connection (waiting up to 2 s for one to exist); how many.
async fn kill_listeners(app: &TestApp) -> i64 {
    let t0 = Instant::now();
    loop {
        let mut c = app.store.read().await.unwrap();
        let killed: i64 = switchboard_store::sqlx::query_scalar(
            "SELECT CAST(COUNT(pg_terminate_backend(pid)) AS BIGINT) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(switchboard_store::changes::APPLICATION_NAME)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        if killed > 0 || t0.elapsed() > Duration::from_secs(2) {
            return killed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_tests!(
    r19_every_instance_applies_a_change_within_the_bound,
    r19_the_poll_keeps_the_bound_when_notifications_are_lost,
    r19_a_team_chosen_on_one_instance_applies_on_another_within_the_bound,
    r19_a_change_rebuilds_an_apps_answer_once_however_many_ask,
);
