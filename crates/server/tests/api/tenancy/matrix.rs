//! The role × route matrix: every route of the OpenAPI document, as every actor (sessions of
//! each role, API tokens of each scope, another organization's admin, nobody), against the
//! permission table of DESIGN.md §1 — kept here as data, in one place.

use super::{Objects, org_domain};
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, Org, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Operator,
    OrgAdmin,
    OrgAnalyst,
    /// Team Admin of the second team; routes name the initial team.
    TeamAdminOther,
    Member,
    OtherOrgAdmin,
    /// Organization API tokens, one per scope.
    ReadToken,
    WriteToken,
    AdminToken,
    ScimToken,
}
use Actor::*;

const ACTORS: [Actor; 11] = [
    Anonymous,
    Operator,
    OrgAdmin,
    OrgAnalyst,
    TeamAdminOther,
    Member,
    OtherOrgAdmin,
    ReadToken,
    WriteToken,
    AdminToken,
    ScimToken,
];

/// What only the `admin` scope may change: who holds power in the organization.
fn admin_guarded(method: &str, path: &str) -> bool {
    path.contains("/api-tokens")
        || (method != "get"
            && (path.contains("/admins")
                || path.contains("/sso-policies")
                || path.contains("/sso-links")
                || path.contains("/domains")))
}

/// §1 for API tokens, in an organization's routes: `read` is what an Org Analyst reads, `write`
/// the Org Admin's API except what `admin` guards and payment methods, `admin` what it guards
/// (and reads), `scim` nothing here. Elsewhere (the catalog, sign-out) a token is not a session.
fn token_may(actor: Actor, method: &str, path: &str) -> bool {
    let Some(rule) = allowed(method, path).flatten() else {
        return false;
    };
    // Every token may ask who it is.
    if (method, path) == ("get", "/api/v1/me") {
        return true;
    }
    if !path.starts_with("/api/v1/orgs/{org}") {
        return false;
    }
    match actor {
        ReadToken => rule.contains(&OrgAnalyst),
        WriteToken => {
            rule.contains(&OrgAdmin)
                && !admin_guarded(method, path)
                && !path.ends_with("/payment-method")
        }
        AdminToken => {
            admin_guarded(method, path)
                || (method == "get"
                    && (path.ends_with("/admins") || path.contains("/sso-policies")))
                || (method, path) == ("get", "/api/v1/orgs/{org}")
                || (method == "get" && path.contains("/policies"))
                || (method == "get" && path.ends_with("/domains"))
                || (method == "get" && path.ends_with("/sso-links"))
        }
        _ => false,
    }
}

