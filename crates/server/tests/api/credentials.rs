//! R33 as an attacker walks it: every kind of credential (an emailed code, SSO of organization A,
//! SSO of organization B, a code that is break-glass in A) against every organization the person
//! is in (A and B under SSO, C without), through each route family — who am I, the portal API,
//! the app's team list, choosing a team, the entitlement and usage. The reach each credential
//! should have is written below as the rule says it; any other reach fails the test, and a
//! refusal must look like "not a member" (404, or not listed).

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use crate::idp::Agent;
use crate::sso_app::{LOOPBACK, loopback_code, token};
use crate::sso_oidc::{oidc_org_on, oidc_sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The organizations of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum O {
    A,
    B,
    C,
}

/// A credential and the reach R33 gives it: the organizations it opens in the portal, and the
/// teams (by organization) its app token may run in.
struct Case {
    what: &'static str,
    portal: &'static [O],
    app: &'static [O],
}

/// p: a member of A's and B's SSO teams and of C's team, signing in by code. Under R24 in each
/// organization alone, the code opens C only — A's and B's SSO bind p there.
const CODE: Case = Case {
    what: "an emailed code",
    portal: &[O::C],
    app: &[O::C],
};
/// g: the Org Admin of A (on A's SSO team), on B's SSO team and C's team, by code: break-glass in
/// A (the portal, audited there; never an app token for an SSO team), nothing in B (A's role is no
/// break-glass in B), all of C.
const BREAK_GLASS_OF_A: Case = Case {
    what: "a code that is break-glass in A",
    portal: &[O::A, O::C],
    app: &[O::C],
};
/// sa, vouched for by A's provider: A only, though sa is in B and C too.
const SSO_OF_A: Case = Case {
    what: "A's provider",
    portal: &[O::A],
    app: &[O::A],
};
/// sb, vouched for by B's provider: B only.
const SSO_OF_B: Case = Case {
    what: "B's provider",
    portal: &[O::B],
    app: &[O::B],
};

struct World {
    orgs: Vec<(O, Org)>,
    /// A's and B's providers, running while the test does.
    _idps: Vec<crate::idp::Idp>,
}

impl World {
    fn org(&self, o: O) -> &Org {
        &self.orgs.iter().find(|(k, _)| *k == o).unwrap().1
    }
    fn of_id(&self, id: &str) -> O {
        self.orgs.iter().find(|(_, org)| org.id == id).unwrap().0
    }
}

/// A and B with their own providers (domains a-corp.example and b-corp.example), C without; each
/// person a Team Admin of each organization's first team (so the portal API would answer them).
async fn world(app: &TestApp, people: &[&str]) -> World {
    let (a, idp_a, _) = oidc_org_on(app, "a-corp.example").await;
    let (b, idp_b, _) = oidc_org_on(app, "b-corp.example").await;
    let c = app.org().seats(20).established().await;
    for org in [&a, &b, &c] {
        for who in people {
            if *who == a.admin_email && org.id == a.id {
                continue;
            }
            org.add(app, &[who])
                .to(&org.initial_team)
                .as_team_admin()
                .with_access()
                .await
                .ok();
        }
    }
    World {
        orgs: vec![(O::A, a), (O::B, b), (O::C, c)],
        _idps: vec![idp_a, idp_b],
    }
}

/// Walks the portal's routes with a session: `GET /me` lists exactly the reached organizations,
/// and each organization's API answers 200 there and 404 elsewhere.
async fn portal(app: &TestApp, w: &World, case: &Case, fetch: impl AsyncFn(&str) -> (u16, Value)) {
    let (status, me) = fetch("/api/v1/me").await;
    assert_eq!(status, 200, "{}: {me}", case.what);
    let listed: BTreeSet<O> = me["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| w.of_id(o["id"].as_str().unwrap()))
        .collect();
    let expected: BTreeSet<O> = case.portal.iter().copied().collect();
    assert_eq!(listed, expected, "{}: /me", case.what);
    for (o, org) in &w.orgs {
        let (status, body) = fetch(&org.path("/teams")).await;
        let want = if case.portal.contains(o) { 200 } else { 404 };
        assert_eq!(status, want, "{} in {o:?}: {body}", case.what);
    }
    let _ = app;
}

/// Walks the app's routes with an app token: the team list names exactly the reached
/// organizations' teams; choosing any other team is 404; a chosen team answers its entitlement
/// and takes usage in its own organization.
async fn app_routes(app: &TestApp, w: &World, case: &Case, token: &str) {
    let teams = app.get("/app/v1/teams", token).await;
    let listed: BTreeSet<O> = teams.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| w.of_id(t["org_id"].as_str().unwrap()))
        .collect();
    let expected: BTreeSet<O> = case.app.iter().copied().collect();
    assert_eq!(listed, expected, "{}: app teams {}", case.what, teams.text);
    for (o, org) in &w.orgs {
        let r = app
            .post(
                &format!("/app/v1/teams/{}/select", org.initial_team),
                token,
                json!({}),
            )
            .await;
        if !case.app.contains(o) {
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{} chose {o:?}: {}",
                case.what,
                r.text
            );
            continue;
        }
        r.ok();
        let e = app.get("/app/v1/entitlement", token).await;
        assert_eq!(e.ok()["org"]["id"], org.id.as_str(), "{}", case.what);
        let (_, at) = crate::usage::day(0);
        let batch = json!({"events": [{"id": ulid::Ulid::new().to_string(), "type": "call",
            "ended_at": at, "duration_s": 60, "features_s": {}}]});
        let u = app.post("/app/v1/usage", token, batch).await;
        assert!(
            u.status.is_success(),
            "{} usage in {o:?}: {}",
            case.what,
            u.text
        );
    }
}

