//! R33's stories, each as the attack it stops: an identity provider that lets users edit their
//! email can't make one person another (the account is linked on first use; a second account is
//! refused and audited, until an Org Admin resets the link); an app token from an emailed code
//! stops when its team moves under SSO; and an organization that adds someone's email learns
//! nothing of their sign-ins elsewhere (R11 per organization).

use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::Agent;
use crate::sso_oidc::{member, oidc_org, oidc_sign_in};
use serde_json::{Value, json};

fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

async fn r33_a_second_provider_account_for_an_email_is_refused_and_audited(app: TestApp) {
    let (org, idp, _) = oidc_org(&app).await;
    let vic = unique("vic");
    let vic_id = member(&app, &org, &org.initial_team, &vic).await;
    // Vic signs in through the provider: linked to her account there.
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &vic, &vic).await;
    assert!(
        end.url.ends_with(&format!("/orgs/{}", org.id)),
        "{}",
        end.url
    );
    let links = app
        .get(&org.path(&format!("/users/{vic_id}/sso-links")), &org.admin)
        .await;
    let items = links.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{}", links.text);
    assert_eq!(items[0]["subject"], vic.as_str());

    // Mallory edits her own email at the provider to Vic's, and signs in.
    let mallory = unique("mallory");
    idp.control("/__test/email", json!({"account": mallory, "email": vic}))
        .await;
    let attacker = Agent::new();
    let end = oidc_sign_in(&app, &attacker, &vic, &mallory).await;
    assert_eq!(end.status.as_u16(), 403, "{}", end.text);
    assert!(end.text.contains("different account"), "{}", end.text);
    assert_eq!(attacker.me(&app.base).await.0.as_u16(), 401, "no session");
    let refused = app
        .get(
            &org.path("/audit-log?action=signin.sso_subject_mismatch"),
            &org.admin,
        )
        .await;
    let entries = refused.ok()["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{}", refused.text);
    assert_eq!(entries[0]["target"], vic_id.as_str());

    // A write token can't reset the link (the admin scope's); the Org Admin can, audited.
    let write = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "Automation", "scopes": ["write"]}),
        )
        .await;
    let write = write.ok()["token"].as_str().unwrap().to_owned();
    app.delete(&org.path(&format!("/users/{vic_id}/sso-links")), &write)
        .await
        .problem(403, "forbidden");
    let r = app
        .delete(&org.path(&format!("/users/{vic_id}/sso-links")), &org.admin)
        .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    let reset = app
        .get(&org.path("/audit-log?action=sso.link_reset"), &org.admin)
        .await;
    assert_eq!(reset.ok()["items"].as_array().unwrap().len(), 1);
    // The next sign-in links the account it comes with (here Vic's own, again).
    let again = Agent::new();
    let end = oidc_sign_in(&app, &again, &vic, &vic).await;
    assert!(
        end.url.ends_with(&format!("/orgs/{}", org.id)),
        "{}",
        end.text
    );
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r33_a_code_app_token_stops_when_its_team_moves_under_sso(app: TestApp) {
    let org = app.org().seats(20).established().await;
    app.verify_domain(&org, "example.com").await;
    let agent = unique("agent");
    app.allocate_team(&org, &org.second_team).await;
    member(&app, &org, &org.second_team, &agent).await;
    let s = crate::apps::app_sign_in(&app, &agent, None).await;
    let token = s.ok()["token"].as_str().unwrap().to_owned();
    app.get("/app/v1/entitlement", &token).await.ok();
    // The team moves under SSO: the code's token answers as a removed membership would.
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "IdP", "issuer": "https://id.example.com", "client_id": "c",
            "client_secret": "s", "allowed_domains": ["example.com"], "team_ids": [org.second_team]}),
    )
    .await
    .ok();
    app.get("/app/v1/entitlement", &token)
        .await
        .problem(403, "membership_removed");
}

async fn r11_sign_in_status_is_per_organization(app: TestApp) {
    let a = app.org().seats(10).established().await;
    let b = app.org().seats(10).established().await;
    let vic = unique("vic");
    let vic_id = member(&app, &a, &a.initial_team, &vic).await;
    app.sign_in(&vic).await;
    member(&app, &b, &b.initial_team, &vic).await;
    let status = |org: &crate::helpers::Org| {
        let path = org.path(&format!("/users/{vic_id}"));
        let token = org.admin.clone();
        let app = &app;
        async move { app.get(&path, &token).await.ok()["status"].clone() }
    };
    assert_eq!(status(&a).await, "signed_in");
    // B added her after she signed in at A: B sees she hasn't signed in here.
    assert_eq!(status(&b).await, "not_signed_in");
    let list = app
        .get(&b.path("/users?status=not_signed_in"), &b.admin)
        .await;
    let emails: Vec<Value> = list.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert!(emails.contains(&json!(vic)), "{emails:?}");
    // Her next sign-in reaches B too.
    app.sign_in(&vic).await;
    assert_eq!(status(&b).await, "signed_in");
}

db_tests!(
    r33_a_second_provider_account_for_an_email_is_refused_and_audited,
    r33_a_code_app_token_stops_when_its_team_moves_under_sso,
    r11_sign_in_status_is_per_organization
);
