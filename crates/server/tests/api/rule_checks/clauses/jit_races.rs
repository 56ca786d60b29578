//! R24a's seat check under a race: concurrent just-in-time sign-ins take exactly the free seats,
//! the rest refused whole.

use super::{count_action, emails, identity_exists, seat_holders, set_access};
use crate::db_tests;
use crate::helpers::TestApp;
use crate::idp::{Agent, View};
use crate::rule_checks::{assert_never_oversold, audit_log, items, subscription};
use crate::sso_oidc::{oidc_org, oidc_sign_in};
use reqwest::StatusCode;
use serde_json::json;

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

db_tests!(r24a_concurrent_just_in_time_sign_ins_take_exactly_the_free_seats,);