async fn code_token(app: &TestApp, email: &str) -> String {
    app.sign_in(email).await
}

async fn r33_every_credential_reaches_only_what_its_authority_vouches_for(app: TestApp) {
    let u = ulid::Ulid::new().to_string().to_lowercase();
    let p = format!("p-{u}@example.org");
    let sa = format!("sa-{u}@a-corp.example");
    let sb = format!("sb-{u}@b-corp.example");
    // g is A's Org Admin: the matrix adds the others, and g to B and C.
    let w0 = world(&app, &[&p, &sa, &sb]).await;
    let a = w0.org(O::A);
    let g = a.admin_email.clone();
    for o in [O::B, O::C] {
        let org = w0.org(o);
        org.add(&app, &[&g])
            .to(&org.initial_team)
            .as_team_admin()
            .with_access()
            .await
            .ok();
    }
    let w = &w0;

    // Codes, in the portal's API.
    for (email, case) in [(&p, &CODE), (&g, &BREAK_GLASS_OF_A)] {
        let t = code_token(&app, email).await;
        portal(&app, w, case, async |path: &str| {
            let r = app.get(path, &t).await;
            (r.status.as_u16(), r.body)
        })
        .await;
    }
    // Providers, in the portal: a browser session each.
    for (email, case) in [(&sa, &SSO_OF_A), (&sb, &SSO_OF_B)] {
        let agent = Agent::new();
        oidc_sign_in(&app, &agent, email, email).await;
        portal(&app, w, case, async |path: &str| {
            let (s, text) = agent.fetch(&format!("{}{path}", app.base)).await;
            (
                s.as_u16(),
                serde_json::from_str(&text).unwrap_or(Value::Null),
            )
        })
        .await;
    }
    // Codes, in the app.
    for (email, case) in [(&p, &CODE), (&g, &BREAK_GLASS_OF_A)] {
        let s = crate::apps::app_sign_in(&app, email, None).await;
        let t = s.ok()["token"].as_str().unwrap().to_owned();
        app_routes(&app, w, case, &t).await;
    }
    // Providers, in the app (RFC 8252 loopback).
    let verifier = "a-verifier-that-is-long-enough-for-rfc7636-0123456789";
    for (email, case) in [(&sa, &SSO_OF_A), (&sb, &SSO_OF_B)] {
        let code = loopback_code(&app, email, verifier).await;
        let s = token(&app, &code, verifier, LOOPBACK).await;
        let t = s.ok()["token"].as_str().unwrap().to_owned();
        app_routes(&app, w, case, &t).await;
    }

    // Break-glass is audited where it was used, and only there.
    let glass = |org: &Org| {
        let app = &app;
        let path = org.path("/audit-log?action=signin.break_glass");
        let token = org.admin.clone();
        async move {
            let r = app.get(&path, &token).await;
            r.ok()["items"].as_array().unwrap().len()
        }
    };
    assert!(
        glass(w.org(O::A)).await >= 1,
        "g's code is break-glass in A"
    );
    assert_eq!(
        glass(w.org(O::B)).await,
        0,
        "A's role is no break-glass in B"
    );
    for (_, org) in &w.orgs {
        assert_eq!(app.broken_audit_entry(&org.id).await, None);
    }
}

db_tests!(r33_every_credential_reaches_only_what_its_authority_vouches_for);
