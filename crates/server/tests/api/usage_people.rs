//! R26 in the user list: each user's last active day, the `used_app` filter, and the users
//! page's "Never used the app" counter — over the API, the page and its CSV.

use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::TestApp;
use crate::portal_http::{counter, page};
use reqwest::Method;
use serde_json::{Value, json};

fn emails(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn r26_the_user_list_tells_who_used_the_app_and_when(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let (user, idle) = ("agent-used@example.com", "agent-idle@example.com");
    org.add(&app, &[user, idle])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let token = app_sign_in(&app, user, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let at = now
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = app
        .call(
            Method::POST,
            "/app/v1/usage",
            Some(&token),
            Some(json!({"events": [{"id": "s1", "type": "app_start", "at": at}]})),
        )
        .await;
    assert_eq!(r.ok()["events"][0]["outcome"], "accepted");
    let today = now.date().to_string();

    let used = app.get(&org.path("/users?used_app=true"), &org.admin).await;
    assert_eq!(emails(used.ok()), [user]);
    assert_eq!(used.ok()["items"][0]["last_active"], today.as_str());
    let never = app
        .get(&org.path("/users?used_app=false"), &org.admin)
        .await;
    let never_emails = emails(never.ok());
    assert!(never_emails.contains(&idle.to_owned()), "{never_emails:?}");
    assert!(!never_emails.contains(&user.to_owned()));
    assert!(
        never.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["last_active"].is_null())
    );
    // The filter combines with the others, and a value that isn't a boolean is refused.
    let both = app
        .get(
            &org.path(&format!("/users?used_app=true&team={}", org.second_team)),
            &org.admin,
        )
        .await;
    assert_eq!(emails(both.ok()), Vec::<String>::new());
    app.get(&org.path("/users?used_app=maybe"), &org.admin)
        .await
        .problem(422, "validation_failed");
    // One user: their last active day too.
    let id = used.ok()["items"][0]["id"].as_str().unwrap().to_owned();
    let one = app
        .get(&org.path(&format!("/users/{id}")), &org.admin)
        .await;
    assert_eq!(one.ok()["last_active"], today.as_str());

    // The page: the counter, the filter, the column; and the CSV's last column.
    let all = app.get(&org.path("/users?limit=200"), &org.admin).await;
    let total = all.ok()["items"].as_array().unwrap().len() as i64;
    let (status, html) = page(&app, &format!("/orgs/{}/users", org.id), &org.admin).await;
    assert_eq!(status, 200);
    assert_eq!(counter(&html, "Never used the app"), total - 1);
    let (_, html) = page(
        &app,
        &format!("/orgs/{}/users?used_app=false", org.id),
        &org.admin,
    )
    .await;
    assert!(html.contains(idle) && !html.contains(user), "{html}");
    assert!(html.contains("<option value=\"false\" selected>Never</option>"));
    let (_, html) = page(
        &app,
        &format!("/orgs/{}/users?used_app=true", org.id),
        &org.admin,
    )
    .await;
    assert!(
        html.contains(&format!("<time datetime=\"{today}\"")),
        "the last active day: {html}"
    );
    let (_, csv) = page(
        &app,
        &format!("/orgs/{}/users.csv?used_app=true", org.id),
        &org.admin,
    )
    .await;
    assert!(
        csv.starts_with("email,name,teams,org_role,status,app_access,id,last_active"),
        "{csv}"
    );
    assert!(csv.contains(&format!(",{today}")), "{csv}");
}

db_tests!(r26_the_user_list_tells_who_used_the_app_and_when);
