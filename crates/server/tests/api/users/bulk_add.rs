//! R6: `POST /users` adds up to 1000 emails at once, reports each, and is all or nothing on seats.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

fn outcomes(r: &crate::helpers::Resp) -> Vec<(String, String)> {
    r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["email"].as_str().unwrap().to_owned(),
                x["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn r6_bulk_add_reports_each_email(app: TestApp) {
    let org = app.org().seats(20).established().await;
    org.add(&app, &["old@example.com"])
        .to(&org.initial_team)
        .as_member()
        .await
        .ok();
    let r = org
        .add(
            &app,
            &[
                "new@example.com",
                "OLD@example.com",
                "not-an-email",
                "",
                "new@example.com",
            ],
        )
        .to(&org.initial_team)
        .as_member()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        outcomes(&r),
        vec![
            ("new@example.com".into(), "added".into()),
            ("OLD@example.com".into(), "already_member".into()),
            ("not-an-email".into(), "invalid".into()),
            ("".into(), "invalid".into()),
            ("new@example.com".into(), "invalid".into()),
        ]
    );
    assert!(
        r.body["results"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("@")
    );
    assert_eq!(
        (
            r.body["added"].clone(),
            r.body["already_member"].clone(),
            r.body["invalid"].clone()
        ),
        (json!(1), json!(1), json!(3))
    );
    insta::assert_json_snapshot!(org.redact(&r.body), @r#"
    {
      "added": 1,
      "already_member": 1,
      "invalid": 3,
      "results": [
        {
          "email": "new@example.com",
          "outcome": "added",
          "reason": null,
          "user_id": "[usr 1]"
        },
        {
          "email": "OLD@example.com",
          "outcome": "already_member",
          "reason": null,
          "user_id": "[usr 2]"
        },
        {
          "email": "not-an-email",
          "outcome": "invalid",
          "reason": "email has no @",
          "user_id": null
        },
        {
          "email": "",
          "outcome": "invalid",
          "reason": "email is empty",
          "user_id": null
        },
        {
          "email": "new@example.com",
          "outcome": "invalid",
          "reason": "is listed more than once in this request",
          "user_id": null
        }
      ]
    }
    "#);
    let users = app.get(&org.path("/users"), &org.admin).await;
    assert_eq!(
        users.ok()["items"].as_array().unwrap().len(),
        3,
        "admin, old, new"
    );
}

async fn r6_bulk_add_takes_at_most_1000_emails(app: TestApp) {
    let org = app.org().seats(2000).established().await;
    let many: Vec<String> = (0..1001).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let detail = org
        .add(&app, &refs)
        .to(&org.initial_team)
        .as_member()
        .await
        .problem(422, "validation_failed");
    assert!(detail.contains("1000"));
    org.add(&app, &[])
        .to(&org.initial_team)
        .as_member()
        .await
        .problem(422, "validation_failed");
    let r = org
        .add(&app, &refs[..1000])
        .to(&org.initial_team)
        .as_member()
        .await;
    assert_eq!(r.ok()["added"], 1000);
}

async fn r6_bulk_add_is_all_or_nothing_on_seats(app: TestApp) {
    let org = app.org().seats(3).established().await; // the admin holds one seat
    let r = org
        .add(&app, &["a@example.com", "b@example.com", "c@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    let detail = r.problem(409, "seat_limit_reached");
    assert!(detail.contains("3 seat(s) needed, 2 free"), "{detail}");
    let users = app.get(&org.path("/users"), &org.admin).await;
    assert_eq!(
        users.ok()["items"].as_array().unwrap().len(),
        1,
        "nothing was added"
    );
    let r = org
        .add(&app, &["a@example.com", "b@example.com"])
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await;
    assert_eq!(r.ok()["added"], 2);
}

db_tests!(
    r6_bulk_add_reports_each_email,
    r6_bulk_add_takes_at_most_1000_emails,
    r6_bulk_add_is_all_or_nothing_on_seats,
);
