//! Organization API tokens (§1): shown once, stored as a hash, listed without their secret; they
//! act in their organization only, with their scopes, audited as the token; revoked or expired
//! they stop at once.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn api_tokens_act_with_their_scopes_in_their_org_only(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let other = app.org().seats(5).established().await;
    let created = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "HR sync", "scopes": ["write"]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sbk_"));
    assert!(secret.starts_with(created.body["prefix"].as_str().unwrap()));
    // Listed without the secret; the database keeps only a hash.
    let list = app.get(&org.path("/api-tokens"), &org.admin).await;
    assert!(!list.text.contains(&secret));
    assert_eq!(list.ok()["items"][0]["created_by"], org.admin_user.as_str());
    let dump = switchboard_store::api_tokens::list(
        &mut app.store.read().await.unwrap(),
        &crate::helpers::typed(&org.id),
    )
    .await
    .unwrap();
    assert!(
        dump.iter()
            .all(|t| !format!("{t:?}").contains(&secret[4..]))
    );

    // It writes as the Org Admin's API does, audited as itself.
    let r = app
        .post(
            &org.path("/teams"),
            &secret,
            json!({"name": "Made by a token", "login_type": "email"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let log = app
        .get(&org.path("/audit-log?action=team.create"), &org.admin)
        .await;
    let entry = &log.ok()["items"][0];
    assert_eq!(entry["actor"], format!("api_token:{id}"));
    assert_eq!(entry["actor_name"], "HR sync");
    // Its last use is recorded.
    let list = app.get(&org.path("/api-tokens"), &org.admin).await;
    assert!(list.ok()["items"][0]["last_used_at"].is_string());
    // Another organization's routes: 404, as for a stranger.
    app.get(&other.path("/teams"), &secret)
        .await
        .problem(404, "not_found");
    // `/me` tells a token what it is and which organization it acts in.
    let me = app.get("/api/v1/me", &secret).await;
    let me = me.ok();
    assert_eq!(me["api_token"]["id"], id.as_str());
    assert_eq!(me["api_token"]["name"], "HR sync");
    assert_eq!(me["api_token"]["scopes"], json!(["write"]));
    assert_eq!(
        me["api_token"]["created_by_email"],
        org.admin_email.as_str()
    );
    assert_eq!(me["org"]["id"], org.id.as_str());
    assert_eq!(me["org"]["name"], "Acme");
    assert!(me.get("user").is_none(), "a token is not a person: {me}");
    // A write token makes no tokens (that is the admin scope's), nor sets payment methods.
    app.post(
        &org.path("/api-tokens"),
        &secret,
        json!({"name": "x", "scopes": ["read"]}),
    )
    .await
    .problem(403, "forbidden");

    // Revoked: refused at once.
    let r = app
        .delete(&org.path(&format!("/api-tokens/{id}")), &org.admin)
        .await;
    assert_eq!(r.status.as_u16(), 204);
    app.get(&org.path("/teams"), &secret)
        .await
        .problem(401, "unauthorized");
    let log = app
        .get(&org.path("/audit-log?action=api_token.revoke"), &org.admin)
        .await;
    assert_eq!(log.ok()["items"].as_array().unwrap().len(), 1);
}

async fn api_tokens_expire_and_bad_input_is_refused(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let soon = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(1500);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "Short", "scopes": ["read"], "expires_at": soon}),
        )
        .await;
    let secret = r.ok()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&org.path("/users"), &secret).await.status.as_u16(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1800)).await;
    app.get(&org.path("/users"), &secret)
        .await
        .problem(401, "unauthorized");
    for (body, field) in [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["owner"]}), "scopes"),
        (json!({"name": " ", "scopes": ["read"]}), "name"),
        (
            json!({"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "expires_at": "tomorrow"}),
            "expires_at",
        ),
    ] {
        let r = app.post(&org.path("/api-tokens"), &org.admin, body).await;
        r.problem(422, "validation_failed");
        // The field at fault (`scopes[0]` for a bad word in the list).
        assert!(
            r.body["field"].as_str().unwrap().starts_with(field),
            "{}",
            r.text
        );
    }
    // A token acts through one door at a time: read + scim writes nothing through /api/v1.
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "mixed", "scopes": ["read", "scim"]}),
        )
        .await;
    let mixed = r.ok()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&org.path("/users"), &mixed).await.status.as_u16(),
        200
    );
    app.delete(&org.path(&format!("/teams/{}", org.second_team)), &mixed)
        .await
        .problem(403, "forbidden");
    // R1 holds for tokens too: never the initial team (refused before anything else is asked).
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "writer", "scopes": ["write"]}),
        )
        .await;
    let writer = r.ok()["token"].as_str().unwrap().to_owned();
    let r = app
        .delete(&org.path(&format!("/teams/{}", org.initial_team)), &writer)
        .await;
    r.problem(409, "initial_team");
    // A SCIM token is not an API token.
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "IdP", "scopes": ["scim"]}),
        )
        .await;
    let scim = r.ok()["token"].as_str().unwrap().to_owned();
    app.get(&org.path("/users"), &scim)
        .await
        .problem(403, "forbidden");
}

db_tests!(
    api_tokens_act_with_their_scopes_in_their_org_only,
    api_tokens_expire_and_bad_input_is_refused,
    r28_a_write_token_cant_make_anyone_powerful,
    r28_a_token_cant_mint_more_scopes_than_its_own,
);

