//! `toggles`: seat-checked, audited, durable app-access writes by concurrent clients, against
//! `/healthz` of the same server.

use crate::rig::{Rig, rate, svc};
use serde_json::json;
use switchboard_service::RequestInfo;
use switchboard_service::users::UserQuery;

/// App-access toggles (seat-checked, audited, durable) on a 10,000-seat subscription.
pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, workers).await?;
    let (services, caller) = (&rig.services, &rig.caller);
    let subs = services.list_subscriptions(caller).await.map_err(svc)?;
    let resize = switchboard_service::billing::operator::UpdateSubscription {
        seats: Some(10_000),
        ..Default::default()
    };
    services
        .update_subscription(
            &RequestInfo {
                request_id: "bench".into(),
            },
            &switchboard_domain::ids::SubscriptionId::parse(&subs[0].id)
                .expect("a subscription id"),
            resize,
        )
        .await
        .map_err(svc)?;
    // One membership per worker in email teams (device teams' seats are devices).
    let email_teams: Vec<String> = services
        .list_teams(caller)
        .await
        .map_err(svc)?
        .into_iter()
        .filter(|t| t.login_type == switchboard_domain::team::LoginType::Email)
        .map(|t| t.id)
        .collect();
    let page = services
        .list_users(
            caller,
            &UserQuery {
                limit: Some(200),
                org_role: Some(switchboard_service::users::OrgRoleFilter::None),
                ..Default::default()
            },
        )
        .await
        .map_err(svc)?;
    let paths: Vec<String> = page
        .items
        .iter()
        .filter_map(|u| {
            u.memberships
                .first()
                .map(|m| (u.id.clone(), m.team_id.clone()))
        })
        .filter(|(_, t)| email_teams.contains(t))
        .take(workers)
        .map(|(u, t)| {
            format!(
                "{}/api/v1/orgs/{}/users/{u}/memberships/{t}",
                rig.base, rig.org
            )
        })
        .collect();
    anyhow::ensure!(paths.len() == workers, "not enough members to toggle");
    let health = format!("{}/healthz", rig.base);
    let (healthz, _, _) = rate(&rig.client, workers, secs, move |c, _, _| c.get(&health)).await?;
    let token = rig.token.clone();
    let (toggles, ok, total) = rate(&rig.client, workers, secs, move |c, w, n| {
        c.patch(&paths[w])
            .bearer_auth(&token)
            .json(&json!({"app_access": n % 2 == 0}))
    })
    .await?;
    println!(
        "\n{:?}, {workers} concurrent clients, {secs} s each:",
        rig.store.backend()
    );
    println!("  GET /healthz:                  {healthz:.0} req/s");
    println!("  PATCH app access (seat check): {toggles:.0} req/s ({ok} of {total} succeeded)");
    println!(
        "  ratio toggles / healthz: {:.3}   (goal: at least 0.1)",
        toggles / healthz
    );
    rig.finish().await
}