/// Who may call each route. `None` marks a public route (any actor; only "no 5xx" is checked).
fn allowed(method: &str, path: &str) -> Option<Option<&'static [Actor]>> {
    const SIGNED_IN: &[Actor] = &[OrgAdmin, OrgAnalyst, TeamAdminOther, Member, OtherOrgAdmin];
    const READERS: &[Actor] = &[OrgAdmin, OrgAnalyst, TeamAdminOther];
    const ADMIN_ANALYST: &[Actor] = &[OrgAdmin, OrgAnalyst];
    const ADMIN: &[Actor] = &[OrgAdmin];
    let rule: Option<&'static [Actor]> = match (method, path) {
        ("get", "/healthz") | ("get", "/readyz") | ("get", "/metrics") => None,
        ("post", "/api/v1/auth/email/start") | ("post", "/api/v1/auth/email/verify") => None,
        ("post", "/operator/v1/customers") | ("get", "/operator/v1/plans") => Some(&[Operator]),
        ("post", "/operator/v1/orgs/{org}/subscriptions")
        | ("patch", "/operator/v1/subscriptions/{sub}")
        | ("put", "/operator/v1/subscriptions/{sub}/payment-method")
        | ("put", "/operator/v1/orgs/{org}/domains/{domain}")
        | ("patch", "/operator/v1/invoices/{invoice}") => Some(&[Operator]),
        // R30: the seat history is the organization's figures, for its admins and analysts.
        ("get", "/api/v1/orgs/{org}/subscriptions/{sub}/seat-history") => Some(ADMIN_ANALYST),
        // Billing: Org Admins only (analysts and Team Admins: 403).
        (_, p) if p.starts_with("/api/v1/orgs/{org}/subscriptions") => Some(ADMIN),
        ("post", "/api/v1/auth/logout") | ("get", "/api/v1/me") => Some(SIGNED_IN),
        ("get", "/api/v1/orgs/{org}") => Some(READERS),
        ("patch", "/api/v1/orgs/{org}") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/teams") => Some(READERS),
        ("post", "/api/v1/orgs/{org}/teams") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/teams/{team}") => Some(ADMIN_ANALYST),
        ("patch", "/api/v1/orgs/{org}/teams/{team}")
        | ("delete", "/api/v1/orgs/{org}/teams/{team}") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/users") => Some(READERS),
        ("post", "/api/v1/orgs/{org}/users") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/users/{user}") => Some(ADMIN_ANALYST),
        ("delete", "/api/v1/orgs/{org}/users/{user}") => Some(ADMIN),
        ("post", "/api/v1/orgs/{org}/users/{user}/memberships") => Some(ADMIN),
        ("post", "/api/v1/orgs/{org}/users/{user}/invitation") => Some(ADMIN),
        ("patch", "/api/v1/orgs/{org}/users/{user}/memberships/{team}")
        | ("delete", "/api/v1/orgs/{org}/users/{user}/memberships/{team}") => Some(ADMIN),
        // R33: a person's provider accounts, read with the SSO policies, reset by Org Admins.
        ("get", "/api/v1/orgs/{org}/users/{user}/sso-links") => Some(ADMIN_ANALYST),
        ("delete", "/api/v1/orgs/{org}/users/{user}/sso-links") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/admins") => Some(ADMIN_ANALYST),
        ("post", "/api/v1/orgs/{org}/admins") => Some(ADMIN),
        ("patch", "/api/v1/orgs/{org}/admins/{user}")
        | ("delete", "/api/v1/orgs/{org}/admins/{user}") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/audit-log") => Some(ADMIN),
        (_, p) if p.starts_with("/api/v1/orgs/{org}/api-tokens") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/analytics/teams") => Some(READERS),
        ("get", "/api/v1/orgs/{org}/analytics/series")
        | ("get", "/api/v1/orgs/{org}/analytics/users") => Some(READERS),
        ("post", "/api/v1/orgs/{org}/analytics/report") => Some(READERS),
        // R29: who is idle, in the teams the caller sees.
        ("get", "/api/v1/orgs/{org}/seats/idle") => Some(READERS),
        ("get", "/api/v1/settings/catalog") => Some(SIGNED_IN),
        ("get", "/api/v1/orgs/{org}/teams/{team}/settings") => Some(ADMIN_ANALYST),
        ("patch", "/api/v1/orgs/{org}/teams/{team}/settings") => Some(ADMIN),
        ("get", "/api/v1/orgs/{org}/policies") | ("get", "/api/v1/orgs/{org}/policies/{pol}") => {
            Some(ADMIN_ANALYST)
        }
        ("get", "/api/v1/orgs/{org}/sso-policies")
        | ("get", "/api/v1/orgs/{org}/sso-policies/{pol}") => Some(ADMIN_ANALYST),
        (_, p) if p.contains("policies") => Some(ADMIN),
        // R34: domains are read by Org Analysts too, claimed and verified by Org Admins.
        ("get", "/api/v1/orgs/{org}/domains") => Some(ADMIN_ANALYST),
        (_, p) if p.starts_with("/api/v1/orgs/{org}/domains") => Some(ADMIN),
        // Devices: Org Admins and the team's own Team Admins (the matrix's Team Admin is of another team).
        (_, p)
            if p.contains("/enrollment-keys")
                || p.contains("/devices") && p.starts_with("/api/") =>
        {
            Some(ADMIN)
        }
        // The app API answers to app and device tokens, never to portal sessions: public here,
        // and covered by its own tests.
        (_, p) if p.starts_with("/app/") => None,
        _ => return None,
    };
    Some(rule)
}

