//! R18: closing billing periods writes one gapless invoice per period.

use super::subscription;
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;

async fn r18_closing_periods_writes_one_gapless_invoice_per_period(app: TestApp) {
    let a = app.org().seats(10).established().await;
    let b = app.org().seats(4).established().await;
    let close = |now: &'static str| {
        let url = app.database_url.clone();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
                .args(["billing", "close-period", "--now", now])
                .env("DATABASE_URL", url)
                .env("SWITCHBOARD_MAIL", "file:/dev/null")
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    // Nothing has ended yet.
    assert!(close("2000-01-01T00:00:00Z").await.starts_with("0 invoice"));
    // A quarter from now: three monthly periods per subscription.
    let far = Box::leak(rfc3339_in_days(95).into_boxed_str());
    assert!(
        close(far).await.starts_with("6 invoice"),
        "two subscriptions × three months"
    );
    assert!(
        close(far).await.starts_with("0 invoice"),
        "closing twice writes nothing"
    );
    let list = app
        .get(
            &a.path(&format!("/subscriptions/{}/invoices", a.subscription)),
            &a.admin,
        )
        .await;
    let items = list.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let first = items.last().unwrap();
    assert_eq!(first["lines"][0]["seats"], 10);
    assert_eq!(first["lines"][0]["plan"], "enterprise");
    assert_eq!(first["total_cents"], 10 * 5500);
    assert_eq!(first["status"], "open");
    let b_list = app
        .get(
            &b.path(&format!("/subscriptions/{}/invoices", b.subscription)),
            &b.admin,
        )
        .await;
    let mut numbers: Vec<i64> = items
        .iter()
        .chain(b_list.ok()["items"].as_array().unwrap())
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        vec![1, 2, 3, 4, 5, 6],
        "gapless across the deployment"
    );
    let id = first["id"].as_str().unwrap();
    let one = app
        .get(
            &a.path(&format!("/subscriptions/{}/invoices/{id}", a.subscription)),
            &a.admin,
        )
        .await;
    assert_eq!(one.ok()["id"], id);
    let html = app
        .get(
            &a.path(&format!(
                "/subscriptions/{}/invoices/{id}/download",
                a.subscription
            )),
            &a.admin,
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(
        html.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        html.text.contains("<table>") && html.text.contains("550.00"),
        "{}",
        html.text
    );
    let page = app
        .get(
            &a.path(&format!(
                "/subscriptions/{}/invoices/{id}?format=html",
                a.subscription
            )),
            &a.admin,
        )
        .await;
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The operator records payment; paid is final.
    let paid = app
        .patch(
            &format!("/operator/v1/invoices/{id}"),
            OPERATOR_TOKEN,
            json!({"status": "paid"}),
        )
        .await;
    assert_eq!(paid.ok()["status"], "paid");
    app.patch(
        &format!("/operator/v1/invoices/{id}"),
        OPERATOR_TOKEN,
        json!({"status": "void"}),
    )
    .await
    .problem(409, "invoice_closed");
    app.patch(
        &format!("/operator/v1/invoices/{id}"),
        OPERATOR_TOKEN,
        json!({"status": "lost"}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(
        "/operator/v1/invoices/inv_00000000000000000000000000",
        OPERATOR_TOKEN,
        json!({"status": "paid"}),
    )
    .await
    .problem(404, "not_found");
    // Another organization's invoice is not found.
    app.get(
        &b.path(&format!("/subscriptions/{}/invoices/{id}", b.subscription)),
        &b.admin,
    )
    .await
    .problem(404, "not_found");
    let view = subscription(&app, &a, &a.subscription).await;
    assert!(
        view["current_period_start"].as_str().unwrap() > first["period_start"].as_str().unwrap()
    );
}

fn rfc3339_in_days(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

db_tests!(r18_closing_periods_writes_one_gapless_invoice_per_period,);
