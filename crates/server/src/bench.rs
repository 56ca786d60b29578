//! `switchboard bench …`: benchmarks that report each figure as a ratio against a floor measured
//! in the same run on the same machine, so the numbers mean something on any hardware.
//!
//! `bench users`: on a demo organization (default 100,000 users in 200 teams), the users page
//! (`q` of 3 letters plus a team filter, 50 rows) over HTTP against the same SQL run directly on
//! the same database; then bulk adds of 1,000 emails over HTTP against inserting the same rows in
//! one bare transaction.

use anyhow::{Context, anyhow};
use std::time::{Duration, Instant};
use switchboard_service::demo::{self, DEMO_ADMIN};
use switchboard_service::users::{UserQuery, user_filter};
use switchboard_service::{Config, Services, mail::Mailer};
use switchboard_store::{Store, now_ms, people};
use switchboard_web::AppState;

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

/// Runs the users benchmark against `database_url`, which must be empty.
pub async fn users(
    database_url: &str,
    users: usize,
    teams: usize,
    requests: usize,
) -> anyhow::Result<()> {
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
            ..Config::default()
        },
    );
    if demo::has_data(&services)
        .await
        .map_err(|e| anyhow!("{e}"))?
    {
        anyhow::bail!("bench users needs an empty database");
    }
    let t0 = Instant::now();
    demo::create(&services, users, teams)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    println!(
        "seeded {users} users in {teams} teams in {:.1} s ({:?})",
        t0.elapsed().as_secs_f64(),
        store.backend()
    );

    // Sign in as the demo admin, as a client would.
    services
        .start_sign_in(DEMO_ADMIN, "bench")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mail = std::fs::read_to_string(dir.join("mail.jsonl"))?;
    let code: serde_json::Value = serde_json::from_str(mail.lines().last().unwrap_or("{}"))?;
    let (admin, session) = services
        .verify_sign_in(DEMO_ADMIN, code["code"].as_str().unwrap_or_default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let me = services.me(&admin).await.map_err(|e| anyhow!("{e}"))?;
    let org = me.orgs[0].id.clone();
    let caller = services
        .org_caller(&admin, &org)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let team_list = services
        .list_teams(&caller)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let team = team_list[team_list.len() / 2].id.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState {
        services: services.clone(),
        operator_token: None,
        secure_cookies: false,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(switchboard_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();

    // 1. The users page.
    let query = UserQuery {
        q: Some("ana".into()),
        team: Some(team.clone()),
        limit: Some(50),
        ..Default::default()
    };
    let url = format!("{base}/api/v1/orgs/{org}/users?q=ana&team={team}&limit=50");
    let filter =
        user_filter(&switchboard_domain::access::Scope::Org, &query).map_err(|e| anyhow!("{e}"))?;
    let mut rows_seen = 0;
    let bare_page = || async {
        let mut c = store.read().await?;
        let rows = people::list_users(&mut c, &org, &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let ms = people::memberships_of_users(&mut c, &org, &ids).await?;
        anyhow::Ok((rows.len(), ms.len()))
    };
    for _ in 0..50 {
        rows_seen = bare_page().await?.0;
        client
            .get(&url)
            .bearer_auth(&session.token)
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
        let r = client.get(&url).bearer_auth(&session.token).send().await?;
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

    // 2. Bulk add of 1,000 new emails, against the same rows in one bare transaction.
    let rounds = 5;
    let (mut http, mut bare) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let emails: Vec<String> = (0..1000)
            .map(|i| format!("bulk{round}.{i}@bench.example"))
            .collect();
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/orgs/{org}/users"))
            .bearer_auth(&session.token)
            .json(&serde_json::json!({"team_id": team, "team_role": "member", "emails": emails, "app_access": false}))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "bulk add answered {}: {}",
            r.status(),
            r.text().await?
        );
        r.bytes().await?;
        http.push(t.elapsed());

        let rows: Vec<(String, String, Option<String>)> = (0..1000)
            .map(|i| {
                (
                    switchboard_domain::ids::UserId::generate().to_string(),
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

    let _ = stop.send(());
    server.await??;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Requests per second of `make(i)` requests from `workers` concurrent clients for `secs` seconds,
/// with the number of answers that were successes.
async fn rate<F>(
    client: &reqwest::Client,
    workers: usize,
    secs: f64,
    make: F,
) -> anyhow::Result<(f64, u64, u64)>
where
    F: Fn(&reqwest::Client, usize, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = std::sync::Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut total, mut n) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let r = make(&client, w, n).send().await?;
                if r.status().is_server_error() {
                    anyhow::bail!("server error {}", r.status());
                }
                ok += r.status().is_success() as u64;
                total += 1;
                n += 1;
                r.bytes().await?;
            }
            anyhow::Ok((ok, total))
        }));
    }
    let started = Instant::now();
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

/// `bench toggles`: app-access toggles (seat-checked, audited, durable writes) on a 10,000-seat
/// subscription with 200 teams, over HTTP, against `/healthz` of the same server in the same run.
pub async fn toggles(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
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
            ..Config::default()
        },
    );
    if demo::has_data(&services)
        .await
        .map_err(|e| anyhow!("{e}"))?
    {
        anyhow::bail!("bench toggles needs an empty database");
    }
    demo::create(&services, users, teams)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    services
        .start_sign_in(DEMO_ADMIN, "bench")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mail = std::fs::read_to_string(dir.join("mail.jsonl"))?;
    let code: serde_json::Value = serde_json::from_str(mail.lines().last().unwrap_or("{}"))?;
    let (admin, session) = services
        .verify_sign_in(DEMO_ADMIN, code["code"].as_str().unwrap_or_default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let org = services.me(&admin).await.map_err(|e| anyhow!("{e}"))?.orgs[0]
        .id
        .clone();
    let caller = services
        .org_caller(&admin, &org)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let subs = services
        .list_subscriptions(&caller)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    services
        .update_subscription(
            &switchboard_service::Ctx {
                request_id: "bench".into(),
            },
            &subs[0].id,
            switchboard_service::billing_ops::UpdateSubscription {
                seats: Some(10_000),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    // One membership per worker, in email teams (device teams' seats are devices), toggled on and off.
    let email_teams: Vec<String> = services
        .list_teams(&caller)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .filter(|t| t.login_type == switchboard_domain::team::LoginType::Email)
        .map(|t| t.id)
        .collect();
    let page = services
        .list_users(
            &caller,
            &UserQuery {
                limit: Some(200),
                org_role: Some("none".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let targets: Vec<(String, String)> = page
        .items
        .iter()
        .filter_map(|u| {
            u.memberships
                .first()
                .map(|m| (u.id.clone(), m.team_id.clone()))
        })
        .filter(|(_, t)| email_teams.contains(t))
        .take(workers)
        .collect();
    anyhow::ensure!(targets.len() == workers, "not enough members to toggle");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState {
        services: services.clone(),
        operator_token: None,
        secure_cookies: false,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(switchboard_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()?;
    let health = format!("{base}/healthz");
    let (healthz, _, _) = rate(&client, workers, secs, move |c, _, _| c.get(&health)).await?;
    let token = session.token.clone();
    let paths: Vec<String> = targets
        .iter()
        .map(|(u, t)| format!("{base}/api/v1/orgs/{org}/users/{u}/memberships/{t}"))
        .collect();
    let (toggles, ok, total) = rate(&client, workers, secs, move |c, w, n| {
        c.patch(&paths[w])
            .bearer_auth(&token)
            .json(&serde_json::json!({"app_access": n % 2 == 0}))
    })
    .await?;
    println!(
        "\n{:?}, {workers} concurrent clients, {secs} s each:",
        store.backend()
    );
    println!("  GET /healthz:                 {healthz:.0} req/s");
    println!("  PATCH app access (seat check): {toggles:.0} req/s ({ok} of {total} succeeded)");
    println!(
        "  ratio toggles / healthz: {:.3}   (goal: at least 0.1)",
        toggles / healthz
    );
    let _ = stop.send(());
    server.await??;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
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
    let make = std::sync::Arc::new(make);
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

/// `bench entitlement`: the entitlement answer (200 and 304) over HTTP against `/healthz` of the
/// same server, on a demo organization with 20 policies; p99 at half the maximum rate; and how
/// soon a policy edit is seen.
pub async fn entitlement(
    database_url: &str,
    users: usize,
    teams: usize,
    workers: usize,
    secs: f64,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", now_ms()));
    std::fs::create_dir_all(&dir)?;
    let store = Store::connect(database_url)
        .await
        .context("opening the bench database")?;
    let mail_path = dir.join("mail.jsonl");
    let mailer =
        Mailer::from_url(&format!("file:{}", mail_path.display())).map_err(|e| anyhow!("{e}"))?;
    let services = Services::new(
        store.clone(),
        mailer,
        Config {
            starts_per_ip: 1_000_000,
            ..Config::default()
        },
    );
    if demo::has_data(&services)
        .await
        .map_err(|e| anyhow!("{e}"))?
    {
        anyhow::bail!("bench entitlement needs an empty database");
    }
    let t0 = Instant::now();
    demo::create(&services, users, teams)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let e = |e: switchboard_service::ServiceError| anyhow!("{e}");
    services
        .start_sign_in(DEMO_ADMIN, "bench")
        .await
        .map_err(e)?;
    let last_code = || -> anyhow::Result<String> {
        let mail = std::fs::read_to_string(&mail_path)?;
        let m: serde_json::Value = serde_json::from_str(mail.lines().last().unwrap_or("{}"))?;
        Ok(m["code"].as_str().unwrap_or_default().to_owned())
    };
    let (admin, _) = services
        .verify_sign_in(DEMO_ADMIN, &last_code()?)
        .await
        .map_err(e)?;
    let org = services.me(&admin).await.map_err(e)?.orgs[0].id.clone();
    let caller = services.org_caller(&admin, &org).await.map_err(e)?;
    let ctx = switchboard_service::Ctx {
        request_id: "bench".into(),
    };
    let team_list = services.list_teams(&caller).await.map_err(e)?;
    let keys: Vec<&str> = switchboard_domain::settings::catalog()
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    // 20 policies, each over its own slice of teams, each setting two keys.
    let mut policies = Vec::new();
    for i in 0..20 {
        let slice: Vec<String> = team_list
            .iter()
            .skip(i * team_list.len() / 20)
            .take((team_list.len() / 20).max(1))
            .map(|t| t.id.clone())
            .collect();
        let values = std::collections::BTreeMap::from([
            (
                keys[i % keys.len()].to_owned(),
                switchboard_domain::settings::spec(keys[i % keys.len()])
                    .unwrap()
                    .default
                    .clone(),
            ),
            (
                "agents_can_change_settings".to_owned(),
                serde_json::json!(i % 2 == 0),
            ),
        ]);
        let req = switchboard_service::settings::CreatePolicy {
            name: format!("Policy {i}"),
            values,
            team_ids: slice,
        };
        policies.push(
            services
                .create_policy(&caller, &ctx, req)
                .await
                .map_err(e)?,
        );
    }
    println!(
        "seeded {users} users, {teams} teams, 20 policies in {:.1} s ({:?})",
        t0.elapsed().as_secs_f64(),
        store.backend()
    );

    // One agent per worker, each with an app token bound to their team.
    let page = services
        .list_users(
            &caller,
            &UserQuery {
                limit: Some(200),
                app_access: Some(true),
                org_role: Some("none".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    let mut tokens = Vec::new();
    for u in page
        .items
        .iter()
        .filter(|u| u.memberships.iter().any(|m| m.app_access))
        .take(workers)
    {
        let team = u
            .memberships
            .iter()
            .find(|m| m.app_access)
            .map(|m| m.team_id.clone());
        services.start_sign_in(&u.email, "bench").await.map_err(e)?;
        let s = services
            .app_verify(switchboard_service::apps::AppVerify {
                email: u.email.clone(),
                code: last_code()?,
                team_id: team,
            })
            .await
            .map_err(e)?;
        tokens.push(s.token);
    }
    anyhow::ensure!(
        tokens.len() == workers,
        "not enough agents for {workers} workers"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState {
        services: services.clone(),
        operator_token: None,
        secure_cookies: false,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(switchboard_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()?;
    let url = format!("{base}/app/v1/entitlement");
    let mut etags = Vec::new();
    for t in &tokens {
        let r = client.get(&url).bearer_auth(t).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "entitlement answered {}",
            r.status()
        );
        etags.push(r.headers()["etag"].to_str()?.to_owned());
    }
    let health = format!("{base}/healthz");
    let (healthz, _, _) = rate(&client, workers, secs, move |c, _, _| c.get(&health)).await?;
    let (u1, t1) = (url.clone(), tokens.clone());
    let (full, _, _) = rate(&client, workers, secs, move |c, w, _| {
        c.get(&u1).bearer_auth(&t1[w])
    })
    .await?;
    let (u2, t2, e2) = (url.clone(), tokens.clone(), etags.clone());
    let (not_modified, _, _) = rate(&client, workers, secs, move |c, w, _| {
        c.get(&u2)
            .bearer_auth(&t2[w])
            .header("if-none-match", &e2[w])
    })
    .await?;
    let (u3, t3) = (url.clone(), tokens.clone());
    let half = paced(&client, workers, full / 2.0, secs, move |c, w| {
        c.get(&u3).bearer_auth(&t3[w])
    })
    .await?;
    println!(
        "\n{:?}, {workers} concurrent clients, {secs} s each:",
        store.backend()
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
    let (token, etag) = (tokens[0].clone(), etags[0].clone());
    let before: serde_json::Value = serde_json::from_str(
        &client
            .get(&url)
            .bearer_auth(&token)
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
    values.insert(
        "agents_can_change_settings".into(),
        serde_json::json!(flipped),
    );
    let t = Instant::now();
    services
        .update_policy(
            &caller,
            &ctx,
            &pol.id,
            switchboard_service::settings::UpdatePolicy {
                name: None,
                values: Some(values),
                team_ids: None,
            },
        )
        .await
        .map_err(e)?;
    let edit = t.elapsed();
    let t = Instant::now();
    let r = client
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await?;
    let status = r.status();
    let after: serde_json::Value = serde_json::from_str(&r.text().await?).unwrap_or_default();
    println!(
        "  policy edit committed in {}; the next request ({} after) answered {} with agents_can_change_settings = {} (sees the edit: {})",
        ms(edit),
        ms(t.elapsed()),
        status,
        after["settings"]["agents_can_change_settings"],
        after["settings"]["agents_can_change_settings"] == serde_json::json!(flipped)
    );
    let _ = stop.send(());
    server.await??;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
