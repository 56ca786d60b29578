//! Sessions: missing, bad and signed-out tokens answer 401, `/me` lists organizations,
//! memberships and roles, and cookie sessions need our origin and the CSRF token to change
//! anything.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

async fn missing_bad_and_signed_out_tokens_answer_401(app: TestApp) {
    let org = app.org().seats(5).established().await;
    app.call(Method::GET, "/api/v1/me", None, None)
        .await
        .problem(401, "unauthorized");
    app.get("/api/v1/me", "sbs_nonsense")
        .await
        .problem(401, "unauthorized");
    app.get(&org.path("/teams"), "sbs_nonsense")
        .await
        .problem(401, "unauthorized");
    let r = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&org.admin), None)
        .await;
    assert_eq!(r.status, 204);
    app.get("/api/v1/me", &org.admin)
        .await
        .problem(401, "unauthorized");
}

async fn me_lists_orgs_memberships_and_roles(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let me = app.get("/api/v1/me", &org.admin).await;
    assert_eq!(me.ok()["user"]["email"], org.admin_email.as_str());
    assert_eq!(me.body["user"]["status"], "signed_in");
    let o = &me.body["orgs"][0];
    assert_eq!(o["id"], org.id.as_str());
    assert_eq!(o["name"], "Acme");
    assert_eq!(o["org_role"], "org_admin");
    assert_eq!(o["memberships"].as_array().unwrap().len(), 1);
}

async fn cookie_sessions_need_our_origin_and_the_csrf_token_to_change_anything(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let me = app.get("/api/v1/me", &org.admin).await;
    let csrf = me.ok()["csrf_token"].as_str().unwrap().to_owned();
    let url = format!("{}{}", app.base, org.path("/teams"));
    let host = app.base.trim_start_matches("http://").to_owned();
    let post = |origin: Option<&str>, token: Option<&str>, name: &str| {
        let mut r = app
            .client
            .post(&url)
            .header("cookie", format!("sb_session={}", org.admin))
            .json(&json!({"name": name, "login_type": "email"}));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }
    };
    let ours = format!("http://{host}");
    assert_eq!(
        post(Some("https://evil.example"), Some(&csrf), "A").await,
        (403, "csrf_failed".into()),
        "a foreign origin"
    );
    assert_eq!(
        post(None, Some(&csrf), "B").await,
        (403, "csrf_failed".into()),
        "no origin at all"
    );
    assert_eq!(
        post(Some(&ours), None, "C").await,
        (403, "csrf_failed".into()),
        "no token"
    );
    assert_eq!(
        post(Some(&ours), Some("0000"), "D").await,
        (403, "csrf_failed".into()),
        "a wrong token"
    );
    assert_eq!(
        post(Some(&ours), Some(&csrf), "E").await.0,
        201,
        "our origin and the session's token"
    );
    // Sec-Fetch-Site from a browser counts as the origin check.
    let r = app
        .client
        .post(&url)
        .header("cookie", format!("sb_session={}", org.admin))
        .header("sec-fetch-site", "cross-site")
        .header("origin", &ours)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "F", "login_type": "email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Reads need neither; bearer tokens need neither.
    let r = app
        .client
        .get(&url)
        .header("cookie", format!("sb_session={}", org.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.post(
        &org.path("/teams"),
        &org.admin,
        json!({"name": "G", "login_type": "email"}),
    )
    .await
    .ok();
    let names: Vec<String> = app.get(&org.path("/teams"), &org.admin).await.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"E".to_owned()) && names.contains(&"G".to_owned()));
    for refused in ["A", "B", "C", "D", "F"] {
        assert!(
            !names.contains(&refused.to_owned()),
            "{refused} was created"
        );
    }
    // Another session's token does not fit this one.
    let other = app.sign_in(&org.admin_email).await;
    let other_csrf = app.get("/api/v1/me", &other).await.ok()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(other_csrf, csrf);
    assert_eq!(post(Some(&ours), Some(&other_csrf), "H").await.0, 403);
}

db_tests!(
    missing_bad_and_signed_out_tokens_answer_401,
    me_lists_orgs_memberships_and_roles,
    cookie_sessions_need_our_origin_and_the_csrf_token_to_change_anything,
);
