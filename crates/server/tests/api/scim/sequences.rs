//! The request sequences Okta and Microsoft Entra ID send, replayed as they send them.

use super::{patch_op, scim, scim_org};
use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn scim_okta_provisioning_sequence(app: TestApp) {
    let (org, token) = scim_org(&app, 50).await;
    // Test connection.
    let (s, list) = scim(&app, &token, "GET", "/Users?startIndex=1&count=2", None).await;
    assert_eq!(s, 200);
    assert_eq!(list["startIndex"], 1);
    assert!(list["Resources"].as_array().unwrap().len() <= 2);
    // Lookup, then create.
    let ana = "ana.okta@acme.example";
    let (_, found) = scim(
        &app,
        &token,
        "GET",
        &format!("/Users?filter=userName%20eq%20%22{ana}%22&startIndex=1&count=100"),
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 0);
    let (s, created) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": ana, "name": {"givenName": "Ana", "familyName": "Okta"},
        "emails": [{"primary": true, "value": ana, "type": "work"}],
        "displayName": "Ana Okta", "locale": "en-US", "externalId": "00u1okta",
        "groups": [], "password": "not-kept-1!", "active": true})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    assert!(
        created.get("password").is_none(),
        "a password is never answered"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    // Case-insensitive userName lookup finds them.
    let (_, found) = scim(
        &app,
        &token,
        "GET",
        &format!("/Users?filter=userName%20eq%20%22{}%22", ana.to_uppercase()),
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let user = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(
        user.ok()["memberships"][0]["team_id"],
        org.initial_team.as_str()
    );
    assert_eq!(user.body["memberships"][0]["app_access"], true);
    // Deactivate (Okta: a path-less replace) ends app access and the app's token here; a
    // portal session from an emailed code reaches other organizations too, and stays.
    let session = app.sign_in(ana).await;
    let app_token = crate::apps::app_sign_in(&app, ana, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch_op(
            json!([{"op": "replace", "value": {"active": false}}]),
        )),
    )
    .await;
    assert_eq!(s, 200);
    let user = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(user.ok()["memberships"][0]["app_access"], false);
    app.get("/app/v1/entitlement", &app_token)
        .await
        .problem(401, "unauthorized");
    assert_eq!(app.get("/api/v1/me", &session).await.status.as_u16(), 200);
    // Reactivate: app access again (a seat is free).
    let (s, back) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch_op(
            json!([{"op": "replace", "value": {"active": true}}]),
        )),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(back["active"], true);
    let user = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(user.ok()["memberships"][0]["app_access"], true);
    // Group push: create, add a member, rename, remove the member.
    let (s, group) = scim(&app, &token, "POST", "/Groups", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Night shift", "members": []}))).await;
    assert_eq!(s, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    let (s, g) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(patch_op(json!([
        {"op": "add", "path": "members", "value": [{"value": id, "display": ana}]}]))),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["members"][0]["value"], id.as_str());
    let (_, g) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(patch_op(json!([
        {"op": "replace", "value": {"id": gid, "displayName": "Night shift EU"}}]))),
    )
    .await;
    assert_eq!(g["displayName"], "Night shift EU");
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    assert!(teams.text.contains("Night shift EU"));
    let (_, g) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(patch_op(json!([
        {"op": "remove", "path": format!("members[value eq \"{id}\"]")}]))),
    )
    .await;
    assert!(g.get("members").is_none(), "{g}");
    // Delete: out of the organization.
    let (s, _) = scim(&app, &token, "DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(s, 204);
    app.get(&org.path(&format!("/users/{id}")), &org.admin)
        .await
        .problem(404, "not_found");
    let log = app.get(&org.path("/audit-log?limit=50"), &org.admin).await;
    let actions: Vec<&str> = log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "user.remove_from_org",
        "user.scim_update",
        "team.create",
        "membership.add",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

async fn scim_entra_provisioning_sequence(app: TestApp) {
    let (org, token) = scim_org(&app, 50).await;
    // Entra's test connection: a filter on a random userName.
    let (s, none) = scim(
        &app,
        &token,
        "GET",
        "/Users?filter=userName+eq+%2291d2c4a6-aa8e-4cba-b6d5-d3f5dd3d1f1e%22",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(none["totalResults"], 0);
    let bo = "bo.entra@acme.example";
    let (s, created) = scim(
        &app,
        &token,
        "POST",
        "/Users",
        Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "bo", "userName": bo, "active": true, "displayName": "Bo Entra",
        "emails": [{"primary": true, "type": "work", "value": bo}],
        "name": {"formatted": "Bo Entra", "familyName": "Entra", "givenName": "Bo"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // Filters Entra uses: externalId, and the work email.
    for f in [
        "externalId%20eq%20%22bo%22",
        "emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22bo.entra%40acme.example%22",
    ] {
        let (_, found) = scim(&app, &token, "GET", &format!("/Users?filter={f}"), None).await;
        assert_eq!(found["totalResults"], 1, "{f}");
    }
    // Entra's PATCH: capitalized ops, string booleans, filtered paths.
    let (s, u) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch_op(json!([
        {"op": "Replace", "path": "displayName", "value": "Bo E."},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": bo},
        {"op": "Replace", "path": "active", "value": "False"}]))),
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["active"], false);
    assert_eq!(u["displayName"], "Bo E.");
    // Groups: excludedAttributes=members; members removed by value.
    let (_, g) = scim(
        &app,
        &token,
        "POST",
        "/Groups",
        Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Day shift",
        "externalId": "grp-1", "members": [{"value": id}]})),
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let (_, list) = scim(
        &app,
        &token,
        "GET",
        "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Day%20shift%22",
        None,
    )
    .await;
    assert_eq!(list["totalResults"], 1);
    assert!(list["Resources"][0].get("members").is_none());
    assert_eq!(list["Resources"][0]["externalId"], "grp-1");
    let (_, g) = scim(
        &app,
        &token,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(patch_op(json!([
        {"op": "Remove", "path": "members", "value": [{"value": id}]}]))),
    )
    .await;
    assert!(g.get("members").is_none(), "{g}");
    // A SCIM user with no group left is in the initial team.
    let user = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(
        user.ok()["memberships"][0]["team_id"],
        org.initial_team.as_str()
    );
    // A stale If-Match is refused (412), a current one accepted.
    let (_, u) = scim(&app, &token, "GET", &format!("/Users/{id}"), None).await;
    let version = u["meta"]["version"].as_str().unwrap().to_owned();
    let req = |v: &str| {
        app.client
            .put(format!("{}/scim/v2/Users/{id}", app.base))
            .bearer_auth(&token)
            .header("if-match", v)
            .header("content-type", "application/scim+json")
            .body(json!({"userName": bo, "active": false, "emails": [{"value": bo, "primary": true}]}).to_string())
    };
    assert_eq!(
        req("W/\"999\"").send().await.unwrap().status().as_u16(),
        412
    );
    assert_eq!(req(&version).send().await.unwrap().status().as_u16(), 200);
}

db_tests!(
    scim_okta_provisioning_sequence,
    scim_entra_provisioning_sequence,
);
