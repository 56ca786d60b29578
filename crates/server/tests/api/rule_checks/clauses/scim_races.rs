//! R27's seat check under a race: concurrent SCIM creates and group adds take exactly the free
//! seats; refusals leave nothing behind.

use super::{count_action, emails, identity_exists};
use crate::db_tests;
use crate::helpers::{Org, TestApp};
use crate::rule_checks::{assert_never_oversold, audit_log, items, seats_used, subscription};
use crate::scim::{scim, scim_org};
use serde_json::{Value, json};
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// R27: "seats are checked (R14, R17)" — SCIM creates and group member adds racing for k seats.

fn scim_user(email: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email,
        "active": true, "emails": [{"value": email, "primary": true, "type": "work"}]})
}

fn add_member(user: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]})
}

/// A SCIM seat refusal: a SCIM error document, 409, saying how many seats are free.
fn seat_refusal(status: u16, body: &Value) {
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], "409", "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("free"), "{body}");
}

/// Adds `user` to the group as an identity provider does: a PATCH without `If-Match`. With no
/// precondition sent, a PATCH that lost a race to another write of the group is redone by the
/// server on the fresh group, so it never answers 412.
async fn add_to_group(app: &TestApp, token: &str, group: &str, user: &str) -> (u16, Value) {
    let (s, body) = scim(app, token, "PATCH", group, Some(add_member(user))).await;
    assert_ne!(s, 412, "a PATCH without If-Match answered 412: {body}");
    (s, body)
}

async fn scim_total(app: &TestApp, token: &str) -> i64 {
    let (s, list) = scim(app, token, "GET", "/Users?count=1", None).await;
    assert_eq!(s, 200, "{list}");
    list["totalResults"].as_i64().unwrap()
}

async fn scim_found(app: &TestApp, token: &str, user_name: &str) -> i64 {
    let (_, found) = scim(
        app,
        token,
        "GET",
        &format!("/Users?filter=userName%20eq%20%22{user_name}%22"),
        None,
    )
    .await;
    found["totalResults"].as_i64().unwrap()
}

