//! `pages`: every portal page's server time, as a signed-in Org Admin of the demo organization
//! would load it (the session cookie, sequential requests on loopback), against `/healthz` of the
//! same server as the floor. Reports p50 and p99 per page; the targets are p99 under
//! 50 ms at 2,000 users and under 200 ms at 100,000.

use crate::rig::{Rig, ms, stats};
use std::time::Instant;

/// One page: GET it `requests` times (after a warm-up) and summarize.
async fn time_page(rig: &Rig, path: &str, requests: usize) -> anyhow::Result<crate::rig::Stats> {
    let url = format!("{}{path}", rig.base);
    let get = || {
        rig.client
            .get(&url)
            .header("cookie", format!("sb_session={}", rig.token))
            .send()
    };
    for _ in 0..5 {
        let r = get().await?;
        anyhow::ensure!(r.status().is_success(), "{path} answered {}", r.status());
        r.bytes().await?;
    }
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let r = get().await?;
        r.bytes().await?;
        times.push(t.elapsed());
    }
    Ok(stats(times))
}

pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, 1).await?;
    let api = |p: &str| format!("{}/api/v1/orgs/{}{p}", rig.base, rig.org);
    let json = |p: String| async {
        let r = rig.client.get(p).bearer_auth(&rig.token).send().await?;
        anyhow::Ok(r.json::<serde_json::Value>().await?)
    };
    let id_of = |v: &serde_json::Value| v["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    let team = id_of(&json(api("/teams")).await?);
    let user = id_of(&json(api("/users?limit=1")).await?);
    let sub = id_of(&json(api("/subscriptions")).await?);
    let org = &rig.org;
    let pages = [
        format!("/orgs/{org}/teams"),
        format!("/orgs/{org}/teams/{team}"),
        format!("/orgs/{org}/users"),
        format!("/orgs/{org}/users?q=ana"),
        format!("/orgs/{org}/users?q=zqxv"),
        format!("/orgs/{org}/users?team={team}&status=not_signed_in"),
        format!("/orgs/{org}/users/{user}"),
        format!("/orgs/{org}/admins"),
        format!("/orgs/{org}/billing"),
        format!("/orgs/{org}/billing/{sub}"),
        format!("/orgs/{org}/settings/teams/{team}"),
        format!("/orgs/{org}/settings/policies"),
        format!("/orgs/{org}/settings/sso"),
        format!("/orgs/{org}/audit"),
        "/sign-in".to_owned(),
    ];
    let floor = time_page(&rig, "/healthz", requests).await?;
    println!(
        "pages: {users} users, {teams} teams, {requests} sequential requests each; floor /healthz p50 {} p99 {}",
        ms(floor.p50),
        ms(floor.p99)
    );
    println!(
        "{:<58} {:>10} {:>10} {:>8}",
        "page", "p50", "p99", "p99/floor"
    );
    for path in &pages {
        let s = time_page(&rig, path, requests).await?;
        let shown = path.replace(org.as_str(), "{org}");
        println!(
            "{:<58} {:>10} {:>10} {:>8.1}",
            shown,
            ms(s.p50),
            ms(s.p99),
            s.p99.as_secs_f64() / floor.p99.as_secs_f64()
        );
    }
    rig.finish().await
}
