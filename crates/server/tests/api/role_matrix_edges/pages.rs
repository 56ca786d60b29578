//! The portal's pages by role: every GET page of an organization as its Org Admin, its Org
//! Analyst, a Team Admin (of the second team), a member with no org role, a signed-in person of
//! another organization and nobody — against docs/rules.md's permission table (a plain member has
//! no row: 403; another organization: 404; signed out: to the sign-in page and back). Then three
//! forms posted with a live session but no CSRF token, or another session's: refused, nothing
//! changed, and the same form with the right token goes through.

use super::{Form, browser};
use crate::db_tests;
use crate::helpers::TestApp;
use crate::tenancy::Objects;
use serde_json::json;

/// What a page must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// 200, the page.
    Page,
    /// 403, the refusal page.
    No,
    /// 404, as for an organization that doesn't exist.
    Gone,
    /// 303 to `/sign-in?next=<this page>`.
    SignIn,
    /// 303 to a page of the organization starting with this path.
    To(&'static str),
}
use Want::*;

/// The callers, in the order of the table's columns.
const ROLES: [&str; 6] = [
    "Org Admin",
    "Org Analyst",
    "Team Admin",
    "member",
    "other org",
    "signed out",
];

/// Every GET page under `/orgs/{org}` (crates/web/src/pages/mod.rs). `{t2}` is the Team Admin's
/// team, `{t1}` the initial team (not theirs); `{mate}` is in both, `{solo}` in the Team Admin's
/// team only (a Team Admin never removes a last team), `{loner}` in the initial team only. A
/// confirmation page belongs to the change it confirms.
#[rustfmt::skip]
const PAGES: &[(&str, [Want; 6])] = &[
    //                                         admin analyst team admin member other signed out
    ("",                                      [To("/users"), To("/users"), To("/users"), No, Gone, SignIn]),
    ("/onboarding",                           [To("/teams"), To("/teams"), To("/teams"), No, Gone, SignIn]),
    ("/teams",                                [Page, Page, Page, No, Gone, SignIn]),
    ("/teams/{t2}",                           [Page, Page, Page, No, Gone, SignIn]),
    ("/teams/{t1}",                           [Page, Page, No,   No, Gone, SignIn]),
    ("/users",                                [Page, Page, Page, No, Gone, SignIn]),
    ("/users.csv",                            [Page, Page, Page, No, Gone, SignIn]),
    ("/users/{mate}",                         [Page, Page, Page, No, Gone, SignIn]),
    ("/users/{solo}",                         [Page, Page, Page, No, Gone, SignIn]),
    ("/users/{loner}",                        [Page, Page, No,   No, Gone, SignIn]),
    ("/users/{mate}/memberships/{t2}/remove", [Page, No,   Page, No, Gone, SignIn]),
    ("/users/{solo}/memberships/{t2}/remove", [Page, No,   No,   No, Gone, SignIn]),
    ("/users/{loner}/memberships/{t1}/remove",[Page, No,   No,   No, Gone, SignIn]),
    ("/users/{mate}/remove",                  [Page, No,   No,   No, Gone, SignIn]),
    ("/admins",                               [Page, Page, No,   No, Gone, SignIn]),
    ("/analytics",                            [Page, Page, Page, No, Gone, SignIn]),
    ("/audit",                                [Page, No,   No,   No, Gone, SignIn]),
    ("/audit.csv",                            [Page, No,   No,   No, Gone, SignIn]),
    ("/api-tokens",                           [Page, No,   No,   No, Gone, SignIn]),
    ("/settings",                             [To("/settings/teams/"), To("/settings/teams/"), To("/settings/teams/"), No, Gone, SignIn]),
    ("/settings/teams/{t2}",                  [Page, Page, Page, No, Gone, SignIn]),
    ("/settings/teams/{t1}",                  [Page, Page, No,   No, Gone, SignIn]),
    ("/settings/policies",                    [Page, Page, No,   No, Gone, SignIn]),
    ("/settings/policies/{pol}",              [Page, Page, No,   No, Gone, SignIn]),
    ("/settings/sso",                         [Page, Page, No,   No, Gone, SignIn]),
    ("/settings/sso/{sso}",                   [Page, Page, No,   No, Gone, SignIn]),
    ("/settings/domains",                     [Page, Page, No,   No, Gone, SignIn]),
    ("/billing",                              [Page, No,   No,   No, Gone, SignIn]),
    ("/billing/{sub}",                        [Page, No,   No,   No, Gone, SignIn]),
];

/// A GET of a page with the session cookie (none: signed out): status and `Location`.
async fn get(app: &TestApp, path: &str, session: Option<&str>) -> (u16, String) {
    let mut req = browser().get(format!("{}{path}", app.base));
    if let Some(s) = session {
        req = req.header("cookie", format!("sb_session={s}"));
    }
    let r = req.send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), location)
}

/// Adds `email` to `team` as the Org Admin; their user id.
async fn add(
    app: &TestApp,
    org: &crate::helpers::Org,
    team: &str,
    role: &str,
    email: &str,
) -> String {
    let r = org
        .add(app, &[email])
        .to(team)
        .as_role(role)
        .without_access()
        .await;
    TestApp::user_id_in(&r, email)
}

