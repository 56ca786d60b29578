//! R25: the chain catches tampering — an entry deleted in the middle breaks it, the newest
//! entries deleted show against the head, and the database refuses to change or delete an entry.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::rule_checks::{audit_log, new_team};

async fn r25_deleting_an_entry_in_the_middle_breaks_the_chain(app: TestApp) {
    let org = app.org().seats(20).established().await;
    for i in 0..6 {
        new_team(&app, &org, &format!("T{i}"), "email").await;
    }
    let log = audit_log(&app, &org).await;
    // Provisioning, the admin's sign-in, naming, the first team, six teams.
    assert_eq!(log.len(), 10);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
    app.allow_audit_tampering().await;
    let middle = 5i64;
    let mut c = app.store.read().await.unwrap();
    let gone =
        switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq = $2")
            .bind(&org.id)
            .bind(middle)
            .execute(&mut *c)
            .await
            .unwrap();
    assert_eq!(gone.rows_affected(), 1);
    drop(c);
    let broken = app.broken_audit_entry(&org.id).await;
    assert!(
        broken == Some(middle) || broken == Some(middle + 1),
        "a deleted entry {middle} shows as a break, got {broken:?}"
    );
    // The first entry too.
    let org2 = app.org().seats(20).established().await;
    new_team(&app, &org2, "T", "email").await;
    let mut c = app.store.read().await.unwrap();
    switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq = $2")
        .bind(&org2.id)
        .bind(1i64)
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    assert!(
        app.broken_audit_entry(&org2.id).await.is_some(),
        "a deleted first entry shows"
    );
}

/// R25 append-only: the database itself refuses to change or delete an entry, whoever asks.
async fn r25_the_database_refuses_to_change_or_delete_an_entry(app: TestApp) {
    let org = app.org().seats(20).established().await;
    new_team(&app, &org, "T", "email").await;
    let before = audit_log(&app, &org).await;
    let mut c = app.store.read().await.unwrap();
    for sql in [
        "UPDATE audit_log SET after_json = '{}' WHERE org_id = $1",
        "DELETE FROM audit_log WHERE org_id = $1",
    ] {
        let refused = switchboard_store::sqlx::query(sql)
            .bind(&org.id)
            .execute(&mut *c)
            .await
            .expect_err(sql);
        assert!(
            refused.to_string().contains("append-only"),
            "{sql}: {refused}"
        );
    }
    drop(c);
    assert_eq!(audit_log(&app, &org).await, before);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

/// R25: the chain's head is kept on the organization's row, so deleting the newest entries —
/// which leaves a chain that is whole up to its new end — still shows.
async fn r25_deleting_the_newest_entries_shows_against_the_head(app: TestApp) {
    let org = app.org().seats(20).established().await;
    for i in 0..3 {
        new_team(&app, &org, &format!("T{i}"), "email").await;
    }
    let count = audit_log(&app, &org).await.len() as i64;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
    app.allow_audit_tampering().await;
    let mut c = app.store.read().await.unwrap();
    let gone =
        switchboard_store::sqlx::query("DELETE FROM audit_log WHERE org_id = $1 AND seq >= $2")
            .bind(&org.id)
            .bind(count - 1)
            .execute(&mut *c)
            .await
            .unwrap();
    assert_eq!(gone.rows_affected(), 2);
    drop(c);
    assert_eq!(app.broken_audit_entry(&org.id).await, Some(count - 1));
    // A change after that continues from the head, not from what is left: still broken there.
    new_team(&app, &org, "After", "email").await;
    assert_eq!(app.broken_audit_entry(&org.id).await, Some(count - 1));
}

db_tests!(
    r25_deleting_an_entry_in_the_middle_breaks_the_chain,
    r25_the_database_refuses_to_change_or_delete_an_entry,
    r25_deleting_the_newest_entries_shows_against_the_head,
);
