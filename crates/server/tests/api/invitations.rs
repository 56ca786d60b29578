//! Invitations (R6): adding users mails each new member an invitation through the outbox, unless
//! the request says `"invite": false`; the user list shows when they were invited until they sign
//! in; an invitation can be sent again, at most once per 10 minutes, and never to someone who
//! has signed in. A thousand new users are a thousand queued mails, written with the add.

use crate::db_tests;
use crate::helpers::TestApp;
use serde_json::json;

async fn invitations_to(app: &TestApp, email: &str) -> Vec<serde_json::Value> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m["to"] == email && m["subject"].as_str().unwrap_or("").contains("invited you"))
        .collect()
}

async fn r6_adding_users_mails_each_an_invitation_unless_told_not_to(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            json!({"team_id": org.second_team, "team_role": "member",
                   "emails": ["ana@acme.example", "bo@acme.example"], "app_access": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mail = invitations_to(&app, "ana@acme.example").await;
    assert_eq!(mail.len(), 1, "one invitation");
    let subject = mail[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains(&org.admin_email) && subject.contains("Acme"),
        "{subject}"
    );
    assert!(
        mail[0]["body"]
            .as_str()
            .unwrap()
            .contains("sign in with this address (ana@acme.example)")
    );
    let users = app.get(&org.path("/users?q=ana%40"), &org.admin).await;
    let ana = users.ok()["items"][0].clone();
    assert_eq!(ana["status"], "not_signed_in");
    assert!(ana["invited_at"].as_str().unwrap().ends_with('Z'));

    // Someone already in the organization, added to another team, gets no new invitation; nor
    // does anyone who has signed in.
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            json!({"team_id": org.initial_team, "team_role": "member",
                   "emails": ["ana@acme.example", org.admin_email], "app_access": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(invitations_to(&app, "ana@acme.example").await.len(), 1);
    assert!(invitations_to(&app, &org.admin_email).await.is_empty());

    // `"invite": false`: added, not mailed, not shown as invited.
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            json!({"team_id": org.second_team, "team_role": "member",
                   "emails": ["quiet@acme.example"], "app_access": false, "invite": false}),
        )
        .await;
    assert_eq!(r.body["added"], 1, "{}", r.text);
    assert!(invitations_to(&app, "quiet@acme.example").await.is_empty());
    let quiet = app.get(&org.path("/users?q=quiet"), &org.admin).await;
    assert!(quiet.ok()["items"][0]["invited_at"].is_null());
    let quiet_id = quiet.body["items"][0]["id"].as_str().unwrap().to_owned();

    // Resend: once, then throttled with Retry-After; never to someone who signed in.
    let path = org.path(&format!("/users/{quiet_id}/invitation"));
    let r = app.post(&path, &org.admin, json!({})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(invitations_to(&app, "quiet@acme.example").await.len(), 1);
    let again = app.post(&path, &org.admin, json!({})).await;
    again.problem(429, "rate_limited");
    assert!(again.headers.contains_key("retry-after"));
    assert_eq!(invitations_to(&app, "quiet@acme.example").await.len(), 1);
    let log = app
        .get(&org.path("/audit-log?action=user.invite"), &org.admin)
        .await;
    assert_eq!(
        log.ok()["items"].as_array().unwrap().len(),
        1,
        "the resend is audited once"
    );
    let signed_in = org.path(&format!("/users/{}/invitation", org.admin_user));
    app.post(&signed_in, &org.admin, json!({}))
        .await
        .problem(409, "already_signed_in");
}

async fn r6_a_thousand_new_users_queue_a_thousand_invitations_with_the_add(app: TestApp) {
    let org = app.org().seats(10).established().await;
    let before = app.services.mail_pending().await.unwrap();
    let emails: Vec<String> = (0..1000)
        .map(|i| format!("agent{i}@bulk.example"))
        .collect();
    let r = app
        .post(
            &org.path("/users"),
            &org.admin,
            json!({"team_id": org.second_team, "team_role": "member", "emails": emails, "app_access": false}),
        )
        .await;
    assert_eq!(r.body["added"], 1000, "{}", r.text);
    // Queued in the add's transaction; the worker may already be delivering some.
    let pending = app.services.mail_pending().await.unwrap() - before;
    let sent = app
        .mails()
        .await
        .iter()
        .filter(|m| {
            m["to"]
                .as_str()
                .is_some_and(|t| t.ends_with("@bulk.example"))
        })
        .count() as i64;
    assert!(pending + sent >= 1000, "pending {pending}, sent {sent}");
    // Delivered in batches by the worker: each new user gets exactly one.
    for _ in 0..20 {
        if app.services.mail_pending().await.unwrap() == 0 {
            break;
        }
        app.services.deliver_mail().await.unwrap();
    }
    let mailed = app
        .mails()
        .await
        .iter()
        .filter(|m| {
            m["to"]
                .as_str()
                .is_some_and(|t| t.ends_with("@bulk.example"))
        })
        .count();
    assert_eq!(mailed, 1000, "each new user is mailed once");
}

db_tests!(
    r6_adding_users_mails_each_an_invitation_unless_told_not_to,
    r6_a_thousand_new_users_queue_a_thousand_invitations_with_the_add
);
