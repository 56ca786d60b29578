//! R24, R24a over OpenID Connect, against a real provider (`oidc-provider`): sign-in through the
//! provider into a session that reaches only the policy's organization; no emailed code for
//! people all of whose teams are under SSO; break-glass for Org Admins and listed emails, audited;
//! just-in-time membership with seats; and every refusal the relying party must make — each
//! answered with a page, changing nothing.

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use crate::idp::{Agent, Idp, View, query_param};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CLIENT: &str = "switchboard";
const SECRET: &str = "test-client-secret";

/// An established organization with an OIDC policy over its first team (domain example.com).
pub(crate) async fn oidc_org(app: &TestApp) -> (Org, Idp, String) {
    oidc_org_on(app, "example.com").await
}

/// An established organization with an OIDC policy over its first team, for `domain` (verified
/// for it), and its own provider.
pub(crate) async fn oidc_org_on(app: &TestApp, domain: &str) -> (Org, Idp, String) {
    let org = app.established_org(20).await;
    app.verify_domain(&org, domain).await;
    let idp = Idp::oidc(CLIENT, SECRET, &format!("{}/auth/oidc/callback", app.base)).await;
    let r = app
        .post(
            &org.path("/sso-policies"),
            &org.admin,
            json!({"name": "Acme IdP", "issuer": idp.url, "client_id": CLIENT,
                "client_secret": SECRET, "allowed_domains": [domain],
                "team_ids": [org.initial_team]}),
        )
        .await;
    let pol = r.ok()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["protocol"], "oidc");
    assert_eq!(
        r.body["redirect_uri"],
        format!("{}/auth/oidc/callback", app.base)
    );
    (org, idp, pol)
}

/// Adds `email` to `team` (with app access) as the Org Admin.
pub(crate) async fn member(app: &TestApp, org: &Org, team: &str, email: &str) -> String {
    let r = app
        .add_users(&org.id, &org.admin, team, "member", &[email], Some(true))
        .await;
    TestApp::user_id_in(&r, email)
}

/// Starts an SSO sign-in for `hint` and logs in at the provider as `login`; the last page.
pub(crate) async fn oidc_sign_in(app: &TestApp, agent: &Agent, hint: &str, login: &str) -> View {
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={hint}", app.base))
        .await;
    assert_eq!(at_idp.status, StatusCode::OK, "{}", at_idp.text);
    assert!(at_idp.text.contains("name=\"login\""), "{}", at_idp.text);
    agent.submit(&at_idp, &[("login", login)], None).await
}

fn email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

async fn audit_count(app: &TestApp, org: &Org) -> usize {
    app.get(&org.path("/audit-log?limit=200"), &org.admin)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .len()
}

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

async fn r24_sso_only_people_get_no_code_and_the_page_says_sso(app: TestApp) {
    let before = email("before");
    let sso_only = email("agent");
    let both = email("both");
    let org = app.established_org(20).await;
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
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "member",
        &[&both],
        Some(false),
    )
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

/// A refused sign-in: a page naming the check, no session.
async fn refused(app: &TestApp, agent: &Agent, end: &View, status: StatusCode, check: &str) {
    assert_eq!(end.status, status, "{}", end.text);
    assert!(
        end.text.contains(check),
        "expected {check:?} in {}",
        end.text
    );
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
}

