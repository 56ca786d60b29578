//! `users`: the users page over HTTP against the same SQL run directly; searches that match
//! much, little or nothing from 4 concurrent clients; bulk adds of 1,000 against the same rows
//! inserted in one bare transaction.

use crate::rig::{Rig, ms, stats, svc};
use serde_json::json;
use std::time::Instant;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_service::users::{UserQuery, user_filter};
use switchboard_store::{now_ms, people};

/// The users page and bulk adds, each against its bare SQL.
pub async fn run(
    database_url: &str,
    users: usize,
    teams: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, 1).await?;
    let team_list = rig.services.list_teams(&rig.caller).await.map_err(svc)?;
    let team = team_list[team_list.len() / 2].id.clone();
    let (org, store) = (rig.org.clone(), rig.store.clone());
    let org_id = OrgId::parse(&org).expect("the rig's organization id");
    let team_id = TeamId::parse(&team).expect("a team id");

    let query = UserQuery {
        q: Some("ana".into()),
        team: Some(team.clone()),
        limit: Some(50),
        ..Default::default()
    };
    let url = format!(
        "{}/api/v1/orgs/{org}/users?q=ana&team={team}&limit=50",
        rig.base
    );
    let filter = user_filter(&switchboard_domain::access::Scope::Org, &query).map_err(svc)?;
    let bare_page = || async {
        let mut c = store.read().await?;
        let rows = people::list_users(&mut c, &org_id, &filter).await?;
        let ids: Vec<UserId> = rows.iter().map(|r| r.id.clone()).collect();
        people::memberships_of_users(&mut c, &org_id, &ids).await?;
        anyhow::Ok(rows.len())
    };
    let mut rows_seen = 0;
    for _ in 0..50 {
        rows_seen = bare_page().await?;
        rig.client
            .get(&url)
            .bearer_auth(&rig.token)
            .send()
            .await?
            .bytes()
            .await?;
    }
    let (mut http, mut bare) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for _ in 0..requests {
        let t = Instant::now();
        bare_page().await?;
        bare.push(t.elapsed());
        let t = Instant::now();
        let r = rig.client.get(&url).bearer_auth(&rig.token).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "users page answered {}",
            r.status()
        );
        r.bytes().await?;
        http.push(t.elapsed());
    }
    let (h, b) = (stats(http), stats(bare));
    println!(
        "\nusers page (q=ana, team filter, limit 50; {rows_seen} rows), {requests} requests each, sequential:"
    );
    println!(
        "  bare SQL (page + memberships): p50 {}  p99 {}  mean {}",
        ms(b.p50),
        ms(b.p99),
        ms(b.mean)
    );
    println!(
        "  HTTP (auth, tenant, page):     p50 {}  p99 {}  mean {}",
        ms(h.p50),
        ms(h.p99),
        ms(h.mean)
    );
    println!(
        "  ratio HTTP / bare: p50 {:.2}x  p99 {:.2}x  mean {:.2}x   (goal: within 2x; p99 under 20 ms)",
        h.p50.as_secs_f64() / b.p50.as_secs_f64(),
        h.p99.as_secs_f64() / b.p99.as_secs_f64(),
        h.mean.as_secs_f64() / b.mean.as_secs_f64()
    );

    // Search across the whole organization (no team filter), 4 clients at once: a common
    // name, a rare full name, and strings that match nobody (short and long).
    println!(
        "\nsearch over the whole organization, 4 concurrent clients, {requests} requests per query:"
    );
    for q in ["ana", "nora.okafor", "zq", "zqxv", "xylophone"] {
        let url = format!("{}/api/v1/orgs/{org}/users?q={q}&limit=50", rig.base);
        let per = requests / 4;
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (client, url, token) = (rig.client.clone(), url.clone(), rig.token.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per);
                for _ in 0..per {
                    let t = Instant::now();
                    let r = client.get(&url).bearer_auth(&token).send().await?;
                    anyhow::ensure!(r.status().is_success(), "search answered {}", r.status());
                    r.bytes().await?;
                    lat.push(t.elapsed());
                }
                anyhow::Ok(lat)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        let found = rig
            .client
            .get(&url)
            .bearer_auth(&rig.token)
            .send()
            .await?
            .json::<serde_json::Value>()
            .await?["items"]
            .as_array()
            .map_or(0, Vec::len);
        let s = stats(all);
        println!(
            "  q={q:<12} {found:>2} rows: p50 {}  p99 {}   (goal: p99 under 20 ms)",
            ms(s.p50),
            ms(s.p99)
        );
    }

    let rounds = 5;
    let (mut http, mut bare) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let emails: Vec<String> = (0..1000)
            .map(|i| format!("bulk{round}.{i}@bench.example"))
            .collect();
        let t = Instant::now();
        let r = rig
            .client
            .post(format!("{}/api/v1/orgs/{org}/users", rig.base))
            .bearer_auth(&rig.token)
            .json(&json!({"team_id": team, "team_role": "member", "emails": emails, "app_access": false}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "bulk add answered {}", r.status());
        r.bytes().await?;
        http.push(t.elapsed());

        let rows: Vec<(UserId, String, Option<String>)> = (0..1000)
            .map(|i| {
                (
                    UserId::generate(),
                    format!("bare{round}.{i}@bench.example"),
                    None,
                )
            })
            .collect();
        let ids: Vec<UserId> = rows.iter().map(|r| r.0.clone()).collect();
        let t = Instant::now();
        let mut tx = store.write().await?;
        let now = now_ms();
        people::insert_users(&mut tx, &rows, now).await?;
        people::insert_org_members(&mut tx, &org_id, &ids, now).await?;
        people::insert_memberships(
            &mut tx,
            &org_id,
            &team_id,
            &ids,
            TeamRole::Member,
            false,
            now,
        )
        .await?;
        tx.commit().await?;
        bare.push(t.elapsed());
    }
    let (h, b) = (stats(http), stats(bare));
    println!("\nbulk add of 1,000 new emails, {rounds} rounds each:");
    println!("  bare transaction (same rows): median {}", ms(b.p50));
    println!("  HTTP bulk add:                median {}", ms(h.p50));
    println!(
        "  ratio HTTP / bare: {:.2}x   (goal: within 3x)",
        h.p50.as_secs_f64() / b.p50.as_secs_f64()
    );
    rig.finish().await
}