async fn token(app: &TestApp, org: &crate::helpers::Org, scopes: serde_json::Value) -> String {
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": format!("{scopes}"), "scopes": scopes}),
        )
        .await;
    r.ok()["token"].as_str().unwrap().to_owned()
}

/// The attack: a `write` token assigned Org Admin to an outside email, who then made tokens and
/// set the payment method; and it edited SSO and its break-glass list. None of that is `write`'s.
async fn r28_a_write_token_cant_make_anyone_powerful(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let write = token(&app, &org, json!(["read", "write"])).await;
    app.post(
        &org.path("/admins"),
        &write,
        json!({"email": "outsider@evil.example", "role": "org_admin"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &org.path(&format!("/admins/{}", org.admin_user)),
        &write,
        json!({"role": "org_analyst"}),
    )
    .await
    .problem(403, "forbidden");
    app.verify_domain(&org, "example.com").await;
    let sso = json!({"name": "Mine", "issuer": "https://id.example.com", "client_id": "c",
        "client_secret": "s", "allowed_domains": ["example.com"], "team_ids": [org.second_team],
        "break_glass_emails": ["outsider@evil.example"]});
    app.post(&org.path("/sso-policies"), &write, sso.clone())
        .await
        .problem(403, "forbidden");
    app.post(
        &org.path("/api-tokens"),
        &write,
        json!({"name": "more", "scopes": ["read"]}),
    )
    .await
    .problem(403, "forbidden");
    // It keeps the rest of the Org Admin's API, and reads who the admins are.
    app.get(&org.path("/admins"), &write).await.ok();
    app.post(
        &org.path("/teams"),
        &write,
        json!({"name": "Night Shift", "login_type": "email"}),
    )
    .await
    .ok();
    // Nothing of the refused reached the log; an admin-scoped token may, audited as itself.
    let log = app.get(&org.path("/audit-log?limit=500"), &org.admin).await;
    let actions: Vec<&str> = log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(!actions.contains(&"org_role.assign") && !actions.contains(&"sso_policy.create"));
    let admin = token(&app, &org, json!(["admin"])).await;
    app.post(&org.path("/sso-policies"), &admin, sso).await.ok();
    let r = app
        .post(
            &org.path("/admins"),
            &admin,
            json!({"email": "second-admin@example.com", "role": "org_admin"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // No token sets a payment method, whatever its scopes.
    let all = token(&app, &org, json!(["read", "write", "admin"])).await;
    app.put(
        &org.path(&format!("/subscriptions/{}/payment-method", org.subscription)),
        &all,
        json!({"provider_token": "tok_x", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2035}),
    )
    .await
    .problem(403, "forbidden");
}

async fn r28_a_token_cant_mint_more_scopes_than_its_own(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let admin = token(&app, &org, json!(["admin"])).await;
    // Within its own scopes: yes.
    let r = app
        .post(
            &org.path("/api-tokens"),
            &admin,
            json!({"name": "child", "scopes": ["admin"]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    // Beyond them: refused, and nothing made.
    for scopes in [json!(["write"]), json!(["admin", "scim"]), json!(["read"])] {
        let d = app
            .post(
                &org.path("/api-tokens"),
                &admin,
                json!({"name": "wider", "scopes": scopes}),
            )
            .await
            .problem(403, "forbidden");
        assert!(d.contains("more scopes than its own"), "{d}");
    }
    let list = app.get(&org.path("/api-tokens"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 2);
}

/// The portal's API tokens page in a real browser: create (the secret shown once), list, revoke.
async fn api_tokens_page_in_a_real_browser(app: TestApp) {
    use crate::chrome::Chrome;
    let org = app.org().seats(5).established().await;
    let b = Chrome::start(&format!("api-tokens-{}", app.backend())).await;
    b.goto(&format!("{}/orgs/{}/api-tokens", app.base, org.id))
        .await;
    b.fill("#email", &org.admin_email).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    let code = app.last_code(&org.admin_email).await.unwrap();
    b.fill("#code", &code).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    assert_eq!(b.path().await, format!("/orgs/{}/api-tokens", org.id));
    let mut violations = b.audit("api-tokens").await;
    // A refused form says what is wrong beside the field.
    b.check("input[name=scopes][value=read]", false).await;
    b.fill("#name", "Okta provisioning").await;
    b.click("form[action$='/api-tokens'] button[type=submit]")
        .await;
    assert!(
        b.body()
            .await
            .contains("at least one of read, write, admin, scim"),
        "{}",
        b.body().await
    );
    b.check("input[name=scopes][value=scim]", true).await;
    b.click("form[action$='/api-tokens'] button[type=submit]")
        .await;
    let secret = b.text("#new-token").await;
    assert!(secret.starts_with("sbk_"), "{secret}");
    violations.extend(b.audit("api-token-created").await);
    // The secret works where its scope allows, and the list shows only its prefix.
    let scim_only = app.get(&org.path("/users"), &secret).await;
    assert_eq!(scim_only.status.as_u16(), 403);
    b.goto(&format!("{}/orgs/{}/api-tokens", app.base, org.id))
        .await;
    assert!(!b.body().await.contains(&secret));
    assert!(b.body().await.contains(&secret[..12]));
    b.click("form[action$='/delete'] button").await;
    assert!(b.body().await.contains("Revoked the API token"));
    assert!(b.body().await.contains("No API tokens yet"));
    b.close().await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
}

db_tests!(api_tokens_page_in_a_real_browser);