async fn r24_oidc_refusals_are_pages_and_change_nothing(app: TestApp) {
    let (org, idp, _) = oidc_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    let unverified = email("unverified");
    member(&app, &org, &org.initial_team, &unverified).await;
    let before = audit_count(&app, &org).await;
    let forbidden = StatusCode::FORBIDDEN;
    for (mode, check) in [
        ("wrong_audience", "Issued for Switchboard (audience)"),
        (
            "wrong_nonce",
            "Answers the sign-in request Switchboard sent",
        ),
        ("expired", "Within its validity period"),
        ("bad_signature", "Signed by the identity provider"),
        ("wrong_issuer", "Issued by the configured identity provider"),
    ] {
        idp.control("/__test/mode", json!({"mode": mode})).await;
        let agent = Agent::new();
        let end = oidc_sign_in(&app, &agent, &m, &m).await;
        refused(&app, &agent, &end, forbidden, check).await;
    }
    idp.control("/__test/mode", json!({"mode": null})).await;

    // An email the provider did not verify; a domain the policy does not allow; a stranger.
    idp.control("/__test/unverified", json!({"email": unverified}))
        .await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &unverified, &unverified).await;
    refused(&app, &agent, &end, forbidden, "Names a verified email").await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, "someone@elsewhere.org").await;
    refused(&app, &agent, &end, forbidden, "domain is allowed").await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, &email("stranger")).await;
    refused(&app, &agent, &end, forbidden, "member of the policy").await;

    // A callback with no pending sign-in, and a forged state from another browser.
    let agent = Agent::new();
    let end = agent
        .get(&format!(
            "{}/auth/oidc/callback?state=abc&code=xyz",
            app.base
        ))
        .await;
    refused(&app, &agent, &end, forbidden, "Answers the sign-in request").await;
    let victim = Agent::new();
    let first = victim
        .go(
            Method::GET,
            &format!("{}/auth/sso/start?email={m}", app.base),
            &[],
            Some(&idp.url),
        )
        .await;
    let state = query_param(&first.url, "state").expect("the provider's address carries state");
    let forger = Agent::new();
    let end = forger
        .get(&format!(
            "{}/auth/oidc/callback?state={state}&code=forged",
            app.base
        ))
        .await;
    refused(
        &app,
        &forger,
        &end,
        forbidden,
        "Answers the sign-in request",
    )
    .await;
    // …and the real browser's sign-in is untouched by the attempt.
    let at_idp = victim.get(&first.url).await;
    let end = victim.submit(&at_idp, &[("login", &m)], None).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );

    // Key rotation: the provider signs with a key we have not seen; we fetch its keys again.
    idp.control("/__test/rotate", json!({})).await;
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, &m, &m).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );

    // The provider goes down between the login and the code exchange.
    let agent = Agent::new();
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={m}", app.base))
        .await;
    let callback = format!("{}/auth/oidc/callback", app.base);
    let back = agent
        .submit(&at_idp, &[("login", &m)], Some(&callback))
        .await;
    idp.control("/__test/down", json!({"down": true})).await;
    let end = agent.get(&back.url).await;
    refused(
        &app,
        &agent,
        &end,
        StatusCode::BAD_GATEWAY,
        "could not be reached",
    )
    .await;
    idp.control("/__test/down", json!({"down": false})).await;

    // Nothing a refusal did is in the organization's log.
    assert_eq!(audit_count(&app, &org).await, before);
}

async fn r24_a_provider_that_never_answers_is_a_clear_page(app: TestApp) {
    let org = app.established_org(5).await;
    app.verify_domain(&org, "example.com").await;
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "Down", "issuer": "http://127.0.0.1:9", "client_id": CLIENT,
            "client_secret": SECRET, "allowed_domains": ["example.com"], "team_ids": [org.second_team]}),
    )
    .await
    .ok();
    let agent = Agent::new();
    let end = agent
        .get(&format!("{}/auth/sso/start?email={}", app.base, email("x")))
        .await;
    refused(
        &app,
        &agent,
        &end,
        StatusCode::BAD_GATEWAY,
        "could not be reached",
    )
    .await;
    // An email whose domain has no SSO: the sign-in page, with the reason beside the email.
    let end = agent
        .get(&format!("{}/auth/sso/start?email=ana@nosso.org", app.base))
        .await;
    assert_eq!(end.status, StatusCode::OK);
    assert!(
        end.text
            .contains("No single sign-on is set up for this email"),
        "{}",
        end.text
    );
}

async fn r24_test_connection_shows_each_check(app: TestApp) {
    let (org, idp, pol) = oidc_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    // The Org Admin signs in to the portal by code (break-glass) and runs the test.
    let admin = Agent::new();
    let page = admin.get(&format!("{}/sign-in", app.base)).await;
    let page = admin
        .submit_form(&page, "/sign-in", &[("email", &org.admin_email)], None)
        .await;
    let code = app.last_code(&org.admin_email).await.unwrap();
    admin
        .submit_form(&page, "/sign-in", &[("code", &code)], None)
        .await;
    let policy_page = admin
        .get(&format!("{}/orgs/{}/settings/sso/{pol}", app.base, org.id))
        .await;
    assert!(
        policy_page.text.contains("Test connection"),
        "{}",
        policy_page.text
    );
    let at_idp = admin.submit_form(&policy_page, "/test", &[], None).await;
    let result = admin.submit(&at_idp, &[("login", &m)], None).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.text);
    assert!(
        result.text.contains("Every check passed"),
        "{}",
        result.text
    );
    assert!(!result.text.contains("Failed"));
    // The admin's own session is untouched: a test signs nobody in.
    let (_, me) = admin.me(&app.base).await;
    assert_eq!(me["user"]["email"], org.admin_email.as_str());

    // Again, now that the provider no longer vouches for the email (it remembers the login, so
    // the browser comes straight back).
    idp.control("/__test/unverified", json!({"email": m})).await;
    let result = admin.submit_form(&policy_page, "/test", &[], None).await;
    assert!(result.text.contains("A check failed"), "{}", result.text);
    assert!(result.text.contains("Failed") && result.text.contains("Not reached"));
}

db_tests!(
    r24_oidc_sign_in_reaches_only_the_policys_organization,
    r24_sso_only_people_get_no_code_and_the_page_says_sso,
    r24_break_glass_org_admins_and_listed_emails_keep_codes_audited,
    r24a_just_in_time_members_take_a_seat_or_are_refused_whole,
    r24_oidc_refusals_are_pages_and_change_nothing,
    r24_a_provider_that_never_answers_is_a_clear_page,
    r24_test_connection_shows_each_check,
);
