//! SCIM 2.0 (`/scim/v2`) against the independent checker scim2-tester (`scim2 … test`, PyPI
//! scim2-cli), and the request sequences Okta and Microsoft Entra ID send.

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use serde_json::{Value, json};

/// An organization with plenty of seats and a `scim` token for it.
pub(crate) async fn scim_org(app: &TestApp, seats: i64) -> (Org, String) {
    let org = app.established_org(seats).await;
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "IdP provisioning", "scopes": ["scim"]}),
        )
        .await;
    let token = r.ok()["token"].as_str().unwrap().to_owned();
    (org, token)
}

fn scim2() -> std::path::PathBuf {
    let python = std::env::var("SWITCHBOARD_TEST_PYTHON").expect(
        "SWITCHBOARD_TEST_PYTHON names the venv's python (scripts/test sets it, with scim2-cli installed)",
    );
    std::path::Path::new(&python).with_file_name("scim2")
}

async fn scim_passes_the_independent_compliance_checker(app: TestApp) {
    let (org, token) = scim_org(&app, 1000).await;
    let out = tokio::process::Command::new(scim2())
        .arg("--url")
        .arg(format!("{}/scim/v2", app.base))
        .arg("-h")
        .arg(format!("Authorization: Bearer {token}"))
        .arg("test")
        .output()
        .await
        .expect("scim2 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.starts_with("SUCCESS") && !l.starts_with("  ") && !l.starts_with("Performing")
        })
        .collect();
    assert!(
        out.status.success(),
        "scim2-tester failed:\n{}\n\nfull output:\n{text}",
        failed.join("\n")
    );
    assert!(text.matches("SUCCESS").count() >= 60, "{text}");
    // Everything it did is in the audit log, as the token.
    let log = app.get(&org.path("/audit-log?limit=5"), &org.admin).await;
    assert!(
        log.ok()["items"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_token:")
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

/// A SCIM request with the token; the answer's status and JSON.
pub(crate) async fn scim(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .client
        .request(m, format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    if status != 204 {
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/scim+json"),
            "{path}"
        );
    }
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn error_of(status: u16, body: &Value) -> &Value {
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string());
    &body["detail"]
}

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

/// 2,000 users provisioned by four concurrent clients, as an IdP's first sync does.
async fn scim_provisions_two_thousand_users(app: TestApp) {
    let (org, token) = scim_org(&app, 2100).await;
    let token = std::sync::Arc::new(token);
    let base = app.base.clone();
    let mut workers = Vec::new();
    for w in 0..4 {
        let token = token.clone();
        let base = base.clone();
        let client = app.client.clone();
        workers.push(tokio::spawn(async move {
            for i in 0..500 {
                let e = format!("agent{w}-{i}@callcenter.example");
                let r = client
                    .post(format!("{base}/scim/v2/Users"))
                    .bearer_auth(token.as_str())
                    .header("content-type", "application/scim+json")
                    .body(
                        json!({"userName": e, "active": true, "externalId": format!("x{w}-{i}"),
                        "emails": [{"value": e, "primary": true, "type": "work"}]})
                        .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let (_, list) = scim(&app, &token, "GET", "/Users?count=1", None).await;
    assert_eq!(list["totalResults"], 2001);
    let sub = app
        .get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &org.admin,
        )
        .await;
    assert_eq!(sub.ok()["used"], 2001);
    let (_, page) = scim(
        &app,
        &token,
        "GET",
        "/Users?startIndex=1001&count=100",
        None,
    )
    .await;
    assert_eq!(page["Resources"].as_array().unwrap().len(), 100);
    assert_eq!(page["startIndex"], 1001);
}

db_tests!(
    scim_passes_the_independent_compliance_checker,
    scim_okta_provisioning_sequence,
    scim_entra_provisioning_sequence,
    scim_refusals_are_scim_errors_and_change_nothing,
    scim_provisions_two_thousand_users,
);
