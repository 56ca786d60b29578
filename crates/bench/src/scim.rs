//! SCIM provisioning: 2,000 users created through `POST /scim/v2/Users`, one request each, by 4
//! concurrent clients, against the same adds through the JSON API (`POST /api/v1/orgs/{org}/users`
//! with one email each, as a script would), in the same run — users per second, and the ratio.

use crate::rig::{Rig, svc};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;
use switchboard_service::RequestInfo;
use switchboard_service::billing::operator::UpdateSubscription;

const CLIENTS: usize = 4;

/// Creates `n` users from 4 clients with `make(client, i)`; users per second.
async fn provision<F>(rig: &Rig, n: usize, make: F) -> anyhow::Result<f64>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = rig.client.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            for i in (c..n).step_by(CLIENTS) {
                let r = make(&client, i).send().await?;
                anyhow::ensure!(
                    r.status().is_success(),
                    "{}: {}",
                    r.status(),
                    r.text().await?
                );
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

pub async fn run(db: &str, users: usize) -> anyhow::Result<()> {
    let rig = Rig::seed(db, 50, 4, CLIENTS).await?;
    // Room for both runs.
    let ctx = RequestInfo {
        request_id: "bench".into(),
    };
    let subs = rig
        .services
        .list_subscriptions(&rig.caller)
        .await
        .map_err(svc)?;
    rig.services
        .update_subscription(
            &ctx,
            &switchboard_domain::ids::SubscriptionId::parse(&subs[0].id)
                .expect("a subscription id"),
            UpdateSubscription {
                seats: Some(10 * users as i64 + 1000),
                plan: None,
                status: None,
                unit_price_cents: None,
                force: false,
            },
        )
        .await
        .map_err(svc)?;
    let created = rig
        .services
        .create_api_token(
            &rig.caller,
            &ctx,
            serde_json::from_value(json!({"name": "bench", "scopes": ["scim"]}))?,
        )
        .await
        .map_err(svc)?;
    let scim_token = Arc::new(created.token);
    let org = rig.caller.org.to_string();
    let team = rig
        .services
        .team_choices(&rig.caller)
        .await
        .map_err(svc)?
        .into_iter()
        .find(|t| t.login_type == switchboard_domain::team::LoginType::Email)
        .map(|t| t.id)
        .ok_or_else(|| anyhow::anyhow!("the demo has an email team"))?;

    let (base, token) = (rig.base.clone(), rig.token.clone());
    let api = provision(&rig, users, move |c, i| {
        c.post(format!("{base}/api/v1/orgs/{org}/users"))
            .bearer_auth(&token)
            .json(&json!({"team_id": team, "team_role": "member", "emails": [format!("api{i}@bench.example")], "app_access": true}))
    })
    .await?;
    let base = rig.base.clone();
    let scim = provision(&rig, users, move |c, i| {
        let e = format!("scim{i}@bench.example");
        c.post(format!("{base}/scim/v2/Users"))
            .bearer_auth(scim_token.as_str())
            .header("content-type", "application/scim+json")
            .body(
                json!({"userName": e, "active": true, "externalId": format!("ext-{i}"),
                "name": {"givenName": "Agent", "familyName": format!("{i}")},
                "emails": [{"value": e, "type": "work", "primary": true}]})
                .to_string(),
            )
    })
    .await?;
    println!(
        "provisioning {users} users, {CLIENTS} clients, one request each ({:?}):",
        rig.store.backend()
    );
    println!("  JSON API adds   {api:>8.0} users/s");
    println!("  SCIM creates    {scim:>8.0} users/s");
    println!("  SCIM / API time {:.2}× (goal: within 1.5×)", api / scim);
    rig.finish().await
}
