//! R25: every change is in the audit log, chained by hash, filterable, exportable as CSV.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn r25_every_mutation_is_audited_in_a_verifiable_chain(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = org
        .add(&app, &["a@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await;
    let user = TestApp::user_id_in(&r, "a@example.com");
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{}", org.initial_team)),
        &org.admin,
        json!({"team_role": "team_admin"}),
    )
    .await
    .ok();
    app.post(
        &org.path(&format!("/users/{user}/memberships")),
        &org.admin,
        json!({"team_id": org.second_team, "team_role": "member"}),
    )
    .await
    .ok();
    app.delete(
        &org.path(&format!("/users/{user}/memberships/{}", org.second_team)),
        &org.admin,
    )
    .await
    .ok();
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "a@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    app.patch(
        &org.path(&format!("/admins/{user}")),
        &org.admin,
        json!({"role": "org_admin"}),
    )
    .await
    .ok();
    app.delete(&org.path(&format!("/admins/{user}")), &org.admin)
        .await;
    app.patch(
        &org.path(&format!("/teams/{}", org.second_team)),
        &org.admin,
        json!({"name": "Renamed"}),
    )
    .await
    .ok();
    let t = app
        .post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": "Temp", "login_type": "email"}),
        )
        .await;
    app.delete(
        &org.path(&format!("/teams/{}", t.ok()["id"].as_str().unwrap())),
        &org.admin,
    )
    .await;
    app.delete(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    // A refused change writes nothing.
    app.delete(
        &org.path(&format!("/admins/{}", org.admin_user)),
        &org.admin,
    )
    .await
    .problem(409, "last_org_admin");

    let log = app.get(&org.path("/audit-log?limit=500"), &org.admin).await;
    let actions: Vec<&str> = log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "org.provision",
            // The Org Admin signing in to make the changes below.
            "signin.portal",
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
            "team.create",
            "team.delete",
            "user.remove_from_org",
        ]
    );
    let update = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "team.update")
        .unwrap();
    assert_eq!(update["before"]["name"], "Sales EU");
    assert_eq!(update["after"]["name"], "Renamed");
    assert_eq!(update["actor"], org.admin_user.as_str());
    assert!(update["request_id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
    // Changing any entry breaks the chain from there.
    app.allow_audit_tampering().await;
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query(
        "UPDATE audit_log SET after_json = '{}' WHERE org_id = $1 AND seq = 5",
    )
    .bind(&org.id)
    .execute(&mut *c)
    .await
    .unwrap();
    assert_eq!(app.broken_audit_entry(&org.id).await, Some(5));
}

async fn r25_audit_log_filters_paginates_and_exports_csv(app: TestApp) {
    let org = app.org().seats(20).established().await;
    for i in 0..5 {
        app.post(
            &org.path("/teams"),
            &org.admin,
            json!({"name": format!("T{i}"), "login_type": "email"}),
        )
        .await
        .ok();
    }
    let creates = app
        .get(&org.path("/audit-log?action=team.create"), &org.admin)
        .await;
    assert_eq!(creates.ok()["items"].as_array().unwrap().len(), 6);
    let by_operator = app
        .get(&org.path("/audit-log?actor=operator"), &org.admin)
        .await;
    assert_eq!(by_operator.ok()["items"].as_array().unwrap().len(), 1);
    let on_org = app
        .get(
            &org.path(&format!("/audit-log?target={}", org.id)),
            &org.admin,
        )
        .await;
    assert_eq!(
        on_org.ok()["items"].as_array().unwrap().len(),
        2,
        "provision and establish"
    );
    let future = app
        .get(
            &org.path("/audit-log?from=2999-01-01T00:00:00Z"),
            &org.admin,
        )
        .await;
    assert_eq!(future.ok()["items"].as_array().unwrap().len(), 0);
    let past = app
        .get(&org.path("/audit-log?to=2000-01-01T00:00:00Z"), &org.admin)
        .await;
    assert_eq!(past.ok()["items"].as_array().unwrap().len(), 0);
    let page1 = app.get(&org.path("/audit-log?limit=3"), &org.admin).await;
    let cursor = page1.ok()["next_cursor"].as_str().unwrap().to_owned();
    let page2 = app
        .get(
            &org.path(&format!("/audit-log?limit=3&cursor={cursor}")),
            &org.admin,
        )
        .await;
    let seqs: Vec<i64> = page1.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.ok()["items"].as_array().unwrap())
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    // Newest first: the Org Admin's sign-in, then the changes.
    assert_eq!(seqs, vec![9, 8, 7, 6, 5, 4]);
    let csv = app
        .get(
            &org.path("/audit-log?format=csv&action=team.create"),
            &org.admin,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "seq,id,at,actor,actor_name,action,target,target_name,summary,before,after,request_id,hash"
    );
    assert_eq!(lines.len(), 7);
    assert!(lines[1].contains(",team.create,"));
    assert!(
        lines[1].contains("\"{\"\""),
        "JSON cells are quoted: {}",
        lines[1]
    );
    for bad in ["from=yesterday", "limit=0", "cursor=abc", "format=xml"] {
        app.get(&org.path(&format!("/audit-log?{bad}")), &org.admin)
            .await
            .problem(422, "validation_failed");
    }
}

