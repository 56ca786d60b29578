//! Throttling sign-in: starts per email with Retry-After (a throttled start writes nothing and does
//! not extend the lockout), code checks per address.

use super::{start, verify};
use crate::db_tests;
use crate::helpers::TestApp;
use switchboard_service::Config;

async fn sign_in_starts_are_throttled_per_email_with_retry_after(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    for _ in 0..5 {
        assert_eq!(start(&app, "k@example.com").await.status, 202);
    }
    let r = start(&app, "k@example.com").await;
    r.problem(429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // An unknown address is counted the same way: 429 says nothing about accounts.
    for _ in 0..5 {
        assert_eq!(start(&app, "ghost@example.com").await.status, 202);
    }
    start(&app, "ghost@example.com")
        .await
        .problem(429, "rate_limited");
    assert_eq!(
        start(&app, "other@example.com").await.status,
        202,
        "other addresses are unaffected"
    );
}

async fn throttled_starts_cost_no_write_and_do_not_extend_the_lockout(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    let app = app
        .restart_with(Config {
            starts_per_email: 2,
            throttle_window_ms: 1500,
            ..TestApp::config()
        })
        .await;
    let rows = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let mut c = store.read().await.unwrap();
            switchboard_store::sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM sign_in_attempts",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(start(&app, "k@example.com").await.status, 202);
    }
    let counted = rows(&app).await;
    for _ in 0..20 {
        start(&app, "k@example.com")
            .await
            .problem(429, "rate_limited");
    }
    assert_eq!(rows(&app).await, counted, "refused starts wrote nothing");
    // Only the accepted starts count: once they leave the window, the address may start again,
    // however often it was refused meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(start(&app, "k@example.com").await.status, 202);
    // Per address, in memory: refused before the database is touched.
    let app = app
        .restart_with(Config {
            starts_per_ip: 3,
            ..TestApp::config()
        })
        .await;
    for i in 0..3 {
        assert_eq!(start(&app, &format!("p{i}@example.com")).await.status, 202);
    }
    let counted = rows(&app).await;
    let r = start(&app, "p9@example.com").await;
    r.problem(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(rows(&app).await, counted);
}

async fn code_checks_are_throttled_per_address(app: TestApp) {
    app.provision("Support", "email", "k@example.com", "business", 5)
        .await;
    let app = app
        .restart_with(Config {
            verifies_per_ip: 3,
            ..TestApp::config()
        })
        .await;
    for _ in 0..3 {
        verify(&app, "k@example.com", "123456")
            .await
            .problem(401, "unauthorized");
    }
    let r = verify(&app, "k@example.com", "123456").await;
    r.problem(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
}

db_tests!(
    sign_in_starts_are_throttled_per_email_with_retry_after,
    throttled_starts_cost_no_write_and_do_not_extend_the_lockout,
    code_checks_are_throttled_per_address,
);
