//! The role × route matrix's edges, beyond the OpenAPI routes `tenancy/matrix.rs` walks: every SCIM
//! route by credential and tenant, the sign-in and sign-out routes by credential (and that signing
//! out ends the caller's session only), and in [`pages`] every portal page by role and forms posted
//! without their CSRF token. Each table is data, one row per route, one column per caller.

mod pages;

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use crate::scim::scim;
use reqwest::Method;
use serde_json::{Value, json};

/// Who calls `/scim/v2`, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScimCaller {
    NoToken,
    /// A portal session of the Org Admin, as a bearer token.
    AdminSession,
    Read,
    Write,
    Admin,
    /// A member's app token.
    App,
    /// A `scim` token of another organization, naming this one's ids.
    OtherOrgScim,
    /// This organization's `scim` token (last: it changes and deletes what the others name).
    Scim,
}
use ScimCaller as C;

const SCIM_CALLERS: [ScimCaller; 8] = [
    C::NoToken,
    C::AdminSession,
    C::Read,
    C::Write,
    C::Admin,
    C::App,
    C::OtherOrgScim,
    C::Scim,
];

const USER_SCHEMA_PATH: &str = "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User";

/// docs/scim.md and R28: discovery needs no token; `/Users` and `/Groups` answer 401 without an
/// API token (a session or an app token is none), 403 to a token without `scim`, 404 to another
/// organization's `scim` token for this one's ids (its lists and creations are its own).
#[rustfmt::skip]
const SCIM_TABLE: &[(&str, &str, [u16; 8])] = &[
    //                                 none sess read write admin app other scim
    ("GET",    "/ServiceProviderConfig", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/ResourceTypes",         [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/ResourceTypes/User",    [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/ResourceTypes/Group",   [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/Schemas",               [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET",    USER_SCHEMA_PATH,         [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST",   "/ServiceProviderConfig", [405, 405, 405, 405, 405, 405, 405, 405]),
    ("GET",    "/Users",                 [401, 401, 403, 403, 403, 401, 200, 200]),
    ("POST",   "/Users",                 [401, 401, 403, 403, 403, 401, 201, 201]),
    ("POST",   "/Users/.search",         [401, 401, 403, 403, 403, 401, 200, 200]),
    ("GET",    "/Users/{user}",          [401, 401, 403, 403, 403, 401, 404, 200]),
    ("PUT",    "/Users/{user}",          [401, 401, 403, 403, 403, 401, 404, 200]),
    ("PATCH",  "/Users/{user}",          [401, 401, 403, 403, 403, 401, 404, 200]),
    ("GET",    "/Groups",                [401, 401, 403, 403, 403, 401, 200, 200]),
    ("POST",   "/Groups",                [401, 401, 403, 403, 403, 401, 201, 201]),
    ("POST",   "/Groups/.search",        [401, 401, 403, 403, 403, 401, 200, 200]),
    ("GET",    "/Groups/{group}",        [401, 401, 403, 403, 403, 401, 404, 200]),
    ("PUT",    "/Groups/{group}",        [401, 401, 403, 403, 403, 401, 404, 200]),
    ("PATCH",  "/Groups/{group}",        [401, 401, 403, 403, 403, 401, 404, 200]),
    ("POST",   "/.search",               [401, 401, 403, 403, 403, 401, 200, 200]),
    ("DELETE", "/Users/{user}",          [401, 401, 403, 403, 403, 401, 404, 204]),
    ("DELETE", "/Groups/{group}",        [401, 401, 403, 403, 403, 401, 404, 204]),
];

/// A body the route accepts, so a refusal can only come from the caller. `n` keeps the names
/// each caller creates apart.
fn scim_body(method: &str, path: &str, n: usize, email: &str) -> Option<Value> {
    let patch = |attr: &str, value: &str| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": attr, "value": value}]})
    };
    let made = format!("made-{n}@acme.example");
    Some(match (method, path) {
        ("POST", "/Users") => json!({"userName": made, "active": true,
            "emails": [{"value": made, "primary": true}]}),
        ("POST", "/Groups") => json!({"displayName": format!("Provisioned {n}")}),
        // A filter both Users and Groups take (the root search asks both).
        ("POST", p) if p.ends_with(".search") => json!({"filter": "id eq \"x\""}),
        ("PUT", "/Users/{user}") => json!({"userName": email, "displayName": "Mate Replaced",
            "active": true, "emails": [{"value": email, "primary": true}]}),
        ("PATCH", "/Users/{user}") => patch("displayName", "Mate Patched"),
        ("PUT", "/Groups/{group}") => json!({"displayName": "Sales EU Replaced", "members": []}),
        ("PATCH", "/Groups/{group}") => patch("displayName", "Sales EU Patched"),
        _ => return None,
    })
}

/// An organization API token with these scopes.
async fn api_token(app: &TestApp, org: &Org, scope: &str) -> String {
    let r = app
        .post(
            &org.path("/api-tokens"),
            &org.admin,
            json!({"name": format!("{scope} token"), "scopes": [scope]}),
        )
        .await;
    r.ok()["token"].as_str().unwrap().to_owned()
}

/// A member of the initial team with app access, signed in to the app: their app token.
async fn app_token(app: &TestApp, org: &Org, email: &str) -> String {
    org.add(app, &[email])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let r = crate::apps::app_sign_in(app, email, None).await;
    r.ok()["token"].as_str().unwrap().to_owned()
}

async fn scim_routes_answer_by_scope_and_tenant(app: TestApp) {
    let org = app.org().seats(20).established().await;
    let mate_email = "mate@acme.example";
    let r = org
        .add(&app, &[mate_email])
        .to(&org.second_team)
        .as_member()
        .without_access()
        .await;
    let mate = TestApp::user_id_in(&r, mate_email);
    let other = app.org().seats(20).established().await;
    let mut tokens = Vec::new();
    for caller in SCIM_CALLERS {
        tokens.push(match caller {
            C::NoToken => String::new(),
            C::AdminSession => org.admin.clone(),
            C::Read => api_token(&app, &org, "read").await,
            C::Write => api_token(&app, &org, "write").await,
            C::Admin => api_token(&app, &org, "admin").await,
            C::App => app_token(&app, &org, "agent@acme.example").await,
            C::OtherOrgScim => api_token(&app, &other, "scim").await,
            C::Scim => api_token(&app, &org, "scim").await,
        });
    }
    let mut cells = 0;
    for (n, (caller, token)) in SCIM_CALLERS.iter().zip(&tokens).enumerate() {
        if *caller == C::Scim {
            // Nobody before this org's own token changed anything here.
            let u = app
                .get(&org.path(&format!("/users/{mate}")), &org.admin)
                .await;
            assert_eq!(u.ok()["email"], mate_email);
            let t = app
                .get(
                    &org.path(&format!("/teams/{}", org.second_team)),
                    &org.admin,
                )
                .await;
            assert_eq!(
                t.ok()["name"],
                "Sales EU",
                "refused SCIM calls change nothing"
            );
        }
        for (method, template, want) in SCIM_TABLE {
            let want = want[n];
            let path = template
                .replace("{user}", &mate)
                .replace("{group}", &org.second_team);
            let body = scim_body(method, template, n, mate_email);
            let (status, answer) = scim(&app, token, method, &path, body).await;
            assert_eq!(
                status, want,
                "{caller:?} {method} /scim/v2{template}: {answer}"
            );
            cells += 1;
            if *caller == C::OtherOrgScim && status < 300 {
                let text = answer.to_string();
                assert!(
                    !text.contains(&mate) && !text.contains(&org.second_team),
                    "another organization's token sees none of this one's ids: {text}"
                );
            }
            if *caller == C::Scim && *method == "GET" && template.ends_with("{user}") {
                assert_eq!(answer["id"], mate.as_str());
            }
        }
    }
    assert_eq!(cells, SCIM_TABLE.len() * SCIM_CALLERS.len());
    // The own token's DELETEs went through: the user left, the team is gone.
    app.get(&org.path(&format!("/users/{mate}")), &org.admin)
        .await
        .problem(404, "not_found");
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

/// Who calls the sign-in routes, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthCaller {
    Nobody,
    Session,
    ApiToken,
    AppToken,
}

const AUTH_CALLERS: [AuthCaller; 4] = [
    AuthCaller::Nobody,
    AuthCaller::Session,
    AuthCaller::ApiToken,
    AuthCaller::AppToken,
];

/// Starting and finishing a sign-in need no session (a bearer is ignored); `me` answers a session
/// and an API token (which it says is one); signing out is for a session alone. The portal's
/// sign-in page and form need no session; `/sign-out` without one sends you to sign in.
#[rustfmt::skip]
const AUTH_TABLE: &[(&str, &str, [u16; 4])] = &[
    //                                    nobody session api-token app-token
    ("POST", "/api/v1/auth/email/start",  [202, 202, 202, 202]),
    ("POST", "/api/v1/auth/email/verify", [200, 200, 200, 200]),
    ("GET",  "/api/v1/me",                [401, 200, 200, 401]),
    ("GET",  "/sign-in",                  [200, 200, 200, 200]),
    ("POST", "/sign-in",                  [200, 200, 200, 200]),
    ("GET",  "/sign-out",                 [303, 303, 303, 303]),
    ("POST", "/api/v1/auth/logout",       [401, 204, 401, 401]),
];

/// A client that shows redirects instead of following them.
pub(crate) fn browser() -> reqwest::Client {
    switchboard_service::use_ring_for_tls();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A form as a browser posts it.
pub(crate) trait Form {
    fn form_of(self, pairs: &[(&str, &str)]) -> Self;
}

impl Form for reqwest::RequestBuilder {
    fn form_of(self, pairs: &[(&str, &str)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}

/// The status `GET /api/v1/me` answers a bearer token.
async fn me(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/me", token).await.status.as_u16()
}

async fn sign_in_routes_need_no_session_and_sign_out_ends_only_the_callers(app: TestApp) {
    let org = app.org().seats(20).established().await;
    // One person per use: sign-in starts are limited per email (5 in the window).
    let people =
        ["v0", "v1", "v2", "v3", "someone", "browser"].map(|p| format!("{p}@acme.example"));
    let emails: Vec<&str> = people.iter().map(String::as_str).collect();
    org.add(&app, &emails)
        .to(&org.initial_team)
        .as_member()
        .await
        .ok();
    let mut cells = 0;
    for (n, caller) in AUTH_CALLERS.into_iter().enumerate() {
        let token = match caller {
            AuthCaller::Nobody => None,
            AuthCaller::Session => Some(app.sign_in(&org.admin_email).await),
            AuthCaller::ApiToken => Some(api_token(&app, &org, "read").await),
            AuthCaller::AppToken => {
                Some(app_token(&app, &org, &format!("agent{n}@acme.example")).await)
            }
        };
        let verifier = people[n].as_str();
        for (method, path, want) in AUTH_TABLE {
            let mut req = browser().request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", app.base),
            );
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            req = match *path {
                "/api/v1/auth/email/start" => {
                    req.json(&json!({"email": format!("who{n}@example.com")}))
                }
                "/api/v1/auth/email/verify" => {
                    let start = app
                        .call(
                            Method::POST,
                            "/api/v1/auth/email/start",
                            None,
                            Some(json!({"email": verifier})),
                        )
                        .await;
                    let code = app.last_code(verifier).await.unwrap();
                    req.json(&json!({"email": verifier, "code": code,
                        "attempt_id": start.body["attempt_id"]}))
                }
                "/sign-in" if *method == "POST" => req
                    .header("origin", &app.base)
                    .form_of(&[("email", &format!("page{n}@example.com"))]),
                _ => req,
            };
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            if *path == "/sign-out" {
                assert_eq!(r.headers()["location"], "/sign-in", "{caller:?}");
            }
            assert_eq!(
                status,
                want[n],
                "{caller:?} {method} {path}: {}",
                r.text().await.unwrap()
            );
            cells += 1;
        }
        // A token the routes ignored is still live; the session's own logout ended it.
        match (caller, &token) {
            (AuthCaller::Session, Some(t)) => assert_eq!(me(&app, t).await, 401),
            (AuthCaller::ApiToken, Some(t)) => assert_eq!(me(&app, t).await, 200),
            (AuthCaller::AppToken, Some(t)) => {
                let e = crate::apps::entitlement(&app, t, None).await;
                assert_eq!(e.status, 200, "{}", e.text);
            }
            _ => {}
        }
    }
    assert_eq!(cells, AUTH_TABLE.len() * AUTH_CALLERS.len());

    // Signing out ends the caller's session, no other: not the same person's other session,
    // not another person's, not an API token nor an app token.
    let (first, second) = (
        app.sign_in(&org.admin_email).await,
        app.sign_in(&org.admin_email).await,
    );
    let someone = app.sign_in(&people[4]).await;
    let read = api_token(&app, &org, "read").await;
    let agent = app_token(&app, &org, "agent-last@acme.example").await;
    let r = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&first), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(me(&app, &first).await, 401);
    assert_eq!(
        [
            me(&app, &second).await,
            me(&app, &someone).await,
            me(&app, &read).await
        ],
        [200, 200, 200]
    );
    assert_eq!(
        crate::apps::entitlement(&app, &agent, None).await.status,
        200
    );
    app.call(Method::POST, "/api/v1/auth/logout", Some(&first), None)
        .await
        .problem(401, "unauthorized");

    // The session cookie: the API's logout needs the CSRF header and our origin, the portal's
    // sign-out form the session's token; a cross-site GET of /sign-out only asks.
    let cookie = |s: &str| format!("sb_session={s}");
    let r = browser()
        .post(format!("{}/api/v1/auth/logout", app.base))
        .header("cookie", cookie(&someone))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a cookie logout without our origin and token"
    );
    let r = browser()
        .post(format!("{}/sign-out", app.base))
        .header("cookie", cookie(&someone))
        .header("origin", &app.base)
        .form_of(&[("csrf_token", &app.services.csrf_token(&second))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another session's CSRF token");
    let r = browser()
        .get(format!("{}/sign-out", app.base))
        .header("cookie", cookie(&someone))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "another site's link only asks");
    assert_eq!(
        me(&app, &someone).await,
        200,
        "nothing above signed them out"
    );
    let r = browser()
        .post(format!("{}/sign-out", app.base))
        .header("cookie", cookie(&someone))
        .header("origin", &app.base)
        .form_of(&[("csrf_token", &app.services.csrf_token(&someone))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in");
    assert_eq!(me(&app, &someone).await, 401);
    assert_eq!(
        me(&app, &second).await,
        200,
        "the admin's other session lives on"
    );
    // Signing in again in a browser ends the session its cookie held, and only that one.
    let verifier = people[5].as_str();
    let kept = app.sign_in(verifier).await;
    let replaced = app.sign_in(verifier).await;
    let start = app
        .call(
            Method::POST,
            "/api/v1/auth/email/start",
            None,
            Some(json!({"email": verifier})),
        )
        .await;
    let code = app.last_code(verifier).await.unwrap();
    let r = browser()
        .post(format!("{}/api/v1/auth/email/verify", app.base))
        .header("cookie", cookie(&replaced))
        .json(&json!({"email": verifier, "code": code, "attempt_id": start.body["attempt_id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        [me(&app, &replaced).await, me(&app, &kept).await],
        [401, 200]
    );
}

db_tests!(
    scim_routes_answer_by_scope_and_tenant,
    sign_in_routes_need_no_session_and_sign_out_ends_only_the_callers
);
