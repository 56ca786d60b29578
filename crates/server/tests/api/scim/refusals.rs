//! SCIM refusals: each answered with a SCIM error, changing nothing.

use super::{patch_op, scim, scim_org};
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::{Value, json};

fn error_of(status: u16, body: &Value) -> &Value {
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string());
    &body["detail"]
}

async fn scim_refusals_are_scim_errors_and_change_nothing(app: TestApp) {
    let (org, token) = scim_org(&app, 2).await;
    // Seats: the Org Admin holds one of two; the second is taken, the third refused.
    let user =
        |e: &str| json!({"userName": e, "active": true, "emails": [{"value": e, "primary": true}]});
    let (s, _) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(user("one@acme.example")),
    )
    .await;
    assert_eq!(s, 201);
    let (s, err) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(user("two@acme.example")),
    )
    .await;
    assert_eq!(s, 409, "{err}");
    let detail = error_of(409, &err).as_str().unwrap().to_owned();
    assert!(detail.contains("free"), "{detail}");
    let (_, found) = scim(
        &app,
        &token,
        "GET",
        "/Users?filter=userName%20eq%20%22two@acme.example%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 0, "nothing is half-created");
    // Inactive users take no seat.
    let (s, _) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(json!({"userName": "three@acme.example", "active": false,
        "emails": [{"value": "three@acme.example", "primary": true}]})),
    )
    .await;
    assert_eq!(s, 201);
    // Uniqueness, bad input, bad filters, unknown ids.
    let (s, err) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(user("one@acme.example")),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(err["scimType"], "uniqueness");
    let (s, err) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(json!({"userName": "x"})),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(err["scimType"], "invalidValue");
    let (s, err) = scim(
        &app,
        &token,
        "GET",
        "/Users?filter=userName%20co%20%22a%22",
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(err["scimType"], "invalidFilter");
    let (s, err) = scim(&app, &token, "POST", "/Users", None).await;
    assert_eq!(s, 400, "{err}");
    let (s, _) = scim(
        &app,
        &token,
        "GET",
        "/Users/usr_01jd0000000000000000000000",
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (_, one) = scim(
        &app,
        &token,
        "GET",
        "/Users?filter=userName%20eq%20%22one@acme.example%22",
        None,
    )
    .await;
    let one_id = one["Resources"][0]["id"].as_str().unwrap().to_owned();
    let (s, err) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Users/{one_id}"),
        Some(patch_op(
            json!([{"op": "replace", "path": "emails][", "value": "x"}]),
        )),
    )
    .await;
    assert_eq!(s, 400, "{err}");
    assert_eq!(err["scimType"], "invalidPath");
    // R10: never the last Org Admin.
    let (s, err) = scim(
        &app,
        &token,
        "DELETE",
        &format!("/Users/{}", org.admin_user),
        None,
    )
    .await;
    assert_eq!(s, 409, "{err}");
    // Tokens: no token 401; a token without the scim scope 403; another org's token sees its own.
    let (s, _) = scim(&app, "", "GET", "/Users", None).await;
    assert_eq!(s, 401);
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "w", "scopes": ["write"]}),
        )
        .await;
    let write = r.ok()["token"].as_str().unwrap().to_owned();
    let (s, _) = scim(&app, &write, "GET", "/Users", None).await;
    assert_eq!(s, 403);
    let (s, _) = scim(&app, &org.admin, "GET", "/Users", None).await;
    assert_eq!(s, 401, "a portal session is not a SCIM token");
    let (_, other) = scim_org(&app, 5).await;
    let (_, found) = scim(
        &app,
        &other,
        "GET",
        "/Users?filter=userName%20eq%20%22one@acme.example%22",
        None,
    )
    .await;
    assert_eq!(
        found["totalResults"], 0,
        "another organization's users are invisible"
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(scim_refusals_are_scim_errors_and_change_nothing,);
