//! Crash safety: the real binary killed with SIGKILL in the middle of a bulk add and of a
//! subscription move, again and again, leaves nothing half written — each change is all there or
//! not at all, seat counters equal a fresh count, and `switchboard audit verify` finds the audit
//! chain intact.

use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use serde_json::json;
use std::time::Duration;

/// `switchboard serve` over the test's database, on a port of its own.
struct Served {
    child: tokio::process::Child,
    base: String,
}

async fn serve(app: &TestApp) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env(
            "SWITCHBOARD_MAIL",
            format!(
                "file:{}",
                app.mail_file.with_file_name("crash-mail.jsonl").display()
            ),
        )
        .env("SWITCHBOARD_OPERATOR_TOKEN", OPERATOR_TOKEN)
        .env("SWITCHBOARD_SECRET_KEY", "k")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if app
            .client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Served { child, base };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("switchboard serve did not come up");
}

impl Served {
    /// SIGKILL: no shutdown, no flush, nothing after.
    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        let _ = self.child.wait().await;
    }
}

/// Runs `switchboard audit verify --org …` and answers whether it passed.
fn audit_verify(app: &TestApp, org: &str) -> bool {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["audit", "verify", "--org", org])
        .env("DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_SECRET_KEY", "k")
        .output()
        .unwrap();
    out.status.success()
}

/// Seat counters equal a fresh count of seat holders, team by team.
async fn assert_counters_exact(app: &TestApp, org: &Org) {
    let mut c = app.store.read().await.unwrap();
    for (team, counter, counted) in
        switchboard_store::people::counted_seats(&mut c, &crate::helpers::typed(&org.id))
            .await
            .unwrap()
    {
        assert_eq!(counter, counted, "seat counter of {team}");
    }
}

async fn member_count(app: &TestApp, org: &Org, team: &str) -> i64 {
    let mut c = app.store.read().await.unwrap();
    switchboard_store::orgs::member_count(
        &mut c,
        &crate::helpers::typed(&org.id),
        &crate::helpers::typed(team),
    )
    .await
    .unwrap()
}

async fn r6_r25_sigkill_mid_bulk_add_leaves_all_or_nothing(app: TestApp) {
    let org = app.org().seats(20_000).established().await;
    let mut expected = member_count(&app, &org, &org.initial_team).await;
    for (round, delay_ms) in [1u64, 3, 8, 15, 30, 60].into_iter().enumerate() {
        let server = serve(&app).await;
        let emails: Vec<String> = (0..1000)
            .map(|i| format!("r{round}-agent{i}@example.com"))
            .collect();
        let body = json!({"team_id": org.initial_team, "team_role": "member", "emails": emails, "app_access": true});
        let req = app
            .client
            .post(format!("{}{}", server.base, org.path("/users")))
            .bearer_auth(&org.admin)
            .json(&body)
            .send();
        let answered = tokio::select! {
            r = req => r.ok().map(|r| r.status()),
            _ = tokio::time::sleep(Duration::from_millis(delay_ms)) => None,
        };
        server.kill().await;
        // A COMMIT the killed server had already sent may still land a moment later: read
        // until two readings agree.
        let mut now = member_count(&app, &org, &org.initial_team).await;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let again = member_count(&app, &org, &org.initial_team).await;
            if again == now {
                break;
            }
            now = again;
        }
        assert!(
            now == expected || now == expected + 1000,
            "round {round}: {expected} → {now}: half written"
        );
        if answered.is_some_and(|s| s.is_success()) {
            assert_eq!(now, expected + 1000, "an answered add is durable");
        }
        expected = now;
        assert_counters_exact(&app, &org).await;
        assert!(
            audit_verify(&app, &org.id),
            "audit verify after round {round}"
        );
    }
}

async fn r16_r25_sigkill_mid_subscription_move_leaves_the_team_in_one_place(app: TestApp) {
    let org = app.org().seats(50).established().await;
    let r = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            json!({"plan": "enterprise", "seats": 50}),
        )
        .await;
    let other = r.ok()["id"].as_str().unwrap().to_owned();
    app.allocate_team(&org, &org.second_team).await;
    org.add(&app, &["m1@example.com", "m2@example.com"])
        .to(&org.second_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let subs = [org.subscription.clone(), other.clone()];
    for (round, delay_ms) in [0u64, 1, 2, 4, 8, 16, 32].into_iter().enumerate() {
        let server = serve(&app).await;
        let team = app
            .get(
                &org.path(&format!("/teams/{}", org.second_team)),
                &org.admin,
            )
            .await;
        let from = team.ok()["subscription_id"].as_str().unwrap().to_owned();
        let to = if from == subs[0] { &subs[1] } else { &subs[0] };
        let url = format!(
            "{}{}",
            server.base,
            org.path(&format!(
                "/subscriptions/{from}/teams/{}/move",
                org.second_team
            ))
        );
        let req = app
            .client
            .post(url)
            .bearer_auth(&org.admin)
            .json(&json!({"to_subscription_id": to}))
            .send();
        tokio::select! {
            _ = req => {},
            _ = tokio::time::sleep(Duration::from_millis(delay_ms)) => {},
        }
        server.kill().await;
        // A COMMIT the killed server had already sent still lands on PostgreSQL a moment later:
        // read until two readings agree, so placement and log come from one settled state.
        let read = || async {
            let team = app
                .get(
                    &org.path(&format!("/teams/{}", org.second_team)),
                    &org.admin,
                )
                .await;
            let now = team.ok()["subscription_id"].as_str().unwrap().to_owned();
            let log = app
                .get(
                    &org.path(&format!(
                        "/audit-log?action=subscription.team_move&target={}&limit=500",
                        org.second_team
                    )),
                    &org.admin,
                )
                .await;
            (now, log.ok()["items"].as_array().unwrap().len())
        };
        let mut settled = read().await;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let again = read().await;
            if again == settled {
                break;
            }
            settled = again;
        }
        // In exactly one subscription, and the log's moves say which.
        let (now, moves) = settled;
        assert!(subs.contains(&now), "round {round}");
        assert_eq!(
            now == subs[1],
            moves % 2 == 1,
            "round {round}: placement and log agree"
        );
        for s in &subs {
            let view = app
                .get(&org.path(&format!("/subscriptions/{s}")), &org.admin)
                .await;
            let holds = view.ok()["teams"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["team_id"] == org.second_team.as_str());
            assert_eq!(
                holds,
                *s == now,
                "round {round}: the team is listed by its subscription only"
            );
        }
        assert_counters_exact(&app, &org).await;
        assert!(
            audit_verify(&app, &org.id),
            "audit verify after round {round}"
        );
    }
    // A tampered log is caught by the same command.
    app.allow_audit_tampering().await;
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq = 3")
        .bind(&org.id)
        .execute(&mut *c)
        .await
        .unwrap();
    assert!(
        !audit_verify(&app, &org.id),
        "a deleted entry fails audit verify"
    );
}

db_tests!(
    r6_r25_sigkill_mid_bulk_add_leaves_all_or_nothing,
    r16_r25_sigkill_mid_subscription_move_leaves_the_team_in_one_place
);
