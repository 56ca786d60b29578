//! R22: no two setting policies set one key of one team: an edit of a policy's values that would is
//! refused and changes nothing, and of concurrent conflicting applies exactly one gets through.

use super::{audit_log, id_of, items, new_team};
use crate::db_tests;
use crate::helpers::{Resp, TestApp};
use serde_json::json;
use std::collections::BTreeMap;

async fn r22_editing_values_into_a_conflict_is_refused_and_changes_nothing(app: TestApp) {
    let org = app.org().seats(5).established().await;
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
    let org = app.org().seats(5).established().await;
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

/// R21: a policy whose stored values can't be read is an error wherever it would apply — never a
/// policy that silently locks nothing — and the problem names no stored text.
async fn r21_a_policy_that_cannot_be_read_locks_by_error_not_by_silence(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let p = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "No recording", "values": {"agent_assist": false},
                "team_ids": [org.initial_team]}),
        )
        .await;
    let p = id_of(&p);
    let settings = org.path(&format!("/teams/{}/settings", org.initial_team));
    app.get(&settings, &org.admin).await.ok();
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query("UPDATE policies SET values_json = $2 WHERE id = $1")
        .bind(&p)
        .bind("{\"agent_assist\": fals")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    for path in [settings.clone(), org.path(&format!("/policies/{p}"))] {
        let r = app.get(&path, &org.admin).await;
        assert_eq!(r.status.as_u16(), 500, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "internal", "{}", r.text);
        assert!(
            !r.text.contains("fals"),
            "the stored text is not quoted: {}",
            r.text
        );
    }
    // Deleting it is how it is fixed; its entry keeps the stored text.
    let r = app
        .delete(&org.path(&format!("/policies/{p}")), &org.admin)
        .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    app.get(&settings, &org.admin).await.ok();
    let log = audit_log(&app, &org).await;
    let last = log.last().unwrap();
    assert_eq!(last["action"], "policy.delete", "{last}");
    assert!(last["before"].to_string().contains("unreadable"), "{last}");
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(
    r21_a_policy_that_cannot_be_read_locks_by_error_not_by_silence,
    r22_editing_values_into_a_conflict_is_refused_and_changes_nothing,
    r22_concurrent_conflicting_applies_let_exactly_one_through,
);
