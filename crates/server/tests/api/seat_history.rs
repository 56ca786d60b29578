//! R30: the seat history — a row per subscription, team and day, taken by
//! `switchboard seats snapshot --at`, never overwritten — and the forecast on the subscription,
//! checked against a series whose answer is known.

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use serde_json::{Value, json};

fn day_in(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.date().to_string()
}

fn noon_in(days: i64) -> String {
    format!("{}T12:00:00Z", day_in(days))
}

async fn snapshot(app: &TestApp, org: &Org, at: &str) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["seats", "snapshot", "--org", &org.id, "--at", at])
        .env("DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_MAIL", "file:/dev/null")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

async fn history(app: &TestApp, org: &Org, token: &str, query: &str) -> Vec<Value> {
    app.get(
        &org.path(&format!(
            "/subscriptions/{}/seat-history{query}",
            org.subscription
        )),
        token,
    )
    .await
    .ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn r30_history_rows_per_day_and_a_day_is_never_overwritten(app: TestApp) {
    let org = app.established_org(20).await;
    app.cover_team(&org.id, &org.second_team, &org.subscription, Some(5))
        .await;
    let (d1, d2, d3) = (day_in(-3), day_in(-2), day_in(-1));
    // Two teams and the whole subscription: three rows a day.
    assert!(
        snapshot(&app, &org, &noon_in(-3))
            .await
            .starts_with("3 seat history")
    );
    app.add_users(
        &org.id,
        &org.admin,
        &org.initial_team,
        "member",
        &["a@h.example", "b@h.example"],
        Some(true),
    )
    .await
    .ok();
    assert!(
        snapshot(&app, &org, &noon_in(-2))
            .await
            .starts_with("3 seat history")
    );
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &["c@h.example"],
        Some(true),
    )
    .await
    .ok();
    // The same day again writes nothing: its first snapshot stays.
    assert!(
        snapshot(&app, &org, &noon_in(-2))
            .await
            .starts_with("0 seat history")
    );
    snapshot(&app, &org, &noon_in(-1)).await;

    let rows = history(&app, &org, &org.admin, &format!("?from={d1}&to={d3}")).await;
    assert_eq!(rows.len(), 9, "{rows:?}");
    let whole = |day: &str| {
        rows.iter()
            .find(|r| r["day"] == day && r["team_id"].is_null())
            .unwrap()
            .clone()
    };
    let team = |day: &str, t: &str| {
        rows.iter()
            .find(|r| r["day"] == day && r["team_id"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(
        [&d1, &d2, &d3].map(|d| whole(d)["used"].as_i64().unwrap()),
        [1, 3, 4],
        "the admin, then two more, then one in the second team"
    );
    for d in [&d1, &d2, &d3] {
        assert_eq!(whole(d)["pool"], 20);
        assert_eq!(whole(d)["reserved"], 5);
        assert_eq!(team(d, &org.second_team)["reserved"], 5);
    }
    assert_eq!(team(&d3, &org.second_team)["used"], 1);
    // Added by an admin without signing in: invited, never used the app.
    assert_eq!(team(&d3, &org.initial_team)["pending_invitations"], 2);
    assert_eq!(whole(&d3)["never_used"], 4);
    assert_eq!(whole(&d3)["active_7d"], 0);

    // A narrower window, CSV, and who may read it.
    assert_eq!(
        history(&app, &org, &org.admin, &format!("?from={d2}&to={d2}"))
            .await
            .len(),
        3
    );
    let csv = app
        .get(
            &org.path(&format!(
                "/subscriptions/{}/seat-history?from={d1}&to={d3}&format=csv",
                org.subscription
            )),
            &org.admin,
        )
        .await;
    assert!(
        csv.text.starts_with(
            "day,team_id,pool,reserved,used,active_7d,active_28d,pending_invitations,never_used"
        ),
        "{}",
        csv.text
    );
    assert_eq!(csv.text.lines().count(), 10);
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "an@h.example", "role": "org_analyst"}),
    )
    .await
    .ok();
    let analyst = app.sign_in("an@h.example").await;
    assert_eq!(
        history(&app, &org, &analyst, &format!("?from={d1}&to={d3}"))
            .await
            .len(),
        9
    );
    let member = app.sign_in("a@h.example").await;
    app.get(
        &org.path(&format!("/subscriptions/{}/seat-history", org.subscription)),
        &member,
    )
    .await
    .problem(403, "forbidden");
    for bad in [
        "?from=yesterday",
        &format!("?from={d3}&to={d1}"),
        "?from=2020-01-01&to=2026-01-01",
    ] {
        app.get(
            &org.path(&format!(
                "/subscriptions/{}/seat-history{bad}",
                org.subscription
            )),
            &org.admin,
        )
        .await
        .problem(422, "validation_failed");
    }
    let other = app.established_org(5).await;
    app.get(
        &org.path(&format!(
            "/subscriptions/{}/seat-history",
            other.subscription
        )),
        &org.admin,
    )
    .await
    .problem(404, "not_found");
}