async fn portal_pages_follow_the_permission_table(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let objects = Objects::make(&app, &org).await;
    add(
        &app,
        &org,
        &org.second_team,
        "team_admin",
        "lead@acme.example",
    )
    .await;
    add(
        &app,
        &org,
        &org.initial_team,
        "member",
        "plain@acme.example",
    )
    .await;
    let loner = add(
        &app,
        &org,
        &org.initial_team,
        "member",
        "loner@acme.example",
    )
    .await;
    let solo = add(&app, &org, &org.second_team, "member", "solo@acme.example").await;
    let mate = add(&app, &org, &org.second_team, "member", "mate@acme.example").await;
    app.post(
        &org.path(&format!("/users/{mate}/memberships")),
        &org.admin,
        json!({"team_id": org.initial_team, "team_role": "member"}),
    )
    .await
    .ok();
    let sessions = [
        Some(org.admin.clone()),
        // Objects made them an Org Analyst.
        Some(app.sign_in("role-holder@example.com").await),
        Some(app.sign_in("lead@acme.example").await),
        Some(app.sign_in("plain@acme.example").await),
        Some(app.org().seats(5).established().await.admin),
        None,
    ];
    let mut wrong = Vec::new();
    for (path, wants) in PAGES {
        let full = format!("/orgs/{}{path}", org.id)
            .replace("{t1}", &org.initial_team)
            .replace("{t2}", &org.second_team)
            .replace("{mate}", &mate)
            .replace("{solo}", &solo)
            .replace("{loner}", &loner)
            .replace("{pol}", &objects.policy)
            .replace("{sso}", &objects.sso_policy)
            .replace("{sub}", &org.subscription);
        for ((role, session), want) in ROLES.iter().zip(&sessions).zip(wants) {
            let (status, location) = get(&app, &full, session.as_deref()).await;
            let ok = match *want {
                Page => status == 200,
                No => status == 403,
                Gone => status == 404,
                SignIn => {
                    let next: String = form_urlencoded::byte_serialize(full.as_bytes()).collect();
                    status == 303 && location == format!("/sign-in?next={next}")
                }
                To(to) => status == 303 && location.starts_with(&format!("/orgs/{}{to}", org.id)),
            };
            if !ok {
                wrong.push(format!(
                    "{role} GET {path}: want {want:?}, got {status} {location}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cells differ from the permission table:\n{}",
        wrong.len(),
        PAGES.len() * ROLES.len(),
        wrong.join("\n")
    );
}

/// Posts a form as the browser of `session`, from our own origin.
async fn post_form(app: &TestApp, path: &str, session: &str, form: &[(&str, &str)]) -> u16 {
    browser()
        .post(format!("{}{path}", app.base))
        .header("cookie", format!("sb_session={session}"))
        .header("origin", &app.base)
        .form_of(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn portal_forms_without_the_sessions_csrf_token_change_nothing(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let admin = app.sign_in(&org.admin_email).await;
    let someone = add(&app, &org, &org.initial_team, "member", "kept@acme.example").await;
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": "Kept", "scopes": ["read"]}),
        )
        .await;
    let (token_id, token) = (
        r.ok()["id"].as_str().unwrap().to_owned(),
        r.body["token"].as_str().unwrap().to_owned(),
    );
    // Three representative forms: add users, remove a user from the organization, revoke a token.
    let add_path = format!("/orgs/{}/users", org.id);
    let remove_path = format!("/orgs/{}/users/{someone}/remove", org.id);
    let revoke_path = format!("/orgs/{}/api-tokens/{token_id}/delete", org.id);
    let add_fields = [
        ("team_id", org.initial_team.as_str()),
        ("team_role", "member"),
        ("emails", "smuggled@acme.example"),
    ];
    let ours = app.services.csrf_token(&admin);
    let others = app.services.csrf_token(&org.admin);
    for csrf in [None, Some(""), Some("forged"), Some(others.as_str())] {
        for path in [&add_path, &remove_path, &revoke_path] {
            let mut form = if path == &add_path {
                add_fields.to_vec()
            } else {
                vec![]
            };
            if let Some(c) = csrf {
                form.push(("csrf_token", c));
            }
            let status = post_form(&app, path, &admin, &form).await;
            assert_eq!(status, 403, "{path} with csrf_token {csrf:?}");
        }
    }
    // Nothing changed.
    let users = app.get(&org.path("/users?q=smuggled"), &org.admin).await;
    assert_eq!(users.ok()["items"].as_array().unwrap().len(), 0);
    app.get(&org.path(&format!("/users/{someone}")), &org.admin)
        .await
        .ok();
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);
    let log = app.get(&org.path("/audit-log?limit=3"), &org.admin).await;
    assert_eq!(
        log.ok()["items"][0]["action"],
        "api_token.create",
        "no entry after the refusals"
    );
    // With the session's own token each goes through.
    let mut form = add_fields.to_vec();
    form.push(("csrf_token", &ours));
    assert_eq!(post_form(&app, &add_path, &admin, &form).await, 200);
    assert_eq!(
        post_form(&app, &remove_path, &admin, &[("csrf_token", &ours)]).await,
        303
    );
    assert_eq!(
        post_form(&app, &revoke_path, &admin, &[("csrf_token", &ours)]).await,
        303
    );
    let users = app.get(&org.path("/users?q=smuggled"), &org.admin).await;
    assert_eq!(users.ok()["items"].as_array().unwrap().len(), 1);
    app.get(&org.path(&format!("/users/{someone}")), &org.admin)
        .await
        .problem(404, "not_found");
    assert_eq!(app.get("/api/v1/me", &token).await.status, 401);
}

db_tests!(
    portal_pages_follow_the_permission_table,
    portal_forms_without_the_sessions_csrf_token_change_nothing
);
