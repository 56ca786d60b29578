//! `switchboard bench …`: benchmarks that report each figure as a ratio against a floor measured
//! in the same run on the same machine, so the numbers mean something on any hardware. Each one
//! seeds an empty database with the demo organization, signs its Org Admin in, and starts the
//! real server on a loopback port ([`Rig`]); the load comes from an in-process client.
//!
//! - `users`: the users page over HTTP against the same SQL run directly; bulk adds against the
//!   same rows inserted in one bare transaction.
//! - `toggles`: seat-checked app-access writes against `/healthz`.
//! - `entitlement`: the app's entitlement answer (200 and 304) against `/healthz`, p99 at half
//!   the maximum rate, and the first request after a policy edit.

use anyhow::{Context, anyhow};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_domain::ids::UserId;
use switchboard_service::demo::{self, DEMO_ADMIN};
use switchboard_service::users::{UserQuery, user_filter};
use switchboard_service::{Config, Ctx, OrgCaller, ServiceError, Services, mail::Mailer};
use switchboard_store::{Store, now_ms, people};
use switchboard_web::AppState;

fn svc(e: ServiceError) -> anyhow::Error {
    anyhow!("{e}")
}

/// Latency summary of a series of timings.
struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut t: Vec<Duration>) -> Stats {
    t.sort();
    let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)];
    let mean = t.iter().sum::<Duration>() / t.len() as u32;
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        mean,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Where the bench's own sign-ins come from.
const LOOPBACK: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// The newest sign-in code in the bench's mail file.
fn newest_code(dir: &std::path::Path) -> anyhow::Result<String> {
    let mail = std::fs::read_to_string(dir.join("mail.jsonl"))?;
    let m: serde_json::Value = serde_json::from_str(mail.lines().last().unwrap_or("{}"))?;
    Ok(m["code"].as_str().unwrap_or_default().to_owned())
}