async fn app_access_in(app: &TestApp, org: &Org, user: &str) -> Vec<(String, bool)> {
    let u = app
        .get(&org.path(&format!("/users/{user}")), &org.admin)
        .await;
    let mut out: Vec<(String, bool)> = u.ok()["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["team_id"].as_str().unwrap().to_owned(),
                m["app_access"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn r27_concurrent_scim_creates_take_exactly_the_free_seats(app: TestApp) {
    const N: usize = 8;
    const FREE: usize = 3;
    let (org, token) = scim_org(&app, FREE as i64 + 1).await; // the admin holds one seat
    let total_before = scim_total(&app, &token).await;
    let log_before = audit_log(&app, &org).await;
    let people = emails("scim", N);
    let answers = futures::future::join_all(
        people
            .iter()
            .map(|e| scim(&app, &token, "POST", "/Users", Some(scim_user(e)))),
    )
    .await;
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for (i, (s, body)) in answers.iter().enumerate() {
        if *s == 201 {
            created.push((i, body["id"].as_str().unwrap().to_owned()));
        } else {
            seat_refusal(*s, body);
            refused.push(i);
        }
    }
    assert_eq!(
        (created.len(), refused.len()),
        (FREE, N - FREE),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    for (i, id) in &created {
        assert_eq!(answers[*i].1["active"], true);
        assert_eq!(
            app_access_in(&app, &org, id).await,
            [(org.initial_team.clone(), true)],
            "{} holds a seat in the initial team",
            people[*i]
        );
    }
    for &i in &refused {
        assert_eq!(scim_found(&app, &token, &people[i]).await, 0);
        let u = app
            .get(&org.path(&format!("/users?q={}", people[i])), &org.admin)
            .await;
        assert!(items(&u).is_empty(), "{} was half-created", people[i]);
        assert!(!identity_exists(&app, &people[i]).await);
    }
    assert_eq!(scim_total(&app, &token).await, total_before + FREE as i64);
    let holders = app
        .get(&org.path("/users?app_access=true&limit=200"), &org.admin)
        .await;
    assert_eq!(items(&holders).len(), FREE + 1);
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(FREE + 1), json!(0))
    );
    let log = audit_log(&app, &org).await;
    assert_eq!(
        log.len(),
        log_before.len() + FREE,
        "one entry per created user"
    );
    assert!(
        log[log_before.len()..]
            .iter()
            .all(|e| e["action"] == "membership.add"
                && e["actor"].as_str().unwrap().starts_with("api_token:")),
        "{:?}",
        &log[log_before.len()..]
    );
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

type ScimCall<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = (u16, Value)> + 'a>>;

async fn r27_concurrent_group_adds_and_creates_share_the_free_seats(app: TestApp) {
    const MEMBERS: usize = 3; // existing users added to the group at once
    const CREATES: usize = 4; // new users created at the same moment
    const FREE: usize = 2;
    let (org, token) = scim_org(&app, (1 + MEMBERS + FREE) as i64).await;
    // The existing users, active: each holds a seat in the initial team.
    let members = emails("member", MEMBERS);
    let mut member_ids = Vec::new();
    for e in &members {
        let (s, body) = scim(&app, &token, "POST", "/Users", Some(scim_user(e))).await;
        assert_eq!(s, 201, "{body}");
        member_ids.push(body["id"].as_str().unwrap().to_owned());
    }
    // The group, put under the same subscription by the Org Admin: its members' seats come from
    // the same pool as the initial team's.
    let (s, group) = scim(
        &app,
        &token,
        "POST",
        "/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Night shift", "members": []}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    app.put(
        &org.path(&format!("/subscriptions/{}/teams/{gid}", org.subscription)),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    assert_eq!(
        subscription(&app, &org, &org.subscription).await["free"],
        FREE as i64
    );
    let total_before = scim_total(&app, &token).await;
    let log_before = audit_log(&app, &org).await;

    let newcomers = emails("new", CREATES);
    let group_path = format!("/Groups/{gid}");
    let mut calls: Vec<ScimCall<'_>> = Vec::new();
    for id in &member_ids {
        calls.push(Box::pin(add_to_group(&app, &token, &group_path, id)));
    }
    for e in &newcomers {
        calls.push(Box::pin(scim(
            &app,
            &token,
            "POST",
            "/Users",
            Some(scim_user(e)),
        )));
    }
    let answers = futures::future::join_all(calls).await;
    let (adds, creates) = answers.split_at(MEMBERS);
    let added: Vec<usize> = (0..MEMBERS).filter(|&i| adds[i].0 == 200).collect();
    let created: Vec<usize> = (0..CREATES).filter(|&i| creates[i].0 == 201).collect();
    for (s, body) in adds.iter().filter(|a| a.0 != 200) {
        seat_refusal(*s, body);
    }
    for (s, body) in creates.iter().filter(|a| a.0 != 201) {
        seat_refusal(*s, body);
    }
    assert_eq!(
        added.len() + created.len(),
        FREE,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );

    // The group holds exactly the accepted adds, each with a seat there; a refused add left its
    // user as they were (one membership, in the initial team, with its seat).
    let (s, g) = scim(&app, &token, "GET", &format!("/Groups/{gid}"), None).await;
    assert_eq!(s, 200);
    let in_group: BTreeSet<String> = g["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let expected: BTreeSet<String> = added.iter().map(|&i| member_ids[i].clone()).collect();
    assert_eq!(in_group, expected);
    for (i, id) in member_ids.iter().enumerate() {
        let mut want = vec![(org.initial_team.clone(), true)];
        if added.contains(&i) {
            want.push((gid.clone(), true));
            want.sort();
        }
        assert_eq!(app_access_in(&app, &org, id).await, want, "{}", members[i]);
    }
    for (i, e) in newcomers.iter().enumerate() {
        let found = scim_found(&app, &token, e).await;
        if created.contains(&i) {
            assert_eq!(found, 1);
            let id = creates[i].1["id"].as_str().unwrap();
            assert_eq!(
                app_access_in(&app, &org, id).await,
                [(org.initial_team.clone(), true)]
            );
        } else {
            assert_eq!(found, 0, "{e} was half-created");
            assert!(!identity_exists(&app, e).await, "{e} has an identity");
        }
    }
    assert_eq!(
        scim_total(&app, &token).await,
        total_before + created.len() as i64
    );
    assert_eq!(seats_used(&app, &org, &gid).await, added.len() as i64);
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(1 + MEMBERS + FREE), json!(0))
    );
    let log = audit_log(&app, &org).await;
    let new_entries = &log[log_before.len()..];
    assert_eq!(
        count_action(new_entries, "membership.add"),
        FREE,
        "{new_entries:?}"
    );
    assert!(
        new_entries
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("api_token:")),
        "{new_entries:?}"
    );
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

db_tests!(
    r27_concurrent_scim_creates_take_exactly_the_free_seats,
    r27_concurrent_group_adds_and_creates_share_the_free_seats,
);
