//! R12: subscriptions created and resized by the operator, renamed by Org Admins; payment
//! methods that never hold card numbers; billing closed to Org Analysts and Team Admins.

use super::{subscription, team_in};
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::{Value, json};

async fn r12_operator_creates_resizes_and_admins_rename(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let r = app.post(&format!("/operator/v1/orgs/{}/subscriptions", org.id), OPERATOR_TOKEN,
        json!({"plan": "business", "seats": 25, "name": "Night shift", "period": "annual", "unit_price_cents": 2500})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let sub = r.body["id"].as_str().unwrap().to_owned();
    assert!(sub.starts_with("sub_"));
    assert_eq!(
        (
            r.body["seats"].clone(),
            r.body["period"].clone(),
            r.body["name"].clone()
        ),
        (json!(25), json!("annual"), json!("Night shift"))
    );
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["plan"], "enterprise");
    assert!(
        view["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "sso")
    );
    assert_eq!(
        (
            view["seats"].clone(),
            view["used"].clone(),
            view["free"].clone()
        ),
        (json!(10), json!(1), json!(9))
    );
    assert_eq!(view["status"], "active");
    assert_eq!(team_in(&view, &org.initial_team)["used"], 1);
    let r = app
        .patch(
            &format!("/operator/v1/subscriptions/{sub}"),
            OPERATOR_TOKEN,
            json!({"seats": 40, "status": "past_due"}),
        )
        .await;
    assert_eq!(
        (r.ok()["seats"].clone(), r.body["status"].clone()),
        (json!(40), json!("past_due"))
    );
    let r = app
        .patch(
            &org.path(&format!("/subscriptions/{sub}")),
            &org.admin,
            json!({"name": "  Evening  "}),
        )
        .await;
    assert_eq!(r.ok()["name"], "Evening");
    app.patch(
        &org.path(&format!("/subscriptions/{sub}")),
        &org.admin,
        json!({"name": " "}),
    )
    .await
    .problem(422, "validation_failed");
    let list = app.get(&org.path("/subscriptions"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 2);
    // Bad input from the operator.
    for body in [
        json!({"plan": "gold", "seats": 5}),
        json!({"plan": "business", "seats": -1}),
        json!({"plan": "business", "seats": 1.5}),
        json!({"plan": "business", "seats": 5, "period": "weekly"}),
    ] {
        app.post(
            &format!("/operator/v1/orgs/{}/subscriptions", org.id),
            OPERATOR_TOKEN,
            body,
        )
        .await
        .problem(422, "validation_failed");
    }
    app.patch(
        &format!("/operator/v1/subscriptions/{sub}"),
        OPERATOR_TOKEN,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/operator/v1/orgs/org_00000000000000000000000000/subscriptions",
        OPERATOR_TOKEN,
        json!({"plan": "business", "seats": 5}),
    )
    .await
    .problem(404, "not_found");
    let log = app
        .get(
            &org.path("/audit-log?target=")
                .replace("target=", &format!("target={sub}")),
            &org.admin,
        )
        .await;
    let actions: Vec<&str> = log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "subscription.rename",
            "subscription.update",
            "subscription.create"
        ]
    );
}

async fn r12_payment_methods_never_hold_card_numbers(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let path = org.path(&format!(
        "/subscriptions/{}/payment-method",
        org.subscription
    ));
    let good = json!({"provider_token": "tok_1N3T", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031});
    for (field, value) in [
        ("provider_token", json!("4242 4242 4242 4242")),
        ("card_number", json!("4242424242424242")),
        ("last4", json!("4242424242424242")),
        ("brand", json!("visa 4000-0566-5566-5556")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        app.put(&path, &org.admin, body)
            .await
            .problem(422, "validation_failed");
    }
    for (field, value) in [
        ("last4", json!("42")),
        ("exp_month", json!(13)),
        ("exp_year", json!(2001)),
        ("brand", json!("")),
        ("cvc", json!("123")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        app.put(&path, &org.admin, body)
            .await
            .problem(422, "validation_failed");
    }
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["payment_method"], Value::Null, "nothing was stored");
    let r = app.put(&path, &org.admin, good).await;
    assert_eq!(
        r.ok()["payment_method"],
        json!({"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031})
    );
    assert!(
        !r.text.contains("tok_1N3T"),
        "the provider token is never returned"
    );
}

async fn r12_org_analysts_and_team_admins_get_403_on_billing(app: TestApp) {
    let org = app.org().seats(10).established().await;
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "an@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    org.add(&app, &["ta@example.com"])
        .to(&org.second_team)
        .as_team_admin()
        .await
        .ok();
    for email in ["an@example.com", "ta@example.com"] {
        let t = app.sign_in(email).await;
        app.get(&org.path("/subscriptions"), &t)
            .await
            .problem(403, "forbidden");
        app.get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &t,
        )
        .await
        .problem(403, "forbidden");
        app.get(
            &org.path(&format!("/subscriptions/{}/invoices", org.subscription)),
            &t,
        )
        .await
        .problem(403, "forbidden");
        app.patch(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &t,
            json!({"name": "x"}),
        )
        .await
        .problem(403, "forbidden");
    }
}

db_tests!(
    r12_operator_creates_resizes_and_admins_rename,
    r12_payment_methods_never_hold_card_numbers,
    r12_org_analysts_and_team_admins_get_403_on_billing,
);
