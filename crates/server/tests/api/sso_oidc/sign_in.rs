//! OIDC sign-in through a real provider into a session that reaches only the policy's
//! organization, and just-in-time members who take a seat or are refused whole (R24, R24a).

use super::{audit_count, email, member, oidc_org, oidc_sign_in};
use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::Agent;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn r24_oidc_sign_in_reaches_only_the_policys_organization(app: TestApp) {
    let (org, _idp, _) = oidc_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    // The same person in a second organization, on a team without SSO.
    let other_admin = format!("other-{}", email("admin"));
    let other = app
        .provision("Other", "email", &other_admin, "enterprise", 5)
        .await;
    let other_token = app.sign_in(&other_admin).await;
    app.add_users(
        &other.org,
        &other_token,
        &other.team,
        "member",
        &[&m],
        Some(false),
    )
    .await
    .ok();

    let agent = Agent::new();
    // A `next` that would lead off the site (a tab browsers drop: `//evil.example`) is ignored.
    let at_idp = agent
        .get(&format!(
            "{}/auth/sso/start?email={m}&next=/%09/evil.example",
            app.base
        ))
        .await;
    let end = agent.submit(&at_idp, &[("login", &m)], None).await;
    // The org's page itself is for admins; a member's session is what matters here.
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );
    let (status, me) = agent.me(&app.base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], m.as_str());
    let orgs: Vec<&Value> = me["orgs"].as_array().unwrap().iter().collect();
    assert_eq!(orgs.len(), 1, "the SSO session lists only its organization");
    assert_eq!(orgs[0]["id"], org.id.as_str());
    // Another organization's provider can't vouch for this person there: 404 as for strangers.
    let (status, _) = agent
        .fetch(&format!("{}/api/v1/orgs/{}/teams", app.base, other.org))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The portal's session: signing out ends it on the server.
    let (status, _) = agent.fetch(&format!("{}/sign-out", app.base)).await;
    assert!(status.is_redirection() || status.is_success());
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
}

async fn r24a_just_in_time_members_take_a_seat_or_are_refused_whole(app: TestApp) {
    let (org, _idp, pol) = oidc_org(&app).await;
    app.patch(
        &org.path(&format!("/sso-policies/{pol}")),
        &org.admin,
        json!({"jit": {"enabled": true, "team_id": org.initial_team}}),
    )
    .await
    .ok();
    // Leave exactly one seat free.
    let sub = app
        .get(
            &org.path(&format!("/subscriptions/{}", org.subscription)),
            &org.admin,
        )
        .await;
    let free = sub.ok()["free"].as_i64().unwrap();
    for i in 0..free - 1 {
        member(&app, &org, &org.initial_team, &email(&format!("fill{i}"))).await;
    }
    let first = email("newcomer");
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &first, &first).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );
    let users = app
        .get(&org.path(&format!("/users?q={first}")), &org.admin)
        .await;
    let joined = &users.ok()["items"][0];
    assert_eq!(
        joined["memberships"][0]["team_id"],
        org.initial_team.as_str()
    );
    assert_eq!(joined["memberships"][0]["app_access"], true);
    let audit = app
        .get(
            &org.path("/audit-log?action=membership.join_sso"),
            &org.admin,
        )
        .await;
    assert_eq!(audit.ok()["items"].as_array().unwrap().len(), 1);

    // No seat left: refused with a page that says so, and nobody is created.
    let second = email("latecomer");
    let before = audit_count(&app, &org).await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &second, &second).await;
    assert_eq!(end.status, StatusCode::FORBIDDEN);
    assert!(end.text.contains("no free seat"), "{}", end.text);
    assert!(end.text.contains("Ask your admin"));
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
    let users = app
        .get(&org.path(&format!("/users?q={second}")), &org.admin)
        .await;
    assert_eq!(users.ok()["items"].as_array().unwrap().len(), 0);
    assert_eq!(audit_count(&app, &org).await, before);
}

db_tests!(
    r24_oidc_sign_in_reaches_only_the_policys_organization,
    r24a_just_in_time_members_take_a_seat_or_are_refused_whole,
);