/// A body that passes validation for the route, so a refusal can only come from the caller.
fn body_for(method: &str, path: &str, org: &Org) -> Option<Value> {
    Some(match (method, path) {
        ("post", "/operator/v1/customers") => json!({"team": {"name": "T", "login_type": "email"},
            "admin_email": "op-made@example.com", "subscription": {"plan": "business", "seats": 3}}),
        ("post", "/api/v1/auth/email/start") => json!({"email": "who@example.com"}),
        ("post", "/api/v1/auth/email/verify") => {
            json!({"email": "who@example.com", "code": "000000"})
        }
        ("post", "/api/v1/orgs/{org}/teams") => {
            json!({"name": "Matrix Team", "login_type": "email"})
        }
        ("patch", "/api/v1/orgs/{org}/teams/{team}") => json!({"description": "edited"}),
        ("patch", "/api/v1/orgs/{org}") => json!({"time_zone": "Europe/Berlin"}),
        ("post", "/api/v1/orgs/{org}/users") => {
            json!({"team_id": org.initial_team, "team_role": "member",
            "emails": ["fresh@example.com"], "app_access": false})
        }
        ("post", "/api/v1/orgs/{org}/users/{user}/memberships") => {
            json!({"team_id": org.second_team, "team_role": "member"})
        }
        ("patch", "/api/v1/orgs/{org}/users/{user}/memberships/{team}") => {
            json!({"app_access": false})
        }
        ("post", "/api/v1/orgs/{org}/admins") => {
            json!({"email": "analyst2@example.com", "role": "org_analyst"})
        }
        ("patch", "/api/v1/orgs/{org}/admins/{user}") => json!({"role": "org_analyst"}),
        ("post", "/operator/v1/orgs/{org}/subscriptions") => {
            json!({"plan": "business", "seats": 5})
        }
        ("patch", "/operator/v1/subscriptions/{sub}") => json!({"seats": 30}),
        ("patch", "/api/v1/orgs/{org}/subscriptions/{sub}") => json!({"name": "Renamed"}),
        ("put", "/api/v1/orgs/{org}/subscriptions/{sub}/payment-method")
        | ("put", "/operator/v1/subscriptions/{sub}/payment-method") => {
            json!({"provider_token": "tok_x",
            "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2035})
        }
        ("put", "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}") => {
            json!({"reserved_seats": null})
        }
        ("post", "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}/move") => {
            json!({"to_subscription_id": org.subscription})
        }
        ("patch", "/api/v1/orgs/{org}/teams/{team}/settings") => json!({"agent_assist": true}),
        ("patch", "/operator/v1/invoices/{invoice}") => json!({"status": "paid"}),
        ("post", "/api/v1/orgs/{org}/policies") => {
            json!({"name": "P", "values": {"call_summary": true}, "team_ids": [org.initial_team]})
        }
        ("patch", "/api/v1/orgs/{org}/policies/{pol}") => json!({"name": "P2"}),
        ("post", "/api/v1/orgs/{org}/sso-policies") => {
            json!({"name": "S", "issuer": "https://id.example.com",
            "client_id": "c", "client_secret": "s", "allowed_domains": [org_domain(org)], "team_ids": [org.initial_team]})
        }
        ("patch", "/api/v1/orgs/{org}/sso-policies/{pol}") => json!({"name": "S2"}),
        ("post", "/api/v1/orgs/{org}/api-tokens") => json!({"name": "Matrix", "scopes": ["admin"]}),
        ("post", "/api/v1/orgs/{org}/domains") => json!({"domain": "claimed.example"}),
        ("post", "/api/v1/orgs/{org}/teams/{team}/enrollment-keys") => json!({}),
        ("patch", "/api/v1/orgs/{org}/teams/{team}/devices/{device}") => json!({"name": "PC"}),
        _ if method == "get" || method == "delete" => return None,
        _ => json!({}),
    })
}

/// The status a refused actor must get.
fn refusal(actor: Actor, path: &str) -> u16 {
    match actor {
        Anonymous => 401,
        Operator if !path.starts_with("/operator/") => 401,
        _ if path.starts_with("/operator/") => 401,
        OtherOrgAdmin if path.starts_with("/api/v1/orgs/") => 404,
        _ => 403,
    }
}

async fn role_route_matrix_matches_the_permission_table(app: TestApp) {
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, item) in doc.ok()["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                allowed(method, path).is_some(),
                "route {method} {path} is missing from the permission matrix"
            );
            routes.push((method.clone(), path.clone()));
        }
    }
    assert!(routes.len() >= 24, "{} routes", routes.len());
    // Signing out ends the actor's session: walk it last; deletions after reads.
    // Among deletions, the deeper objects first (a membership before its user).
    routes.sort_by_key(|(m, p)| {
        (
            p.ends_with("/logout"),
            m == "delete",
            std::cmp::Reverse(p.len()),
        )
    });
    for actor in ACTORS {
        let org = app.org().seats(20).established().await;
        let target = org
            .add(&app, &["target@example.com"])
            .to(&org.initial_team)
            .as_member()
            .without_access()
            .await;
        let target = TestApp::user_id_in(&target, "target@example.com");
        let token = match actor {
            Anonymous => None,
            Operator => Some(OPERATOR_TOKEN.to_owned()),
            OrgAdmin => Some(org.admin.clone()),
            OrgAnalyst => {
                let email = format!("analyst-{}@example.com", org.id);
                app.post(
                    &org.path("/admins"),
                    &org.admin,
                    json!({"email": email, "role": "org_analyst"}),
                )
                .await
                .ok();
                Some(app.sign_in(&email).await)
            }
            TeamAdminOther => {
                let email = format!("ta-{}@example.com", org.id);
                org.add(&app, &[&email])
                    .to(&org.second_team)
                    .as_team_admin()
                    .await
                    .ok();
                Some(app.sign_in(&email).await)
            }
            Member => {
                let email = format!("member-{}@example.com", org.id);
                org.add(&app, &[&email])
                    .to(&org.initial_team)
                    .as_member()
                    .await
                    .ok();
                Some(app.sign_in(&email).await)
            }
            OtherOrgAdmin => Some(app.org().seats(5).established().await.admin),
            ReadToken | WriteToken | AdminToken | ScimToken => {
                let scope = match actor {
                    ReadToken => "read",
                    WriteToken => "write",
                    AdminToken => "admin",
                    _ => "scim",
                };
                let r = app
                    .post(
                        &org.path("/api-tokens"),
                        &org.admin,
                        json!({"name": format!("{scope} token"), "scopes": [scope]}),
                    )
                    .await;
                Some(r.ok()["token"].as_str().unwrap().to_owned())
            }
        };
        let real = Objects::make(&app, &org).await;
        for (method, template) in &routes {
            let device_route = template.contains("/enrollment-keys")
                || template.contains("/devices/{device}")
                || template.ends_with("/devices");
            let pol = if template.contains("/sso-policies") {
                &real.sso_policy
            } else {
                &real.policy
            };
            let path = template
                .replace("{org}", &org.id)
                .replace(
                    "{team}",
                    if device_route {
                        &real.device_team
                    } else {
                        &org.initial_team
                    },
                )
                .replace(
                    "{user}",
                    if template.contains("/admins/") {
                        &real.role_holder
                    } else {
                        &target
                    },
                )
                .replace("{sub}", &org.subscription)
                .replace("{invoice}", &real.invoice)
                .replace("{pol}", pol)
                .replace("{key}", &real.key)
                .replace("{id}", &real.api_token)
                .replace("{device}", &real.device)
                .replace("{domain}", &org_domain(&org));
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app
                .call(m, &path, token.as_deref(), body_for(method, template, &org))
                .await;
            let status = r.status.as_u16();
            assert!(
                status < 500,
                "{actor:?} {method} {template}: {status} {}",
                r.text
            );
            let is_token = matches!(actor, ReadToken | WriteToken | AdminToken | ScimToken);
            if is_token {
                if allowed(method, template).unwrap().is_none() {
                    continue;
                }
                if token_may(actor, method, template) {
                    assert!(
                        ![401, 403, 404].contains(&status),
                        "{actor:?} may {method} {template} but got {status}: {}",
                        r.text
                    );
                } else {
                    let want = if template.starts_with("/api/v1/orgs/") {
                        403
                    } else {
                        401
                    };
                    assert_eq!(status, want, "{actor:?} {method} {template}: {}", r.text);
                }
                continue;
            }
            match allowed(method, template).unwrap() {
                None => {}
                Some(who) if who.contains(&actor) => {
                    // Every id names a real object: an allowed call is never refused, nor "not found".
                    assert!(
                        ![401, 403, 404].contains(&status),
                        "{actor:?} may {method} {template} but got {status}: {}",
                        r.text
                    );
                }
                Some(_) => {
                    let want = refusal(actor, template);
                    assert_eq!(status, want, "{actor:?} {method} {template}: {}", r.text);
                }
            }
        }
    }
}

db_tests!(role_route_matrix_matches_the_permission_table,);
