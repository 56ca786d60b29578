//! R26 ingest: each event counted once (also when two instances take the same event at the
//! same moment), a bad event refused alone with its reason, concurrent batches with repeats
//! rolled up exactly.

use super::{call, day, send};
use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn r26_events_count_once_and_bad_ones_are_refused_alone(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let agent = "agent-usage@example.com";
    org.add(&app, &[agent])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (today, at) = day(0);
    let results = send(
        &app,
        &token,
        json!([
            call("c1", &at, 300),
            call("c1", &at, 300),
            {"id": "s1", "type": "app_start", "at": at},
            {"id": "bad", "type": "call", "ended_at": at, "duration_s": -5},
            {"id": "x", "type": "call", "ended_at": at, "duration_s": 5, "features_s": {"teleport": 5}},
            {"id": "late", "type": "call", "ended_at": "2099-01-01T00:00:00Z", "duration_s": 5},
            {"id": "long", "type": "call", "ended_at": at, "duration_s": 9_223_372_036_854_775_807_i64},
            {"type": "call"},
            call("c2", &at, 120),
        ]),
    )
    .await;
    let outcomes: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "accepted",
            "duplicate",
            "accepted",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "accepted"
        ]
    );
    assert!(
        results[3]["reason"]
            .as_str()
            .unwrap()
            .contains("negative duration")
    );
    assert!(
        results[4]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown feature")
    );
    assert!(results[5]["reason"].as_str().unwrap().contains("future"));
    assert!(
        results[6]["reason"]
            .as_str()
            .unwrap()
            .contains("longer than a day")
    );
    assert!(results[7]["reason"].as_str().unwrap().contains("id"));
    // Sent again from a second instance, at the same moment as from the first: still once.
    let second = app.second_instance().await;
    let (a, b) = tokio::join!(
        send(&app, &token, json!([call("c3", &at, 60)])),
        send(&second, &token, json!([call("c3", &at, 60)]))
    );
    let mut both = [a[0]["outcome"].clone(), b[0]["outcome"].clone()];
    both.sort_by_key(|v| v.to_string());
    assert_eq!(both, [json!("accepted"), json!("duplicate")]);

    let figures = app
        .get(
            &org.path(&format!("/analytics/teams?from={today}&to={today}")),
            &org.admin,
        )
        .await;
    let team = figures.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(team["calls"], 3, "{team}");
    assert_eq!(team["call_minutes"], 8.0, "300 + 120 + 60 seconds");
    assert_eq!(team["active_users"], 1);
    assert_eq!(team["feature_minutes"]["accent_conversion"], 4.0);
    assert_eq!(team["previous"]["calls"], 0);
    assert!(team["adoption"].as_f64().unwrap() > 0.0);
}

/// R26, as a property: random batches with repeats, sent by several clients at once (to two
/// instances), leave rollups equal to what the raw events add up to — each event counted once.
async fn r26_concurrent_batches_with_repeats_roll_up_exactly(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let agent = "agent-property@example.com";
    org.add(&app, &[agent])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let token = app_sign_in(&app, agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.second_instance().await;
    // 60 distinct events over 5 days; each client sends a random selection, repeats included.
    let events: Vec<Value> = (0..60)
        .map(|i| {
            let (_, at) = day(i % 5);
            call(&format!("p{i}"), &at, 30 + i * 7)
        })
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut batches = Vec::new();
    for _ in 0..8 {
        let n = 20 + (next() % 40) as usize;
        let batch: Vec<Value> = (0..n)
            .map(|_| events[(next() % 60) as usize].clone())
            .collect();
        batches.push(batch);
    }
    let sent: std::collections::BTreeSet<String> = batches
        .iter()
        .flatten()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let mut tasks = Vec::new();
    for (i, batch) in batches.into_iter().enumerate() {
        let target = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.base.clone()
        };
        let client = app.client.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{target}/app/v1/usage"))
                .bearer_auth(&token)
                .json(&json!({"events": batch}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.json::<Value>().await.unwrap();
            assert_eq!(status, 200, "{body}");
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["outcome"] == "accepted")
                .count()
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.unwrap();
    }
    assert_eq!(
        accepted,
        sent.len(),
        "each distinct event accepted exactly once"
    );
    // The rollups equal the raw events, summed.
    let (calls, seconds) = events
        .iter()
        .filter(|e| sent.contains(e["id"].as_str().unwrap()))
        .fold((0, 0), |(c, s), e| {
            (c + 1, s + e["duration_s"].as_i64().unwrap())
        });
    let (first, _) = day(4);
    let (last, _) = day(0);
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={first}&to={last}")),
            &org.admin,
        )
        .await;
    let team = r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == org.initial_team.as_str())
        .unwrap()
        .clone();
    assert_eq!(team["calls"], calls);
    assert_eq!(
        team["call_minutes"],
        ((seconds as f64 / 6.0).round() / 10.0)
    );
    assert_eq!(team["active_users"], 1);
    // The team rollups equal the subjects' days: sums per team and day, and each subject's span.
    let mut c = app.store.read().await.unwrap();
    for check in [
        // An aggregate over no rows is NULL: the sentinels make a row with nothing behind it
        // count as wrong.
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_days t WHERE t.org_id = $1 AND \
         (t.calls, t.call_seconds, t.app_starts) <> (SELECT COALESCE(SUM(s.calls), -1), \
          COALESCE(SUM(s.call_seconds), -1), COALESCE(SUM(s.app_starts), -1) FROM usage_subject_days s \
          WHERE s.org_id = t.org_id AND s.team_id = t.team_id AND s.day = t.day)",
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_subjects t WHERE t.org_id = $1 AND \
         (t.first_day, t.last_day) <> (SELECT COALESCE(MIN(s.day), ''), COALESCE(MAX(s.day), '') \
          FROM usage_subject_days s \
          WHERE s.org_id = t.org_id AND s.team_id = t.team_id AND s.subject_id = t.subject_id)",
    ] {
        let wrong: i64 = switchboard_store::sqlx::query_scalar(check)
            .bind(org.id.clone())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(wrong, 0, "{check}");
    }
    let rows: i64 = switchboard_store::sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_team_days WHERE org_id = $1",
    )
    .bind(org.id.clone())
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(rows, 5, "one row per day of the five");
}

db_tests!(
    r26_events_count_once_and_bad_ones_are_refused_alone,
    r26_concurrent_batches_with_repeats_roll_up_exactly,
);