/// Writes the whole subscription's `used` for the days ending today.
async fn series(app: &TestApp, org: &Org, used: &[i64]) {
    let mut tx = app.store.write().await.unwrap();
    let n = used.len() as i64;
    for (i, u) in used.iter().enumerate() {
        switchboard_store::sqlx::query(
            "INSERT INTO seat_history (org_id, subscription_id, day, team_id, pool, reserved, used, \
             active_7d, active_28d, pending_invitations, never_used) \
             VALUES ($1, $2, $3, '', 40, 0, $4, 0, 0, 0, 0)",
        )
        .bind(org.id.as_str())
        .bind(org.subscription.as_str())
        .bind(day_in(i as i64 - n + 1))
        .bind(*u)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn r30_the_forecast_names_the_day_from_a_known_series(app: TestApp) {
    let org = app.established_org(40).await;
    let sub = org.path(&format!("/subscriptions/{}", org.subscription));
    // No history yet: no date.
    let view = app.get(&sub, &org.admin).await;
    assert_eq!(view.ok()["forecast"]["exhausted_on"], Value::Null);
    assert_eq!(view.ok()["forecast"]["basis_days"], 0);
    // 20 days from 5 up by one a day: 24 today, 16 days to 40.
    series(&app, &org, &(5..25).collect::<Vec<_>>()).await;
    let view = app.get(&sub, &org.admin).await;
    let f = view.ok()["forecast"].clone();
    assert_eq!(
        f,
        json!({"exhausted_on": day_in(16), "seats_per_week": 7.0, "basis_days": 20})
    );
    assert!(
        !view.ok()["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "pool_running_out"),
        "16 days away is no warning yet"
    );
}

async fn r30_a_pool_running_out_within_two_weeks_is_a_warning(app: TestApp) {
    let org = app.established_org(40).await;
    // 3 a day from 0: 57 today would be past 40; the line says today.
    series(&app, &org, &(0..20).map(|i| 3 * i).collect::<Vec<_>>()).await;
    let view = app
        .get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &org.admin,
        )
        .await;
    assert_eq!(view.ok()["forecast"]["exhausted_on"], day_in(0));
    let w = view.ok()["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "pool_running_out")
        .cloned()
        .unwrap_or_else(|| panic!("{}", view.text));
    assert!(w["message"].as_str().unwrap().contains(&day_in(0)), "{w}");
}

async fn r30_org_admins_hear_once_a_week_when_a_pool_runs_out(app: TestApp) {
    let org = app.established_org(40).await;
    series(&app, &org, &(0..20).map(|i| 3 * i).collect::<Vec<_>>()).await;
    let running_out = |mails: &[Value]| {
        mails
            .iter()
            .filter(|m| {
                m["to"] == org.admin_email.as_str()
                    && m["subject"]
                        .as_str()
                        .unwrap()
                        .contains("is running out of seats")
            })
            .count()
    };
    snapshot(&app, &org, &noon_in(0)).await;
    let mails = app.mails().await;
    assert_eq!(running_out(&mails), 1, "{mails:?}");
    let body = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("running out"))
        .unwrap()["body"]
        .clone();
    assert!(body.as_str().unwrap().contains(&day_in(0)), "{body}");
    // The next run the same week says nothing new.
    snapshot(&app, &org, &noon_in(0)).await;
    assert_eq!(running_out(&app.mails().await), 1);
}

db_tests!(
    r30_org_admins_hear_once_a_week_when_a_pool_runs_out,
    r30_history_rows_per_day_and_a_day_is_never_overwritten,
    r30_the_forecast_names_the_day_from_a_known_series,
    r30_a_pool_running_out_within_two_weeks_is_a_warning,
);
