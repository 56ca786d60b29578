//! The database itself refuses what the domain can't hold (CHECK constraints on PostgreSQL,
//! triggers on SQLite; foreign keys on PostgreSQL), so a bug or a hand-written fix in SQL can't
//! leave a row the store would later fail to decode.

use crate::db_tests;
use crate::helpers::TestApp;

/// Runs one statement in its own transaction and says whether the database accepted it.
async fn accepted(app: &TestApp, sql: &str) -> bool {
    let mut tx = app.store.write().await.unwrap();
    let ok = sqlx::query(sql).execute(&mut *tx).await.is_ok();
    ok && tx.commit().await.is_ok()
}

async fn database_refuses_values_outside_the_domain(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let (o, t, u) = (&org.id, &org.initial_team, &org.admin_user);
    let refused = [
        format!("UPDATE teams SET login_type = 'kiosk' WHERE org_id = '{o}' AND id = '{t}'"),
        format!("UPDATE teams SET seats_used = -1 WHERE org_id = '{o}' AND id = '{t}'"),
        format!("UPDATE teams SET reserved_seats = -5 WHERE org_id = '{o}' AND id = '{t}'"),
        format!(
            "UPDATE memberships SET team_role = 'owner' WHERE org_id = '{o}' AND user_id = '{u}'"
        ),
        format!("UPDATE memberships SET app_access = 2 WHERE org_id = '{o}' AND user_id = '{u}'"),
        format!(
            "UPDATE org_members SET org_role = 'root' WHERE org_id = '{o}' AND user_id = '{u}'"
        ),
        format!("UPDATE subscriptions SET status = 'paused' WHERE org_id = '{o}'"),
        format!("UPDATE subscriptions SET period = 'weekly' WHERE org_id = '{o}'"),
        format!("UPDATE subscriptions SET seats = -1 WHERE org_id = '{o}'"),
    ];
    for sql in &refused {
        assert!(!accepted(&app, sql).await, "the database accepted: {sql}");
    }
    // Values inside the domain still pass, and nothing above changed the organization.
    let ok = format!("UPDATE teams SET reserved_seats = NULL WHERE org_id = '{o}' AND id = '{t}'");
    assert!(accepted(&app, &ok).await);
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    for team in teams.ok()["items"].as_array().unwrap() {
        assert!(["email", "device"].contains(&team["login_type"].as_str().unwrap()));
        assert!(team["seats_used"].as_i64().unwrap() >= 0);
    }
    assert_eq!(app.broken_audit_entry(o).await, None);
}

db_tests!(database_refuses_values_outside_the_domain);
