//! `switchboard-bench …`: benchmarks that report each figure as a ratio against a floor measured
//! in the same run on the same machine, so the numbers mean something on any hardware. Each one
//! seeds an empty database with the demo organization, signs its Org Admin in, and starts the
//! real server on a loopback port ([`rig::Rig`]). A binary of its own, so `switchboard serve`
//! links no load generator.
//!
//! Map: [`users`] (the users page, search, bulk adds), [`toggles`] (seat-checked writes),
//! [`entitlement`] (the app's answer), [`flood`] (admin writes under a sign-in flood), [`pages`]
//! (every portal page's server time), [`scim`] (SCIM provisioning against the JSON API's adds), [`usage`] (usage ingest against
//! direct writes, and the 90-day analytics summary), [`seats`] (the idle set against a count of
//! the memberships, 400 days of seat history against /healthz).

mod entitlement;
mod external;
mod fair_share;
mod flood;
mod pages;
mod rig;
mod scim;
mod seats;
mod toggles;
mod usage;
mod users;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "switchboard-bench", about = "Switchboard's benchmarks")]
struct Cli {
    /// An EMPTY database: sqlite://PATH or postgres://… (the bench seeds it).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The users page over HTTP against its bare SQL, searches under concurrency, and bulk adds
    /// against a bare transaction.
    Users {
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        teams: usize,
        #[arg(long, default_value_t = 2000)]
        requests: usize,
    },
    /// The entitlement answer (200 and 304) against /healthz of the same server.
    Entitlement {
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        teams: usize,
        #[arg(long, default_value_t = 32)]
        workers: usize,
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// App-access toggles (seat-checked durable writes) against /healthz of the same server.
    Toggles {
        #[arg(long, default_value_t = 8000)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        teams: usize,
        #[arg(long, default_value_t = 32)]
        workers: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Every portal page, as the demo's Org Admin loads it, against /healthz of the same server.
    Pages {
        #[arg(long, default_value_t = 2000)]
        users: usize,
        #[arg(long, default_value_t = 12)]
        teams: usize,
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// 2,000 users provisioned through SCIM by 4 clients, against the same adds through the API.
    Scim {
        #[arg(long, default_value_t = 2000)]
        users: usize,
    },
    /// The idle set (R29) against `count(*)` of the memberships, and 400 days of seat history
    /// (R30) for a subscription of every team against /healthz.
    Seats {
        #[arg(long, default_value_t = 20_000)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        teams: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Usage ingest (8 apps, batches of 500) against direct writes, and the 90-day team summary
    /// on an organization whose users were all active every day.
    Usage {
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 50)]
        teams: usize,
        /// Batches per client and round.
        #[arg(long, default_value_t = 10)]
        batches: usize,
    },
    /// An Org Admin's writes idle, under an ingest flood (4 agents, 1,000-event batches) and under
    /// a flood of sign-in starts from many addresses, with the production limits: p50/p99 ratios.
    FairShare {
        #[arg(long, default_value_t = 2000)]
        users: usize,
        #[arg(long, default_value_t = 12)]
        teams: usize,
        #[arg(long, default_value_t = 300)]
        writes: usize,
        /// Source addresses of the sign-in flood (127.1.x.y).
        #[arg(long, default_value_t = 250)]
        sources: usize,
        /// Usage batches per second from the four agents together (0: as fast as they can).
        #[arg(long, default_value_t = 10.0)]
        ingest_rate: f64,
        /// Sign-in starts per second from all sources together (0: as fast as they can).
        #[arg(long, default_value_t = 650.0)]
        start_rate: f64,
    },
    /// An Org Admin's writes while one address floods sign-in starts, against the same writes idle.
    SignInFlood {
        #[arg(long, default_value_t = 2000)]
        users: usize,
        #[arg(long, default_value_t = 12)]
        teams: usize,
        #[arg(long, default_value_t = 200)]
        writes: usize,
        #[arg(long, default_value_t = 32)]
        flooders: usize,
        /// Starts per second in all (0: as fast as the clients can).
        #[arg(long, default_value_t = 650.0)]
        rate: f64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let db = &cli.database_url;
    match cli.command {
        Command::Users {
            users,
            teams,
            requests,
        } => users::run(db, users, teams, requests).await,
        Command::Entitlement {
            users,
            teams,
            workers,
            seconds,
        } => entitlement::run(db, users, teams, workers, seconds).await,
        Command::Toggles {
            users,
            teams,
            workers,
            seconds,
        } => toggles::run(db, users, teams, workers, seconds).await,
        Command::Pages {
            users,
            teams,
            requests,
        } => pages::run(db, users, teams, requests).await,
        Command::SignInFlood {
            users,
            teams,
            writes,
            flooders,
            rate,
        } => flood::run(db, users, teams, writes, flooders, rate).await,
        Command::Scim { users } => scim::run(db, users).await,
        Command::FairShare {
            users,
            teams,
            writes,
            sources,
            ingest_rate,
            start_rate,
        } => fair_share::run(db, users, teams, writes, sources, ingest_rate, start_rate).await,
        Command::Usage {
            users,
            teams,
            batches,
        } => usage::run(db, users, teams, batches).await,
        Command::Seats { users, teams, runs } => seats::run(db, users, teams, runs).await,
    }
}
