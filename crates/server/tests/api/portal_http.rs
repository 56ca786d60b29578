//! The portal's rules over plain HTTP (no browser needed): forms refuse other origins and
//! missing CSRF tokens and change nothing; another organization's pages answer 404; signed-out
//! pages send you to sign in and back only to a path of this site; an Org Analyst's pages offer
//! no changes and their posts are refused.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::redirect::Policy;

fn browser() -> reqwest::Client {
    switchboard_service::use_ring_for_tls();
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The hidden `csrf_token` of a page.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("the page has a form");
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) async fn page(app: &TestApp, path: &str, session: &str) -> (u16, String) {
    let r = browser()
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("sb_session={session}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    path: &str,
    session: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut r = browser().post(format!("{}{path}", app.base));
    if !session.is_empty() {
        r = r.header("cookie", format!("sb_session={session}"));
    }
    r.header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await
        .unwrap()
}

async fn team_names(app: &TestApp, org: &crate::helpers::Org) -> Vec<String> {
    let r = app.get(&org.path("/teams"), &org.admin).await;
    r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn r25_portal_forms_refuse_other_origins_and_missing_csrf_tokens(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let (status, html) = page(&app, &format!("/orgs/{}/teams", org.id), &org.admin).await;
    assert_eq!(status, 200);
    let token = csrf_of(&html);
    let path = format!("/orgs/{}/teams", org.id);
    fn fields(t: &str) -> [(&'static str, &str); 3] {
        [
            ("name", "Night Shift"),
            ("login_type", "email"),
            ("csrf_token", t),
        ]
    }
    let ours = app.base.clone();
    // No token, a wrong token, another site's origin: 403, and no team.
    assert_eq!(
        post(&app, &path, &org.admin, &ours, &fields(""))
            .await
            .status(),
        403
    );
    assert_eq!(
        post(&app, &path, &org.admin, &ours, &fields("forged"))
            .await
            .status(),
        403
    );
    let t = token.as_str();
    let r = post(&app, &path, &org.admin, "https://evil.example", &fields(t)).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("did not come from this Switchboard page")
    );
    assert!(
        !team_names(&app, &org)
            .await
            .contains(&"Night Shift".to_owned())
    );
    // A body not declared as a form is refused too.
    let r = browser()
        .post(format!("{}{path}", app.base))
        .header("cookie", format!("sb_session={}", org.admin))
        .header("origin", &ours)
        .header("content-type", "text/plain")
        .body(format!("name=Night+Shift&login_type=email&csrf_token={t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // Our origin and the session's token: created, then a redirect (post/redirect/get).
    let r = post(&app, &path, &org.admin, &ours, &fields(t)).await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/orgs/{}/teams/team_", org.id))
    );
    assert!(
        team_names(&app, &org)
            .await
            .contains(&"Night Shift".to_owned())
    );
    // A refused form shows the problem beside its field and changes nothing.
    let r = post(
        &app,
        &path,
        &org.admin,
        &ours,
        &[
            ("name", "night shift"),
            ("login_type", "email"),
            ("csrf_token", t),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"field has-error\""), "{html}");
    assert!(html.contains("already exists"), "{html}");
    assert_eq!(
        team_names(&app, &org)
            .await
            .iter()
            .filter(|n| n.eq_ignore_ascii_case("night shift"))
            .count(),
        1
    );
}

async fn r5_portal_pages_of_another_organization_are_not_found(app: TestApp) {
    let a = app.org().seats(5).established().await;
    let b = app.org().seats(5).established().await;
    for path in [
        "/users",
        "/teams",
        "/admins",
        "/audit",
        &format!("/teams/{}", b.initial_team),
        &format!("/users/{}", b.admin_user),
    ] {
        let (status, html) = page(&app, &format!("/orgs/{}{path}", b.id), &a.admin).await;
        assert_eq!(status, 404, "{path}: {html}");
        assert!(html.contains("There is nothing at this address"), "{path}");
    }
    // Nor does a team of another organization show under one's own.
    let (status, _) = page(
        &app,
        &format!("/orgs/{}/teams/{}", a.id, b.initial_team),
        &a.admin,
    )
    .await;
    assert_eq!(status, 404);
}

async fn r11_signed_out_pages_send_you_to_sign_in_and_back_only_here(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let r = browser()
        .get(format!("{}/orgs/{}/users?q=ana", app.base, org.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/sign-in?next=%2Forgs%2F"), "{to}");
    // A `next` that leaves the site is ignored: sign-in lands on `/`.
    let email = org.admin_email.clone();
    let start = post(
        &app,
        "/sign-in",
        "",
        &app.base,
        &[("email", &email), ("next", "//evil.example/x")],
    )
    .await;
    assert_eq!(start.status(), 200);
    let code = app.last_code(&email).await.unwrap();
    let done = post(
        &app,
        "/sign-in",
        "",
        &app.base,
        &[
            ("email", &email),
            ("code", &code),
            ("next", "//evil.example/x"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/");
    let cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Nor may a `next` smuggle another site past the check (browsers drop tabs and new lines).
    for sneaky in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example"] {
        let _ = post(&app, "/sign-in", "", &app.base, &[("email", &email)]).await;
        let code = app.last_code(&email).await.unwrap();
        let r = post(
            &app,
            "/sign-in",
            "",
            &app.base,
            &[("email", &email), ("code", &code), ("next", sneaky)],
        )
        .await;
        assert_eq!(r.status(), 303, "{sneaky:?}");
        assert_eq!(r.headers()["location"], "/", "{sneaky:?}");
    }
    // A wrong code is said beside the code field, and no session starts.
    let _ = post(&app, "/sign-in", "", &app.base, &[("email", &email)]).await;
    let wrong = post(
        &app,
        "/sign-in",
        "",
        &app.base,
        &[("email", &email), ("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status(), 200);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong.text().await.unwrap().contains("field has-error"));
}

async fn r9_an_org_analyst_reads_the_portal_and_changes_nothing(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let r = app
        .post(
            &org.path("/admins"),
            &org.admin,
            serde_json::json!({"email": "analyst@example.com", "role": "org_analyst"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let analyst = app.sign_in("analyst@example.com").await;
    let (status, html) = page(&app, &format!("/orgs/{}/users", org.id), &analyst).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Add users") && html.contains("Download CSV"));
    let (_, html) = page(&app, &format!("/orgs/{}/admins", org.id), &analyst).await;
    assert!(!html.contains("Assign admin"));
    let token = csrf_of(&html);
    let r = post(
        &app,
        &format!("/orgs/{}/admins", org.id),
        &analyst,
        &app.base,
        &[
            ("email", "x@example.com"),
            ("role", "org_admin"),
            ("csrf_token", &token),
        ],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("There is a problem") || html.contains("Forbidden"),
        "{html}"
    );
    let admins = app.get(&org.path("/admins"), &org.admin).await;
    assert!(!admins.ok().to_string().contains("x@example.com"));
    // The CSV of the users list is theirs to read.
    let r = browser()
        .get(format!("{}/orgs/{}/users.csv", app.base, org.id))
        .header("cookie", format!("sb_session={analyst}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("email,name,teams,org_role,status,app_access,id"),
        "{csv}"
    );
    assert!(csv.contains("analyst@example.com"));
}

/// The number a counter of the users page shows (written with thousands separators).
pub(crate) fn counter(html: &str, label: &str) -> i64 {
    let end = html
        .find(&format!("</span>{label}"))
        .unwrap_or_else(|| panic!("the counter {label}"));
    let start = html[..end].rfind('>').unwrap() + 1;
    html[start..end].trim().replace(',', "").parse().unwrap()
}

async fn r11_a_team_admins_users_page_counts_only_their_teams(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let add = |team: &str, role: &str, emails: &[&str]| serde_json::json!({"team_id": team, "team_role": role, "emails": emails, "app_access": false});
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            add(&org.second_team, "team_admin", &["lead@acme.example"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            add(
                &org.second_team,
                "member",
                &["a@acme.example", "b@acme.example"],
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            add(
                &org.initial_team,
                "member",
                &["c@acme.example", "d@acme.example", "e@acme.example"],
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let everyone = app.get(&org.path("/users?limit=200"), &org.admin).await;
    let total = everyone.ok()["items"].as_array().unwrap().len() as i64;
    let (_, html) = page(&app, &format!("/orgs/{}/users", org.id), &org.admin).await;
    assert_eq!(counter(&html, "Users"), total);
    let lead = app.sign_in("lead@acme.example").await;
    let (status, html) = page(&app, &format!("/orgs/{}/users", org.id), &lead).await;
    assert_eq!(status, 200);
    assert_eq!(
        counter(&html, "Users"),
        3,
        "the lead and the two members of their team"
    );
    assert_eq!(
        counter(&html, "Not yet signed in"),
        2,
        "the lead has signed in"
    );
    assert!(!html.contains("c@acme.example"));
}

async fn r25_the_audit_csv_holds_the_whole_filtered_log(app: TestApp) {
    let org = app.org().seats(5).established().await;
    for i in 0..120 {
        let r = app
            .post(
                &org.path("/teams"),
                &org.admin,
                serde_json::json!({"name": format!("Team {i}"), "login_type": "email"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = browser()
        .get(format!(
            "{}/orgs/{}/audit.csv?action=team.create",
            app.base, org.id
        ))
        .header("cookie", format!("sb_session={}", org.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-log.csv")
    );
    let csv = r.text().await.unwrap();
    let rows = csv.lines().filter(|l| l.contains("team.create")).count();
    assert!(rows >= 120, "every page of the log: {rows} rows");
}

db_tests!(
    r25_portal_forms_refuse_other_origins_and_missing_csrf_tokens,
    r5_portal_pages_of_another_organization_are_not_found,
    r11_signed_out_pages_send_you_to_sign_in_and_back_only_here,
    r9_an_org_analyst_reads_the_portal_and_changes_nothing,
    r25_the_audit_csv_holds_the_whole_filtered_log,
    r11_a_team_admins_users_page_counts_only_their_teams
);
