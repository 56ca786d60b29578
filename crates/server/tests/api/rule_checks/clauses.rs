//! Single clauses of R16, R24a, R26 and R27 that older tests did not pin: a compatible team's use
//! fits (at the boundary, against the seats a newcomer may take), just-in-time sign-ins and SCIM
//! provisioning racing for the last seats (winners counted, losers leaving nothing), taking in
//! events while the organization's write lock is held, and events staying with the team they
//! arrived for.

use super::{
    assert_never_oversold, audit_log, items, new_team, seats_used, second_subscription,
    subscription,
};
use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::{Org, Resp, TestApp, typed};
use crate::idp::{Agent, View};
use crate::scim::{scim, scim_org};
use crate::sso_oidc::{oidc_org, oidc_sign_in};
use crate::usage::day;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use switchboard_domain::ids::OrgId;

// ---------------------------------------------------------------------------------------------
// Shared bits.

fn org_id(org: &Org) -> OrgId {
    OrgId::parse(&org.id).unwrap()
}

/// Everything a refused billing change could have touched: every subscription as the API shows
/// it (pool, use, reservations, shared part, teams, warnings) and every team's placement.
async fn billing_state(app: &TestApp, org: &Org) -> Value {
    let subs = app.get(&org.path("/subscriptions"), &org.admin).await;
    let teams = app.get(&org.path("/teams"), &org.admin).await;
    let placement: Vec<Value> = items(&teams)
        .iter()
        .map(|t| {
            json!({"id": t["id"], "subscription_id": t["subscription_id"],
                "reserved_seats": t["reserved_seats"], "seats_used": t["seats_used"]})
        })
        .collect();
    json!({"subscriptions": items(&subs), "teams": placement})
}

/// Adds `emails` to `team` with app access; answers their user ids, in order.
async fn seat_holders(app: &TestApp, org: &Org, team: &str, emails: &[String]) -> Vec<String> {
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = app
        .add_users(&org.id, &org.admin, team, "member", &refs, Some(true))
        .await;
    r.ok();
    emails.iter().map(|e| TestApp::user_id_in(&r, e)).collect()
}

async fn set_access(app: &TestApp, org: &Org, user: &str, team: &str, on: bool) {
    app.patch(
        &org.path(&format!("/users/{user}/memberships/{team}")),
        &org.admin,
        json!({"app_access": on}),
    )
    .await
    .ok();
}

/// The entry of `team` in the subscription's compatible-teams list, if listed.
async fn offer(app: &TestApp, org: &Org, sub: &str, team: &str) -> Option<Value> {
    let r = app
        .get(
            &org.path(&format!("/subscriptions/{sub}/compatible-teams")),
            &org.admin,
        )
        .await;
    items(&r).into_iter().find(|t| t["team_id"] == team)
}

fn team_in(view: &Value, team: &str) -> Option<Value> {
    view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == team)
        .cloned()
}

fn emails(tag: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{tag}{i}-{}@example.com",
                ulid::Ulid::new().to_string().to_lowercase()
            )
        })
        .collect()
}

/// Whether a global identity exists for `email` (in any organization).
async fn identity_exists(app: &TestApp, email: &str) -> bool {
    let mut c = app.store.read().await.unwrap();
    switchboard_store::people::find_user_by_email(&mut c, email)
        .await
        .unwrap()
        .is_some()
}

fn count_action(log: &[Value], action: &str) -> usize {
    log.iter().filter(|e| e["action"] == action).count()
}

// ---------------------------------------------------------------------------------------------
// R16: "only compatible teams are offered: … whose current use fits", and "a team moves … only if
// its use fits there".