async fn r25_request_ids_are_the_servers_and_exports_are_safe_in_spreadsheets(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let forged = format!("=HYPERLINK(\"http://evil.example\"){}", "x".repeat(60_000));
    let r = app
        .client
        .post(format!("{}{}", app.base, org.path("/teams")))
        .bearer_auth(&org.admin)
        .header("x-request-id", &forged)
        .json(&json!({"name": "=SUM(A1)", "login_type": "email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ours = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(ours.starts_with("req_") && ours.len() < 40, "{ours}");
    let log = app
        .get(
            &org.path("/audit-log?action=team.create&limit=1"),
            &org.admin,
        )
        .await;
    let entry = &log.ok()["items"][0];
    assert_eq!(
        entry["request_id"],
        ours.as_str(),
        "the log keeps the server's id, not the client's"
    );
    assert_eq!(entry["target_name"], "=SUM(A1)");
    assert_eq!(entry["actor_name"], org.admin_email.as_str());
    let csv = app
        .get(
            &org.path("/audit-log?format=csv&action=team.create&limit=1"),
            &org.admin,
        )
        .await;
    assert!(
        csv.text.contains(",'=SUM(A1),"),
        "a formula is neutralized: {}",
        csv.text
    );
    assert!(!csv.text.contains("HYPERLINK"));
}

async fn r25_audit_filters_take_an_email_and_refuse_malformed_values(app: TestApp) {
    let org = app.org().seats(20).established().await;
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "T1", "login_type": "email"}),
    )
    .await
    .ok();
    let by_email = app
        .get(
            &org.path(&format!("/audit-log?actor={}", org.admin_email)),
            &org.admin,
        )
        .await;
    let items = by_email.ok()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["actor"] == org.admin_user.as_str()));
    let nobody = app
        .get(&org.path("/audit-log?actor=nobody@example.com"), &org.admin)
        .await;
    assert_eq!(nobody.ok()["items"].as_array().unwrap().len(), 0);
    for (bad, field) in [
        ("actor=Sales%20EU", "actor"),
        ("action=DROP%20TABLE", "action"),
        ("target=Sales%20EU", "target"),
    ] {
        let r = app
            .get(&org.path(&format!("/audit-log?{bad}")), &org.admin)
            .await;
        r.problem(422, "validation_failed");
        assert_eq!(r.body["field"], field);
    }
}

db_tests!(
    r25_every_mutation_is_audited_in_a_verifiable_chain,
    r25_audit_log_filters_paginates_and_exports_csv,
    r25_request_ids_are_the_servers_and_exports_are_safe_in_spreadsheets,
    r25_audit_filters_take_an_email_and_refuse_malformed_values
);
