//! R24 and emailed codes: none for people all of whose teams are under SSO (the page says SSO);
//! break-glass for Org Admins and listed emails, audited.

use super::{CLIENT, SECRET, email, member, oidc_org};
use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::{Agent, Idp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn r24_sso_only_people_get_no_code_and_the_page_says_sso(app: TestApp) {
    let before = email("before");
    let sso_only = email("agent");
    let both = email("both");
    let org = app.org().seats(20).established().await;
    app.verify_domain(&org, "example.com").await;
    member(&app, &org, &org.initial_team, &before).await;
    // A code asked for before the team moved under SSO.
    app.call(
        Method::POST,
        "/api/v1/auth/email/start",
        None,
        Some(json!({"email": before})),
    )
    .await;
    let early_code = app.last_code(&before).await.expect("mailed before SSO");
    let idp = Idp::oidc(CLIENT, SECRET, &format!("{}/auth/oidc/callback", app.base)).await;
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "Acme IdP", "issuer": idp.url, "client_id": CLIENT, "client_secret": SECRET,
            "allowed_domains": ["example.com"], "team_ids": [org.initial_team]}),
    )
    .await
    .ok();
    member(&app, &org, &org.initial_team, &sso_only).await;
    member(&app, &org, &org.initial_team, &both).await;
    // The second team has no subscription, so no app access there.
    org.add(&app, &[&both])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await
        .ok();

    // 202 as for anyone, and no code is sent.
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/email/start",
            None,
            Some(json!({"email": sso_only})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(
        app.last_code(&sso_only).await.is_none(),
        "no code for an SSO-only person"
    );
    // The code sent before no longer signs in.
    app.call(
        Method::POST,
        "/api/v1/auth/email/verify",
        None,
        Some(json!({"email": before, "code": early_code})),
    )
    .await
    .problem(401, "unauthorized");
    // The sign-in page says so (for the domain: the same for every email of it).
    let agent = Agent::new();
    let (_, page) = agent
        .fetch(&format!("{}/sign-in?email={sso_only}", app.base))
        .await;
    assert!(
        page.contains("Your organization signs in with SSO"),
        "{page}"
    );
    assert!(page.contains("Continue with SSO"));
    let (_, page) = agent
        .fetch(&format!(
            "{}/sign-in?email=someone@unknown-domain.org",
            app.base
        ))
        .await;
    assert!(!page.contains("Your organization signs in with SSO"));

    // With a team outside SSO the code still works, but its app token never reaches the SSO team.
    app.call(
        Method::POST,
        "/app/v1/sign-in/email/start",
        None,
        Some(json!({"email": both})),
    )
    .await;
    let code = app
        .last_code(&both)
        .await
        .expect("a code: one team is not under SSO");
    let s = app
        .call(
            Method::POST,
            "/app/v1/sign-in/email/verify",
            None,
            Some(json!({"email": both, "code": code})),
        )
        .await;
    let teams: Vec<&str> = s.ok()["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team_id"].as_str().unwrap())
        .collect();
    assert_eq!(teams, vec![org.second_team.as_str()]);
    assert_eq!(s.body["team_id"], org.second_team.as_str());
}

async fn r24_break_glass_org_admins_and_listed_emails_keep_codes_audited(app: TestApp) {
    let (org, _idp, pol) = oidc_org(&app).await;
    let listed = email("listed");
    let unlisted = email("unlisted");
    member(&app, &org, &org.initial_team, &listed).await;
    member(&app, &org, &org.initial_team, &unlisted).await;
    app.patch(
        &org.path(&format!("/sso-policies/{pol}")),
        &org.admin,
        json!({"break_glass_emails": [listed.to_uppercase()]}),
    )
    .await
    .ok();
    // The Org Admin (a member of the SSO team) and the listed email still get codes.
    app.sign_in(&org.admin_email).await;
    app.sign_in(&listed).await;
    app.call(
        Method::POST,
        "/api/v1/auth/email/start",
        None,
        Some(json!({"email": unlisted})),
    )
    .await;
    assert!(app.last_code(&unlisted).await.is_none());
    let entries = app
        .get(
            &org.path("/audit-log?action=signin.break_glass"),
            &org.admin,
        )
        .await;
    let names: Vec<&str> = entries.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_name"].as_str().unwrap_or_default())
        .collect();
    assert!(names.contains(&org.admin_email.as_str()), "{names:?}");
    assert!(names.contains(&listed.as_str()), "{names:?}");
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(
    r24_sso_only_people_get_no_code_and_the_page_says_sso,
    r24_break_glass_org_admins_and_listed_emails_keep_codes_audited,
);
