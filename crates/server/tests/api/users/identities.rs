//! R4: one identity per normalized email, also when two organizations add the same person at
//! once.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn r4_one_identity_per_normalized_email(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let r = org
        .add(&app, &["  Ann@Example.COM "])
        .to(&org.initial_team)
        .as_member()
        .await;
    assert_eq!(r.ok()["added"], 1);
    let r = org
        .add(&app, &["ann@example.com"])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await;
    assert_eq!(r.ok()["added"], 1);
    let list = app.get(&org.path("/users?q=ann@"), &org.admin).await;
    let items = list.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one identity");
    assert_eq!(items[0]["email"], "ann@example.com");
    assert_eq!(items[0]["memberships"].as_array().unwrap().len(), 2);
}

async fn r4_concurrent_adds_in_two_orgs_make_one_identity_per_email(app: TestApp) {
    let a = app.org().seats(100).established().await;
    let b = app.org().seats(100).established().await;
    let emails: Vec<String> = (0..40).map(|i| format!("shared{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ra, rb) = tokio::join!(
        a.add(&app, &refs)
            .to(&a.initial_team)
            .as_member()
            .without_access(),
        b.add(&app, &refs)
            .to(&b.initial_team)
            .as_member()
            .without_access(),
    );
    assert_eq!(
        (ra.ok()["added"].clone(), rb.ok()["added"].clone()),
        (json!(40), json!(40))
    );
    for e in &emails {
        assert_eq!(
            TestApp::user_id_in(&ra, e),
            TestApp::user_id_in(&rb, e),
            "one identity for {e}"
        );
    }
    let mut c = app.store.read().await.unwrap();
    let n: i64 = switchboard_store::sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE email LIKE 'shared%'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(n, 40);
}

db_tests!(
    r4_one_identity_per_normalized_email,
    r4_concurrent_adds_in_two_orgs_make_one_identity_per_email,
);
