//! The rig every benchmark runs on: an empty database seeded with the demo organization, its
//! Org Admin signed in, the real server on a loopback port; and the measuring helpers (latency
//! summaries, closed-loop rates, open-loop paced latencies).

use anyhow::{Context, anyhow};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_service::demo::{self, DEMO_ADMIN};
use switchboard_service::users::UserQuery;
use switchboard_service::{Config, OrgCaller, ServiceError, Services, mail::Mailer};
use switchboard_store::{Store, now_ms};
use switchboard_web::{AppState, Shared};

pub fn svc(e: ServiceError) -> anyhow::Error {
    anyhow!("{e}")
}

/// Latency summary of a series of timings.
pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

pub fn stats(mut t: Vec<Duration>) -> Stats {
    t.sort();
    let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)];
    let mean = t.iter().sum::<Duration>() / t.len() as u32;
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        mean,
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Where the bench's own sign-ins come from.
pub const LOOPBACK: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// The newest sign-in code in the bench's mail file.
fn newest_code(dir: &std::path::Path) -> anyhow::Result<String> {
    let mail = std::fs::read_to_string(dir.join("mail.jsonl"))?;
    let m: serde_json::Value = serde_json::from_str(mail.lines().last().unwrap_or("{}"))?;
    Ok(m["code"].as_str().unwrap_or_default().to_owned())
}

/// An agent signed in to the app.
pub struct Agent {
    pub token: String,
    pub user: String,
    pub team: String,
}

/// A seeded database, its demo Org Admin signed in, and the server running on a loopback port.
pub struct Rig {
    pub dir: std::path::PathBuf,
    pub store: Store,
    pub services: Services,
    pub caller: OrgCaller,
    pub org: String,
    pub token: String,
    pub base: String,
    pub client: reqwest::Client,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Rig {
    /// Seeds with the bench's tunables: sign-in limits that the bench's own sign-ins never reach.
    pub async fn seed(
        database_url: &str,
        users: usize,
        teams: usize,
        clients: usize,
    ) -> anyhow::Result<Rig> {
        let config = Config {
            starts_per_ip: 1_000_000,
            verifies_per_ip: 1_000_000,
            unauth_writes_per_s: 1_000_000,
            ingest_units_per_token_per_s: 1_000_000,
            ingest_units_per_org_per_s: 1_000_000,
            ..Config::default()
        };
        Self::seed_with(database_url, users, teams, clients, config).await
    }

    pub async fn seed_with(
        database_url: &str,
        users: usize,
        teams: usize,
        clients: usize,
        config: Config,
    ) -> anyhow::Result<Rig> {
        let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", now_ms()));
        std::fs::create_dir_all(&dir)?;
        let store = Store::connect(database_url)
            .await
            .context("opening the bench database")?;
        let mailer = Mailer::from_url(&format!("file:{}", dir.join("mail.jsonl").display()))
            .map_err(|e| anyhow!("{e}"))?;
        let services = Services::new(store.clone(), mailer, config);
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
        let state = AppState::new(Shared {
            services: services.clone(),
            operator_token: None,
            public_url: None,
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(switchboard_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        switchboard_service::use_ring_for_tls();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()?;
        let attempt = services
            .start_sign_in(DEMO_ADMIN, LOOPBACK)
            .await
            .map_err(svc)?;
        services.deliver_mail().await.map_err(svc)?;
        let ctx = switchboard_service::RequestInfo {
            request_id: "bench".into(),
        };
        let (admin, session) = services
            .verify_sign_in(
                DEMO_ADMIN,
                &newest_code(&dir)?,
                Some(&attempt),
                LOOPBACK,
                &ctx,
            )
            .await
            .map_err(svc)?;
        let admin = switchboard_service::auth::Session {
            user: admin,
            only_org: None,
        };
        let org = services.me(&admin, &session.token).await.map_err(svc)?.orgs[0]
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

    /// Up to 200 users with no org role (agents), optionally only those with app access.
    async fn plain_users(
        &self,
        app_access: Option<bool>,
    ) -> anyhow::Result<Vec<switchboard_service::views::UserView>> {
        let page = self
            .services
            .list_users(
                &self.caller,
                &UserQuery {
                    limit: Some(200),
                    app_access,
                    org_role: Some(switchboard_service::users::OrgRoleFilter::None),
                    ..Default::default()
                },
            )
            .await
            .map_err(svc)?;
        Ok(page.items)
    }

    /// Signs `email` in to the app with a mailed code, in `team` or (None) in no team yet.
    async fn app_sign_in(
        &self,
        email: &str,
        team: Option<String>,
    ) -> anyhow::Result<switchboard_service::apps::AppSession> {
        let attempt = self
            .services
            .start_sign_in(email, LOOPBACK)
            .await
            .map_err(svc)?;
        self.services.deliver_mail().await.map_err(svc)?;
        let verify = switchboard_service::apps::AppVerify {
            email: email.to_owned(),
            code: self.last_code()?,
            team_id: team,
            attempt_id: Some(attempt),
        };
        self.services
            .app_verify(verify, LOOPBACK)
            .await
            .map_err(svc)
    }

    /// `n` agents with app access (not admins), each signed in to the app: their app tokens,
    /// user ids and the teams the tokens are bound to.
    pub async fn agents(&self, n: usize) -> anyhow::Result<Vec<Agent>> {
        let users = self.plain_users(Some(true)).await?;
        let mut agents = Vec::new();
        for u in users.iter().take(n) {
            let team = u
                .memberships
                .iter()
                .find(|m| m.app_access)
                .map(|m| m.team_id.clone())
                .ok_or_else(|| anyhow!("an agent with app access has a team"))?;
            let token = self.app_sign_in(&u.email, Some(team.clone())).await?.token;
            agents.push(Agent {
                token,
                user: u.id.clone(),
                team,
            });
        }
        anyhow::ensure!(agents.len() == n, "not enough agents for {n} clients");
        Ok(agents)
    }

    /// An app token of a user in several teams who has not chosen one (its entitlement is a 409).
    pub async fn undecided_agent(&self) -> anyhow::Result<String> {
        let users = self.plain_users(None).await?;
        let u = users
            .iter()
            .find(|u| u.memberships.len() > 1)
            .ok_or_else(|| anyhow!("a user in several teams"))?;
        let session = self.app_sign_in(&u.email, None).await?;
        anyhow::ensure!(session.team_id.is_none(), "the user chose no team");
        Ok(session.token)
    }

    pub fn last_code(&self) -> anyhow::Result<String> {
        newest_code(&self.dir)
    }

    pub async fn finish(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// Requests per second of `make(worker, n)` from `workers` concurrent clients for `secs` seconds,
/// with how many answers were successes.
pub async fn rate<F>(
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
                ok += u64::from(r.status().is_success());
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
