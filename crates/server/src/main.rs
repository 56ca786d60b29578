//! The `switchboard` binary: one command line for the service (`serve`), the schema (`migrate`),
//! the operator (`provision`), demo data (`demo`) and the audit log (`audit verify`). Benchmarks
//! are a binary of their own (`crates/bench`).

mod cli;
mod logs;
mod seats_cmd;

/// mimalloc instead of glibc's malloc: see `Cargo.toml` and docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::Parser;
use cli::{AuditCommand, BillingCommand, Cli, Command, SubscriptionCommand};
use switchboard_service::billing::operator::{CreateSubscription, UpdateSubscription};
use switchboard_service::demo;
use switchboard_service::mail::Mailer;
use switchboard_service::operator::{NewSubscription, NewTeam, ProvisionRequest};
use switchboard_service::{Config, RequestInfo, Services};
use switchboard_store::Store;
use switchboard_web::{AppState, Shared};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: what failed and why, each cause after a colon.
            eprintln!("switchboard: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The database URL without a password, for messages.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) => {
                let user = user.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

async fn run() -> anyhow::Result<()> {
    // Structured log lines on stderr: key=value for people, or one JSON object per line with
    // SWITCHBOARD_LOG_FORMAT=json for log collectors. Level filter from RUST_LOG. Written by the
    // request's own thread: a writer thread (tried: tracing-appender) saved little CPU and, on
    // two cores, doubled the p99 of every route by competing with the workers.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_writer(logs::writer())
        .with_timer(logs::Clock)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter);
    if std::env::var("SWITCHBOARD_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        let (_, api) = switchboard_web::router_and_api();
        println!("{}", api.to_pretty_json()?);
        return Ok(());
    }
    let store = Store::connect(&cli.database_url).await.with_context(|| {
        format!(
            "can't open the database {} (check --database-url / DATABASE_URL: sqlite://PATH or \
             postgres://user@host/db, and that a PostgreSQL server is running there)",
            redacted(&cli.database_url)
        )
    })?;
    let mailer = Mailer::from_url(&cli.mail).map_err(|e| anyhow::anyhow!("{e}"))?;
    if cli.outbound_allow_private {
        tracing::warn!(
            "SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE is on: the server may fetch from loopback and private addresses over plain http. This is unsafe outside development."
        );
    }
    let secret_key = cli.secret_key.clone().unwrap_or_else(|| {
        tracing::warn!("SWITCHBOARD_SECRET_KEY is not set: using a random key for this run");
        format!("{:x}", rand::random::<u128>())
    });
    let services = Services::new(
        store.clone(),
        mailer,
        Config {
            secret_key,
            payment_url: cli.payment_url.clone(),
            metrics_token: cli.metrics_token.clone(),
            outbound_allow_private: cli.outbound_allow_private,
            dns_servers: cli.dns_servers.clone(),
            unauth_writes_per_s: cli.unauth_writes_per_s,
            ingest_units_per_token_per_s: cli.ingest_per_token_per_s,
            ingest_units_per_org_per_s: cli.ingest_per_org_per_s,
            ..Config::default()
        },
    );
    match cli.command {
        Command::Migrate => println!("migrations applied"),
        Command::Openapi => unreachable!("answered before the database is opened"),
        Command::Audit(AuditCommand::Verify { org }) => {
            let orgs = match org {
                Some(o) => vec![switchboard_domain::ids::OrgId::parse(&o).ok_or_else(|| {
                    anyhow::anyhow!("--org {o:?} is not an organization id (org_…)")
                })?],
                None => services
                    .all_org_ids()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            };
            for o in &orgs {
                match services
                    .verify_audit_chain(o)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Err(seq) => anyhow::bail!(
                        "the audit log of {o} is broken at entry {seq}: that entry, or one before it, was changed or deleted"
                    ),
                    // The head, to keep elsewhere: a later run that prints an older head for the
                    // same number of entries, or fewer entries, shows a rewrite.
                    Ok(head) => println!("{o} {} {}", head.seq, head.hash),
                }
            }
            println!("audit log intact: {} organization(s) checked", orgs.len());
        }
        Command::Subscription(cmd) => {
            let ctx = RequestInfo {
                request_id: "cli".into(),
            };
            let view = match cmd {
                SubscriptionCommand::Create {
                    org,
                    plan,
                    seats,
                    name,
                    period,
                    unit_price_cents,
                } => {
                    let req = CreateSubscription {
                        plan,
                        seats,
                        name,
                        period: period
                            .as_deref()
                            .map(switchboard_domain::billing::Period::parse)
                            .transpose()?,
                        unit_price_cents,
                    };
                    let org = switchboard_domain::ids::OrgId::parse(&org)
                        .ok_or_else(|| anyhow::anyhow!("{org} is not an organization id"))?;
                    services.create_subscription(&ctx, &org, req).await
                }
                SubscriptionCommand::Update {
                    subscription,
                    seats,
                    plan,
                    status,
                    unit_price_cents,
                    force,
                } => {
                    let req = UpdateSubscription {
                        seats,
                        plan,
                        status: status
                            .as_deref()
                            .map(switchboard_domain::billing::SubscriptionStatus::parse)
                            .transpose()?,
                        unit_price_cents,
                        force,
                    };
                    let id = switchboard_domain::ids::SubscriptionId::parse(&subscription)
                        .with_context(|| {
                            format!("{subscription:?} is not a subscription id (sub_…)")
                        })?;
                    services.update_subscription(&ctx, &id, req).await
                }
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        Command::Seats(cmd) => seats_cmd::run(&services, cmd).await?,
        Command::Billing(BillingCommand::ClosePeriod { now }) => {
            let now = seats_cmd::time_arg("--now", now.as_deref())?;
            let n = services
                .close_periods(now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{n} invoice(s) written");
        }
        Command::Provision {
            team_name,
            login_type,
            description,
            admin_email,
            plan,
            seats,
        } => {
            let req = ProvisionRequest {
                team: NewTeam {
                    name: team_name,
                    login_type: switchboard_domain::team::LoginType::parse(&login_type)?,
                    description,
                },
                admin_email,
                subscription: NewSubscription { plan, seats },
            };
            let ctx = RequestInfo {
                request_id: "cli".into(),
            };
            let done = services
                .provision_customer(&ctx, req)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&done)?);
        }
        Command::Demo { users, teams } => {
            let summary = demo::create(&services, users, teams)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{summary}");
            println!("{}", demo::sign_in_hint("http://127.0.0.1:8080", &cli.mail));
        }
        Command::Serve {
            listen,
            operator_token,
            demo,
            public_url,
        } => {
            let public_url = public_url
                .as_deref()
                .map(switchboard_web::PublicUrl::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("SWITCHBOARD_PUBLIC_URL: {e}"))?;
            if demo {
                if demo::has_data(&services)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    println!(
                        "The database already holds data: the demo organization was kept as it is."
                    );
                } else {
                    let summary = demo::create(&services, 2000, 12)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("{summary}");
                }
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| {
                    format!("can't listen on {listen} (is another process using it? choose another with --listen)")
                })?;
            let addr = listener.local_addr()?;
            let base_url = public_url
                .as_ref()
                .map(|u| u.origin().to_owned())
                .unwrap_or_else(|| format!("http://{addr}"));
            // SSO redirect URIs, SAML entity ids and ACS URLs are made from it.
            let mut services = services;
            services.config.base_url = base_url.clone();
            let services_for_billing = services.clone();
            let state = AppState::new(Shared {
                services,
                operator_token,
                public_url: public_url.clone(),
            });
            tracing::info!(%addr, "serving");
            println!("Switchboard is serving at {base_url}");
            if demo {
                println!("{}", demo::sign_in_hint(&base_url, &cli.mail));
            }
            // Delivers queued mail and prunes sign-in records, until shutdown.
            let (stop_background, background_stopped) = tokio::sync::oneshot::channel::<()>();
            let background = services_for_billing.clone();
            let background_task = tokio::spawn(async move {
                background
                    .run_background(async {
                        let _ = background_stopped.await;
                    })
                    .await;
            });
            // Closes ended billing periods into invoices; every instance may run it: closing is
            // idempotent and serialized per organization in the database.
            let closer = services_for_billing.clone();
            // The idle-seat rule (R29) runs in the same hourly pass; each organization is its own
            // transaction under its lock, so instances running it at once release a seat once.
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    let now = switchboard_store::now_ms();
                    if let Err(e) = closer.close_periods(now).await {
                        tracing::error!(error = %e, "closing billing periods failed");
                    }
                    if let Err(e) = closer.release_idle_seats(now, None, false).await {
                        tracing::error!(error = %e, "releasing idle seats failed");
                    }
                    // R30: the first pass after each local midnight records the day.
                    if let Err(e) = closer.snapshot_seats(now, None).await {
                        tracing::error!(error = %e, "recording seat history failed");
                    }
                }
            });
            switchboard_web::serve(listener, state, shutdown_signal()).await?;
            let _ = stop_background.send(());
            let _ = background_task.await;
            tracing::info!("stopped: in-flight requests finished");
        }
    }
    store.close().await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