/// A seeded database, its demo Org Admin signed in, and the server running on a loopback port.
struct Rig {
    dir: std::path::PathBuf,
    store: Store,
    services: Services,
    caller: OrgCaller,
    org: String,
    token: String,
    base: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Rig {
    async fn seed(
        database_url: &str,
        users: usize,
        teams: usize,
        clients: usize,
    ) -> anyhow::Result<Rig> {
        let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", now_ms()));
        std::fs::create_dir_all(&dir)?;
        let store = Store::connect(database_url)
            .await
            .context("opening the bench database")?;
        let mailer = Mailer::from_url(&format!("file:{}", dir.join("mail.jsonl").display()))
            .map_err(|e| anyhow!("{e}"))?;
        let services = Services::new(
            store.clone(),
            mailer,
            Config {
                starts_per_ip: 1_000_000,
                verifies_per_ip: 1_000_000,
                ..Config::default()
            },
        );
        anyhow::ensure!(
            !demo::has_data(&services).await.map_err(svc)?,
            "benchmarks need an empty database"
        );
        let t0 = Instant::now();
        demo::create(&services, users, teams).await.map_err(svc)?;
        println!(
            "seeded {users} users in {teams} teams in {:.1} s ({:?})",
            t0.elapsed().as_secs_f64(),
            store.backend()
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = AppState {
            services: services.clone(),
            operator_token: None,
            public_url: None,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(switchboard_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()?;
        services
            .start_sign_in(DEMO_ADMIN, LOOPBACK)
            .await
            .map_err(svc)?;
        services.deliver_mail().await.map_err(svc)?;
        let (admin, session) = services
            .verify_sign_in(DEMO_ADMIN, &newest_code(&dir)?, LOOPBACK)
            .await
            .map_err(svc)?;
        let org = services
            .me(&admin, &session.token)
            .await
            .map_err(svc)?
            .orgs[0]
            .id
            .clone();
        let caller = services.org_caller(&admin, &org).await.map_err(svc)?;
        Ok(Rig {
            dir,
            store,
            services,
            caller,
            org,
            token: session.token,
            base,
            client,
            stop,
            server,
        })
    }

    fn last_code(&self) -> anyhow::Result<String> {
        newest_code(&self.dir)
    }

    async fn finish(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// Requests per second of `make(worker, n)` from `workers` concurrent clients for `secs` seconds,
/// with how many answers were successes.
async fn rate<F>(
    client: &reqwest::Client,
    workers: usize,
    secs: f64,
    make: F,
) -> anyhow::Result<(f64, u64, u64)>
where
    F: Fn(&reqwest::Client, usize, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut total) = (0u64, 0u64);
            while Instant::now() < deadline {
                let r = make(&client, w, total).send().await?;
                anyhow::ensure!(!r.status().is_server_error(), "server error {}", r.status());
                ok += r.status().is_success() as u64;
                total += 1;
                r.bytes().await?;
            }
            anyhow::Ok((ok, total))
        }));
    }
    let (mut ok, mut total) = (0, 0);
    for t in tasks {
        let (o, n) = t.await??;
        ok += o;
        total += n;
    }
    Ok((
        total as f64 / started.elapsed().as_secs_f64().max(secs),
        ok,
        total,
    ))
}

/// Latencies of requests sent at a fixed total rate (open loop) for `secs` seconds.
async fn paced<F>(
    client: &reqwest::Client,
    workers: usize,
    per_second: f64,
    secs: f64,
    make: F,
) -> anyhow::Result<Stats>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let interval = Duration::from_secs_f64(workers as f64 / per_second);
    let count = (per_second * secs / workers as f64).max(1.0) as usize;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut lat = Vec::with_capacity(count);
            for _ in 0..count {
                tick.tick().await;
                let t = Instant::now();
                make(&client, w).send().await?.bytes().await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(stats(all))
}

/// The users page and bulk adds, each against its bare SQL.
pub async fn users(
    database_url: &str,
    users: usize,
    teams: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, 1).await?;
    let team_list = rig.services.list_teams(&rig.caller).await.map_err(svc)?;
    let team = team_list[team_list.len() / 2].id.clone();
    let (org, store) = (rig.org.clone(), rig.store.clone());

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
        let rows = people::list_users(&mut c, &org, &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        people::memberships_of_users(&mut c, &org, &ids).await?;
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

        let rows: Vec<(String, String, Option<String>)> = (0..1000)
            .map(|i| {
                (
                    UserId::generate().to_string(),
                    format!("bare{round}.{i}@bench.example"),
                    None,
                )
            })
            .collect();
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let t = Instant::now();
        let mut tx = store.write().await?;
        let now = now_ms();
        people::insert_users(&mut tx, &rows, now).await?;
        people::insert_org_members(&mut tx, &org, &ids, now).await?;
        people::insert_memberships(&mut tx, &org, &team, &ids, "member", false, now).await?;
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

/// App-access toggles (seat-checked, audited, durable) on a 10,000-seat subscription.
pub async fn toggles(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, workers).await?;
    let (services, caller) = (&rig.services, &rig.caller);
    let subs = services.list_subscriptions(caller).await.map_err(svc)?;
    let resize = switchboard_service::billing_ops::UpdateSubscription {
        seats: Some(10_000),
        ..Default::default()
    };
    services
        .update_subscription(
            &Ctx {
                request_id: "bench".into(),
            },
            &subs[0].id,
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
                org_role: Some("none".into()),
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

/// The entitlement answer on an organization with 20 policies.
pub async fn entitlement(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
    let rig = Rig::seed(database_url, users, teams, workers).await?;
    let (services, caller) = (&rig.services, &rig.caller);
    let ctx = Ctx {
        request_id: "bench".into(),
    };
    let team_list = services.list_teams(caller).await.map_err(svc)?;
    let keys: Vec<&str> = switchboard_domain::settings::catalog()
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    // 20 policies, each over its own slice of the teams, each setting two keys.
    let per = (team_list.len() / 20).max(1);
    let mut policies = Vec::new();
    for i in 0..20 {
        let slice: Vec<String> = team_list
            .iter()
            .skip(i * per)
            .take(per)
            .map(|t| t.id.clone())
            .collect();
        let key = keys[i % keys.len()];
        let values = std::collections::BTreeMap::from([
            (
                key.to_owned(),
                switchboard_domain::settings::spec(key)
                    .map(|s| s.default.clone())
                    .unwrap_or_default(),
            ),
            ("agents_can_change_settings".to_owned(), json!(i % 2 == 0)),
        ]);
        let req = switchboard_service::settings::CreatePolicy {
            name: format!("Policy {i}"),
            values,
            team_ids: slice,
        };
        policies.push(
            services
                .create_policy(caller, &ctx, req)
                .await
                .map_err(svc)?,
        );
    }
    // One agent per worker, each with an app token bound to a team under a policy.
    let page = services
        .list_users(
            caller,
            &UserQuery {
                limit: Some(200),
                app_access: Some(true),
                org_role: Some("none".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(svc)?;
    let mut tokens = Vec::new();
    for u in page.items.iter().take(workers) {
        let team = u
            .memberships
            .iter()
            .find(|m| m.app_access)
            .map(|m| m.team_id.clone());
        services
            .start_sign_in(&u.email, LOOPBACK)
            .await
            .map_err(svc)?;
        services.deliver_mail().await.map_err(svc)?;
        let verify = switchboard_service::apps::AppVerify {
            email: u.email.clone(),
            code: rig.last_code()?,
            team_id: team,
        };
        tokens.push(
            services
                .app_verify(verify, LOOPBACK)
                .await
                .map_err(svc)?
                .token,
        );
    }
    anyhow::ensure!(
        tokens.len() == workers,
        "not enough agents for {workers} workers"
    );
    let url = format!("{}/app/v1/entitlement", rig.base);
    let mut etags = Vec::new();
    for t in &tokens {
        let r = rig.client.get(&url).bearer_auth(t).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "entitlement answered {}",
            r.status()
        );
        etags.push(r.headers()["etag"].to_str()?.to_owned());
    }
    let health = format!("{}/healthz", rig.base);
    let (healthz, _, _) = rate(&rig.client, workers, secs, move |c, _, _| c.get(&health)).await?;
    let (u1, t1) = (url.clone(), tokens.clone());
    let (full, _, _) = rate(&rig.client, workers, secs, move |c, w, _| {
        c.get(&u1).bearer_auth(&t1[w])
    })
    .await?;
    let (u2, t2, e2) = (url.clone(), tokens.clone(), etags.clone());
    let (not_modified, _, _) = rate(&rig.client, workers, secs, move |c, w, _| {
        c.get(&u2)
            .bearer_auth(&t2[w])
            .header("if-none-match", &e2[w])
    })
    .await?;
    let (u3, t3) = (url.clone(), tokens.clone());
    let half = paced(&rig.client, workers, full / 2.0, secs, move |c, w| {
        c.get(&u3).bearer_auth(&t3[w])
    })
    .await?;
    println!(
        "\n{:?}, 20 policies, {workers} concurrent clients, {secs} s each:",
        rig.store.backend()
    );
    println!("  GET /healthz:                {healthz:.0} req/s");
    println!(
        "  GET /app/v1/entitlement 200: {full:.0} req/s   ratio {:.2}  (goal: at least 0.5)",
        full / healthz
    );
    println!(
        "  GET /app/v1/entitlement 304: {not_modified:.0} req/s   ratio {:.2}  (goal: at least 0.8)",
        not_modified / healthz
    );
    println!(
        "  at half the maximum rate ({:.0} req/s): p50 {}  p99 {}  (goal: p99 under 5 ms)",
        full / 2.0,
        ms(half.p50),
        ms(half.p99)
    );

    // A policy edit, then the very next request (with the ETag it had).
    let (token, etag) = (&tokens[0], &etags[0]);
    let before: serde_json::Value = serde_json::from_str(
        &rig.client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await?
            .text()
            .await?,
    )?;
    let agent_team = before["team"]["id"].as_str().unwrap_or_default().to_owned();
    let pol = policies
        .iter()
        .find(|p| p.team_ids.contains(&agent_team))
        .context("every team is under one policy")?;
    let flipped = !before["settings"]["agents_can_change_settings"]
        .as_bool()
        .unwrap_or(false);
    let mut values = pol.values.clone();
    values.insert("agents_can_change_settings".into(), json!(flipped));
    let t = Instant::now();
    let edit = switchboard_service::settings::UpdatePolicy {
        name: None,
        values: Some(values),
        team_ids: None,
    };
    services
        .update_policy(caller, &ctx, &pol.id, edit)
        .await
        .map_err(svc)?;
    let edited = t.elapsed();
    let t = Instant::now();
    let r = rig
        .client
        .get(&url)
        .bearer_auth(token)
        .header("if-none-match", etag)
        .send()
        .await?;
    let status = r.status();
    let after: serde_json::Value = serde_json::from_str(&r.text().await?).unwrap_or_default();
    println!(
        "  policy edit committed in {}; the next request ({} later) answered {} and sees the edit: {}",
        ms(edited),
        ms(t.elapsed()),
        status,
        after["settings"]["agents_can_change_settings"] == json!(flipped)
    );
    rig.finish().await
}
