//! Single clauses of R16, R24a, R26 and R27 that older tests did not pin: a compatible team's use
//! fits (at the boundary, against the seats a newcomer may take), just-in-time sign-ins and SCIM
//! provisioning racing for the last seats (winners counted, losers leaving nothing), taking in
//! events while the organization's write lock is held, and events staying with the team they
//! arrived for.

mod events;
mod fits;
mod jit_races;
mod scim_races;

use crate::helpers::{Org, TestApp};
use serde_json::{Value, json};
use switchboard_domain::ids::OrgId;

// ---------------------------------------------------------------------------------------------
// Shared bits.

fn org_id(org: &Org) -> OrgId {
    OrgId::parse(&org.id).unwrap()
}

/// Adds `emails` to `team` with app access; answers their user ids, in order.
async fn seat_holders(app: &TestApp, org: &Org, team: &str, emails: &[String]) -> Vec<String> {
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let r = org.add(app, &refs).to(team).as_member().with_access().await;
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