/// Target subscription B of six seats: "Reserved" keeps 2 (holds 1), "Shared" holds 1 unreserved.
/// So B shows `free` 4 (1 left in the reservation + 3 shared) but a newcomer without a
/// reservation may take only the shared part's 3: the boundary sits at `shared.free`, and a check
/// against `free` would be off by one seat exactly where these tests look.
async fn target_with_a_reservation(app: &TestApp, org: &Org) -> String {
    let b = second_subscription(app, org, "enterprise", 6).await;
    let reserved = new_team(app, org, "Reserved", "email").await;
    let shared = new_team(app, org, "Shared", "email").await;
    app.put(
        &org.path(&format!("/subscriptions/{b}/teams/{reserved}")),
        &org.admin,
        json!({"reserved_seats": 2}),
    )
    .await
    .ok();
    app.put(
        &org.path(&format!("/subscriptions/{b}/teams/{shared}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    seat_holders(app, org, &reserved, &emails("r", 1)).await;
    seat_holders(app, org, &shared, &emails("s", 1)).await;
    let view = subscription(app, org, &b).await;
    assert_eq!(
        (
            view["seats"].clone(),
            view["used"].clone(),
            view["free"].clone(),
            view["shared"].clone()
        ),
        (
            json!(6),
            json!(2),
            json!(4),
            json!({"size": 4, "used": 1, "free": 3})
        ),
        "{view}"
    );
    b
}

async fn r16_an_uncovered_team_is_offered_exactly_when_its_use_fits(app: TestApp) {
    let org = app.established_org(20).await;
    let a = org.subscription.clone();
    let b = target_with_a_reservation(&app, &org).await;
    // Night shift holds 4 seats and no subscription covers it. The API lets a team leave a
    // subscription only holding none (`team_holds_seats`), so it is taken out by the store, as
    // data restored or migrated could leave it; compatible-teams and the add judge such a team
    // by its use (`refuse_join` in crates/service/src/billing/mod.rs).
    let night = new_team(&app, &org, "Night shift", "email").await;
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{night}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let people = seat_holders(&app, &org, &night, &emails("n", 4)).await;
    {
        let (mut tx, _, _) = app.store.write_org(&org_id(&org)).await.unwrap();
        switchboard_store::orgs::set_team_subscription(
            &mut tx,
            &typed(&org.id),
            &typed(&night),
            None,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(seats_used(&app, &org, &night).await, 4);

    // One more than the shared part has free (and exactly B's `free`): listed, not offered,
    // with the reason; every way of adding it refused, changing nothing.
    let entry = offer(&app, &org, &b, &night)
        .await
        .expect("an uncovered team is listed");
    assert_eq!(entry["compatible"], false, "{entry}");
    assert_eq!(entry["seats_used"], 4);
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.contains("Night shift") && reason.contains("holds 4 seats"),
        "{reason}"
    );
    let state = billing_state(&app, &org).await;
    let log_before = audit_log(&app, &org).await.len();
    let into_b = org.path(&format!("/subscriptions/{b}/teams/{night}"));
    for (body, code) in [
        (json!({}), "seat_limit_reached"),
        (json!({"reserved_seats": null}), "seat_limit_reached"),
        // Reserving its four leaves the shared part 0 seats for the 1 Shared holds.
        (json!({"reserved_seats": 4}), "seat_limit_reached"),
        (json!({"reserved_seats": 3}), "reservation_below_use"),
        (json!({"reserved_seats": 5}), "reservations_exceed_pool"),
    ] {
        app.put(&into_b, &org.admin, body.clone())
            .await
            .problem(409, code);
        assert_eq!(billing_state(&app, &org).await, state, "after {body}");
    }
    app.call(Method::PUT, &into_b, Some(&org.admin), None)
        .await
        .problem(409, "seat_limit_reached");
    assert_eq!(billing_state(&app, &org).await, state);
    assert_eq!(
        audit_log(&app, &org).await.len(),
        log_before,
        "refusals write nothing"
    );
    let team = app
        .get(&org.path(&format!("/teams/{night}")), &org.admin)
        .await;
    assert_eq!(team.ok()["subscription_id"], Value::Null);

    // Exactly the shared part's free seats: offered, and the add fills the shared part.
    set_access(&app, &org, &people[0], &night, false).await;
    let entry = offer(&app, &org, &b, &night).await.unwrap();
    assert_eq!(
        (
            entry["compatible"].clone(),
            entry["reason"].clone(),
            entry["seats_used"].clone()
        ),
        (json!(true), Value::Null, json!(3)),
        "{entry}"
    );
    let view = app.put(&into_b, &org.admin, json!({})).await;
    let view = view.ok();
    assert_eq!(
        (
            view["used"].clone(),
            view["free"].clone(),
            view["shared"].clone()
        ),
        (json!(5), json!(1), json!({"size": 4, "used": 4, "free": 0})),
        "{view}"
    );
    assert_eq!(team_in(view, &night).unwrap()["seats_used"], 3);
    assert_eq!(
        view["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["code"] == "shared_pool_full")
            .count(),
        1,
        "{view}"
    );
    // Once in B it is no longer offered for B.
    assert_eq!(offer(&app, &org, &b, &night).await, None);
    let log = audit_log(&app, &org).await;
    assert_eq!(log.len(), log_before + 2, "the access change and the add");
    assert_eq!(log.last().unwrap()["action"], "subscription.team_add");
    assert_never_oversold(&app, &org).await;
}

async fn r16_a_move_fits_up_to_the_last_shared_seat(app: TestApp) {
    let org = app.established_org(20).await;
    let a = org.subscription.clone();
    let b = target_with_a_reservation(&app, &org).await;
    let night = new_team(&app, &org, "Night shift", "email").await;
    app.put(
        &org.path(&format!("/subscriptions/{a}/teams/{night}")),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let people = seat_holders(&app, &org, &night, &emails("n", 4)).await;
    // Covered elsewhere: listed for B with the reason, never offered directly.
    let entry = offer(&app, &org, &b, &night).await.unwrap();
    assert_eq!(entry["compatible"], false);
    assert!(
        entry["reason"].as_str().unwrap().contains(&a),
        "names the subscription covering it: {entry}"
    );
    // Four into a shared part with 3 free (B's `free` is 4): refused, nothing moves.
    let state = billing_state(&app, &org).await;
    let log_before = audit_log(&app, &org).await.len();
    let mv = org.path(&format!("/subscriptions/{a}/teams/{night}/move"));
    for (body, code) in [
        (json!({"to_subscription_id": b}), "seat_limit_reached"),
        (
            json!({"to_subscription_id": b, "reserved_seats": 4}),
            "seat_limit_reached",
        ),
        (
            json!({"to_subscription_id": b, "reserved_seats": 3}),
            "reservation_below_use",
        ),
    ] {
        let detail = app
            .post(&mv, &org.admin, body.clone())
            .await
            .problem(409, code);
        if body.get("reserved_seats").is_none() {
            assert!(detail.contains("Night shift"), "{detail}");
        }
        assert_eq!(billing_state(&app, &org).await, state, "after {body}");
    }
    assert_eq!(audit_log(&app, &org).await.len(), log_before);
    let before_a = subscription(&app, &org, &a).await;
    assert_eq!(team_in(&before_a, &night).unwrap()["seats_used"], 4);

    // Three: exactly what the shared part has free. The move is one step: out of A with its
    // seats, into B with them.
    set_access(&app, &org, &people[3], &night, false).await;
    let a_used = subscription(&app, &org, &a).await["used"].as_i64().unwrap();
    let view = app
        .post(&mv, &org.admin, json!({"to_subscription_id": b}))
        .await;
    let view = view.ok();
    assert_eq!(view["id"], b.as_str());
    assert_eq!(
        (view["used"].clone(), view["shared"]["free"].clone()),
        (json!(5), json!(0)),
        "{view}"
    );
    assert_eq!(team_in(view, &night).unwrap()["seats_used"], 3);
    let after_a = subscription(&app, &org, &a).await;
    assert_eq!(team_in(&after_a, &night), None);
    assert_eq!(after_a["used"].as_i64().unwrap(), a_used - 3);
    let log = audit_log(&app, &org).await;
    assert_eq!(log.len(), log_before + 2, "the access change and the move");
    assert_eq!(log.last().unwrap()["action"], "subscription.team_move");
    assert_never_oversold(&app, &org).await;
}

// ---------------------------------------------------------------------------------------------
// R24a: "The seat check applies (R14, R17): with no free seat the sign-in is refused and nothing
// is created" — with N people signing in just in time at once for k < N seats.

/// Starts an OIDC sign-in and logs in at the provider, stopping at our callback: the address
/// the browser is about to open (the provider's code and our state in it).
async fn up_to_the_callback(app: &TestApp, agent: &Agent, email: &str) -> String {
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={email}", app.base))
        .await;
    assert_eq!(at_idp.status, StatusCode::OK, "{}", at_idp.text);
    let callback = format!("{}/auth/oidc/callback", app.base);
    let v = agent
        .submit(&at_idp, &[("login", email)], Some(&callback))
        .await;
    assert!(v.url.starts_with(&callback), "{} {}", v.url, v.text);
    v.url
}

async fn r24a_concurrent_just_in_time_sign_ins_take_exactly_the_free_seats(app: TestApp) {
    const N: usize = 8;
    const FREE: usize = 3;
    let (org, _idp, pol) = oidc_org(&app).await;
    app.patch(
        &org.path(&format!("/sso-policies/{pol}")),
        &org.admin,
        json!({"jit": {"enabled": true, "team_id": org.initial_team}}),
    )
    .await
    .ok();
    let free = subscription(&app, &org, &org.subscription).await["free"]
        .as_i64()
        .unwrap() as usize;
    let fillers = seat_holders(&app, &org, &org.initial_team, &emails("fill", free - FREE)).await;
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["free"], FREE as i64);
    let seats = view["seats"].as_i64().unwrap();
    let log_before = audit_log(&app, &org).await;

    let people = emails("jit", N);
    let agents: Vec<Agent> = (0..N).map(|_| Agent::new()).collect();
    // Everyone reaches our callback first, then all callbacks are opened at once: the joins race.
    let callbacks = futures::future::join_all(
        agents
            .iter()
            .zip(&people)
            .map(|(a, e)| up_to_the_callback(&app, a, e)),
    )
    .await;
    let ends: Vec<View> =
        futures::future::join_all(agents.iter().zip(&callbacks).map(|(a, url)| a.get(url))).await;

    let home = format!("{}/orgs/{}", app.base, org.id);
    let mut joined = Vec::new();
    let mut refused = Vec::new();
    for (i, end) in ends.iter().enumerate() {
        // The organization's page itself is for admins: a member lands there with a 403 page,
        // signed in; what counts is where the sign-in ended and the session it left.
        if end.url == home {
            joined.push(i);
        } else {
            assert_eq!(
                end.status,
                StatusCode::FORBIDDEN,
                "{}: {}",
                end.url,
                end.text
            );
            assert!(end.text.contains("no free seat"), "{}", end.text);
            assert!(end.text.contains("Ask your admin"), "{}", end.text);
            refused.push(i);
        }
    }
    assert_eq!(
        (joined.len(), refused.len()),
        (FREE, N - FREE),
        "exactly the free seats are taken"
    );
    for &i in &joined {
        let (status, me) = agents[i].me(&app.base).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["user"]["email"], people[i].as_str());
        let u = app
            .get(&org.path(&format!("/users?q={}", people[i])), &org.admin)
            .await;
        let u = items(&u);
        assert_eq!(u.len(), 1);
        let ms = u[0]["memberships"].as_array().unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0]["team_id"], org.initial_team.as_str());
        assert_eq!(ms[0]["app_access"], true);
    }
    // Refused whole: no session, no user here, no identity anywhere.
    for &i in &refused {
        assert_eq!(agents[i].me(&app.base).await.0, StatusCode::UNAUTHORIZED);
        let u = app
            .get(&org.path(&format!("/users?q={}", people[i])), &org.admin)
            .await;
        assert!(items(&u).is_empty(), "{} was half-created", people[i]);
        assert!(
            !identity_exists(&app, &people[i]).await,
            "{} has an identity",
            people[i]
        );
    }
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(
        (view["used"].clone(), view["free"].clone()),
        (json!(seats), json!(0))
    );
    let log = audit_log(&app, &org).await;
    assert_eq!(
        count_action(&log, "membership.join_sso")
            - count_action(&log_before, "membership.join_sso"),
        FREE
    );
    assert_eq!(
        log.len(),
        log_before.len() + FREE,
        "only the joins were recorded"
    );
    assert_never_oversold(&app, &org).await;

    // Nothing a refusal left behind stands in the way: with a seat freed, one of them joins.
    set_access(&app, &org, &fillers[0], &org.initial_team, false).await;
    let late = &people[refused[0]];
    let agent = Agent::new();
    let end = oidc_sign_in(&app, &agent, late, late).await;
    assert_eq!(end.url, home, "{}", end.text);
    let view = subscription(&app, &org, &org.subscription).await;
    assert_eq!(view["used"], seats);
    assert_never_oversold(&app, &org).await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

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

// ---------------------------------------------------------------------------------------------
// R26: "An event belongs to the team of the token that sent it, as of when it arrived."

fn call(id: &str, ended_at: &str, seconds: i64) -> Value {
    json!({"id": id, "type": "call", "ended_at": ended_at, "duration_s": seconds,
        "features_s": {"accent_conversion": seconds}})
}

async fn send(app: &TestApp, token: &str, events: Value) -> Vec<String> {
    let r = app
        .call(
            Method::POST,
            "/app/v1/usage",
            Some(token),
            Some(json!({"events": events})),
        )
        .await;
    r.ok()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect()
}

/// Calls, call minutes and accent-conversion minutes of each of `teams` over `from..=to`.
async fn figures(
    app: &TestApp,
    org: &Org,
    from: &str,
    to: &str,
    teams: &[&str],
) -> Vec<(i64, f64, f64)> {
    let r = app
        .get(
            &org.path(&format!("/analytics/teams?from={from}&to={to}")),
            &org.admin,
        )
        .await;
    let all = items(&r);
    teams
        .iter()
        .map(|t| {
            let f = all
                .iter()
                .find(|x| x["team_id"] == *t)
                .unwrap_or_else(|| panic!("{t} in {}", r.text));
            (
                f["calls"].as_i64().unwrap(),
                f["call_minutes"].as_f64().unwrap(),
                f["feature_minutes"]["accent_conversion"]
                    .as_f64()
                    .unwrap_or(0.0),
            )
        })
        .collect()
}

async fn r26_events_stay_with_the_team_they_arrived_for(app: TestApp) {
    let org = app.established_org(10).await;
    let (a, b) = (org.initial_team.clone(), org.second_team.clone());
    app.allocate_team(&org, &b).await;
    let agent = format!("{}@example.com", crate::helpers::unique("mover"));
    let user = seat_holders(&app, &org, &a, std::slice::from_ref(&agent)).await[0].clone();
    seat_holders(&app, &org, &b, std::slice::from_ref(&agent)).await;
    let token = app_sign_in(&app, &agent, Some(&a)).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (yesterday, at_yesterday) = day(1);
    let (today, at_today) = day(0);
    let (from, _) = day(2);
    // Into A: 60 s today, 120 s yesterday.
    assert_eq!(
        send(
            &app,
            &token,
            json!([call("a1", &at_today, 60), call("a2", &at_yesterday, 120)])
        )
        .await,
        ["accepted", "accepted"]
    );
    assert_eq!(
        figures(&app, &org, &from, &today, &[&a, &b]).await,
        [(2, 3.0, 3.0), (0, 0.0, 0.0)]
    );
    // The token turns to team B. What arrives now is B's — also a call that ended yesterday,
    // before the switch — and a1 sent again is a duplicate that stays A's.
    let r = app
        .post(&format!("/app/v1/teams/{b}/select"), &token, json!({}))
        .await;
    assert_eq!(r.ok()["team_id"], b.as_str());
    assert_eq!(
        send(
            &app,
            &token,
            json!([
                call("b1", &at_yesterday, 240),
                call("b2", &at_today, 180),
                call("a1", &at_today, 60)
            ])
        )
        .await,
        ["accepted", "accepted", "duplicate"]
    );
    let after_switch = figures(&app, &org, &from, &today, &[&a, &b]).await;
    assert_eq!(after_switch, [(2, 3.0, 3.0), (2, 7.0, 7.0)]);
    // Per day too: yesterday A has a2 and B has b1, each once.
    assert_eq!(
        figures(&app, &org, &yesterday, &yesterday, &[&a, &b]).await,
        [(1, 2.0, 2.0), (1, 4.0, 4.0)]
    );
    // The person leaves team A: A's history stays as it arrived, B's is untouched.
    let r = app
        .delete(
            &org.path(&format!("/users/{user}/memberships/{a}")),
            &org.admin,
        )
        .await;
    assert_eq!(r.ok()["removed_from_org"], false);
    assert_eq!(
        figures(&app, &org, &from, &today, &[&a, &b]).await,
        after_switch
    );
    // Still sending (to B): B grows, A does not.
    assert_eq!(
        send(&app, &token, json!([call("b3", &at_today, 60)])).await,
        ["accepted"]
    );
    assert_eq!(
        figures(&app, &org, &from, &today, &[&a, &b]).await,
        [(2, 3.0, 3.0), (3, 8.0, 8.0)]
    );
    let people = app
        .get(
            &org.path(&format!("/analytics/users?from={from}&to={today}")),
            &org.admin,
        )
        .await;
    let me = items(&people)
        .into_iter()
        .find(|p| p["user_id"] == user.as_str() || p["email"] == agent.as_str())
        .unwrap_or_else(|| panic!("{agent} in {}", people.text));
    assert_eq!(
        me["calls"], 5,
        "the person's calls, across both teams: {me}"
    );
}

// ---------------------------------------------------------------------------------------------
// R26: "Taking in events never waits for the organization's write lock."
//
// On PostgreSQL the organization's write lock is its `orgs` row, locked by the first statement of
// every `write_org` transaction; ingest writes other rows and must pass while the lock is held.
// On SQLite it cannot hold as written: the store has one write connection (a single writer),
// which a held `write_org` transaction keeps, so ingest waits for it like every writer — the
// same story run on SQLite answers nothing within 10 s while the lock is held (the pool waits up
// to 30 s for the connection). The rule's status promises only short ingest transactions there.
// So the lock test requires PostgreSQL, and SQLite gets its own test of the short transactions.

/// Sends a usage batch on its own task (so it can outlive a borrow of the app).
fn spawn_usage(app: &TestApp, token: &str, events: Value) -> tokio::task::JoinHandle<Resp> {
    let req = app
        .client
        .post(format!("{}/app/v1/usage", app.base))
        .bearer_auth(token)
        .json(&json!({"events": events}));
    tokio::spawn(async move { resp(req.send().await.expect("usage sent")).await })
}

async fn resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
    Resp {
        status,
        headers,
        body,
        text,
    }
}

async fn agent_token(app: &TestApp, org: &Org) -> String {
    let agent = format!("{}@example.com", crate::helpers::unique("ingest"));
    seat_holders(app, org, &org.initial_team, std::slice::from_ref(&agent)).await;
    app_sign_in(app, &agent, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL was not set at build time"
)]
async fn r26_ingest_never_waits_for_the_organizations_write_lock() {
    let app = TestApp::postgres_required().await;
    let org = app.established_org(10).await;
    let token = agent_token(&app, &org).await;
    let (today, at) = day(0);
    // Warm up: the token's entitlement is known, so nothing but the ingest itself is measured.
    assert_eq!(
        send(&app, &token, json!([call("warm", &at, 60)])).await,
        ["accepted"]
    );

    // Take the organization's write lock as every admin write does, and hold it. The held
    // transaction also rewrites the token's team row, as a seat or billing change would.
    let (mut held, _, _) = app.store.write_org(&org_id(&org)).await.unwrap();
    switchboard_store::orgs::set_team_subscription(
        &mut held,
        &typed(&org.id),
        &typed(&org.initial_team),
        Some(&typed(&org.subscription)),
        None,
    )
    .await
    .unwrap();
    // The lock is really held: an admin's write through the API queues behind it.
    let admin_write = {
        let req = app
            .client
            .post(format!("{}{}", app.base, org.path("/teams")))
            .bearer_auth(&org.admin)
            .json(&json!({"name": "Late shift", "login_type": "email"}));
        tokio::spawn(async move { resp(req.send().await.expect("sent")).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !admin_write.is_finished(),
        "an admin write passed the held lock: the test holds nothing"
    );

    // Ingest passes while the lock is held.
    let events: Vec<Value> = (0..200)
        .map(|i| call(&format!("held-{i:03}"), &at, 30))
        .collect();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        app.call(
            Method::POST,
            "/app/v1/usage",
            Some(&token),
            Some(json!({"events": events})),
        ),
    )
    .await
    .expect("the usage batch waited for the organization's write lock");
    let outcomes = r.ok()["events"].as_array().unwrap();
    assert_eq!(outcomes.len(), 200);
    assert!(
        outcomes.iter().all(|e| e["outcome"] == "accepted"),
        "{}",
        r.text
    );
    // Committed, and counted, before the lock is let go.
    let f = figures(&app, &org, &today, &today, &[&org.initial_team]).await;
    assert_eq!(f[0].0, 201, "warm-up + 200 while the lock was held");
    assert!(!admin_write.is_finished(), "the lock was held throughout");

    held.rollback().await.unwrap();
    let created = tokio::time::timeout(Duration::from_secs(10), admin_write)
        .await
        .expect("the admin write goes on once the lock is free")
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        figures(&app, &org, &today, &today, &[&org.initial_team]).await[0].0,
        201
    );
}

/// SQLite: ingest and admin writes share the one write connection, so a batch is written in
/// short transactions of 50 events and an admin write that queues meanwhile gets in between
/// them, never behind the whole batch. A writer taking the organization's lock over and over
/// while a 1,000-event batch is taken in sees it part-way, and only ever whole chunks of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_on_sqlite_admin_writes_get_in_between_short_ingest_transactions() {
    let app = TestApp::sqlite().await;
    let org = app.established_org(10).await;
    let token = agent_token(&app, &org).await;
    let (today, at) = day(0);
    let events: Vec<Value> = (0..1000)
        .map(|i| call(&format!("big-{i:04}"), &at, 6))
        .collect();
    let count = "SELECT CAST(COUNT(*) AS BIGINT) FROM usage_event_ids";
    let ingest = spawn_usage(&app, &token, json!(events));
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !ingest.is_finished() {
        assert!(tokio::time::Instant::now() < deadline, "ingest never ended");
        let (mut tx, _, _) = app.store.write_org(&org_id(&org)).await.unwrap();
        let n: i64 = switchboard_store::sqlx::query_scalar(count)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        seen.push(n);
    }
    let r = ingest.await.unwrap();
    eprintln!(
        "DEBUGSEEN {:?}",
        seen.iter().copied().collect::<BTreeSet<i64>>()
    );
    let outcomes = r.ok()["events"].as_array().unwrap();
    assert!(
        outcomes.iter().all(|e| e["outcome"] == "accepted"),
        "{}",
        r.text
    );
    assert!(
        seen.iter().all(|n| n % 50 == 0),
        "an admin write saw part of a chunk: {seen:?}"
    );
    // A writer queued all along gets in after (nearly) every chunk: 19 points part-way are
    // possible; one transaction for the batch would show none, chunks of 500 one.
    let part_way: BTreeSet<i64> = seen
        .iter()
        .copied()
        .filter(|n| 0 < *n && *n < 1000)
        .collect();
    assert!(
        part_way.len() >= 10,
        "admin writes got in part-way only at {part_way:?}"
    );
    let f = figures(&app, &org, &today, &today, &[&org.initial_team]).await;
    assert_eq!(f[0].0, 1000);
}

db_tests!(
    r16_an_uncovered_team_is_offered_exactly_when_its_use_fits,
    r16_a_move_fits_up_to_the_last_shared_seat,
    r24a_concurrent_just_in_time_sign_ins_take_exactly_the_free_seats,
    r27_concurrent_scim_creates_take_exactly_the_free_seats,
    r27_concurrent_group_adds_and_creates_share_the_free_seats,
    r26_events_stay_with_the_team_they_arrived_for,
);
