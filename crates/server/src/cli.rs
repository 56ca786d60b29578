//! The command line: the subcommands (serve, migrate, openapi, provision, subscription, billing,
//! audit, demo) and the global settings every one of them reads from flags or the environment.
// The doc comments here are the commands' help texts, which print as written: an address in them
// is plain text, not a link.
#![allow(rustdoc::bare_urls)]

use clap::{Parser, Subcommand};
use std::net::SocketAddr;

/// The default database: a SQLite file under ./data, created on first run.
const DEFAULT_DATABASE: &str = "sqlite://data/switchboard.sqlite3";

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Organization admin portal and entitlement service"
)]
pub(crate) struct Cli {
    /// sqlite://PATH (default: a file in ./data) or postgres://…
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub(crate) database_url: String,
    /// Where mail goes: file:PATH (JSON lines) or smtp://host:port.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_MAIL",
        default_value = "file:data/mail.jsonl"
    )]
    pub(crate) mail: String,
    /// Encrypts secrets at rest (SSO client secrets). Without it a random key is used, and
    /// secrets stored now can't be read after a restart.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_SECRET_KEY",
        hide_env_values = true
    )]
    pub(crate) secret_key: Option<String>,
    /// The vendor's payment page, where customers enter or change their card; `{org}` and
    /// `{subscription}` in it are replaced by the ids. Unset: billing pages say to contact you.
    #[arg(long, global = true, env = "SWITCHBOARD_PAYMENT_URL")]
    pub(crate) payment_url: Option<String>,
    /// The bearer token /metrics asks for. Unset: only scrapers on this machine (loopback).
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub(crate) metrics_token: Option<String>,
    /// UNSAFE outside development: lets the server fetch from loopback and private addresses
    /// over plain http (identity providers on a laptop, the test suite).
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE",
        value_parser = clap::builder::BoolishValueParser::new(),
        default_value = "false"
    )]
    pub(crate) outbound_allow_private: bool,
    /// DNS servers to ask (comma-separated, `ip` or `ip:port`); default: the system's.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_DNS_SERVERS",
        value_delimiter = ',',
        value_parser = parse_dns_server
    )]
    pub(crate) dns_servers: Vec<std::net::SocketAddr>,
    /// Fair share (docs/operations.md): unauthenticated writes per second from everyone together.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_UNAUTH_WRITES_PER_S",
        default_value_t = 100
    )]
    pub(crate) unauth_writes_per_s: u32,
    /// Usage ingest units (a batch: one per 100 events) per second per app or device token.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_INGEST_PER_TOKEN_PER_S",
        default_value_t = 10
    )]
    pub(crate) ingest_per_token_per_s: u32,
    /// Usage ingest units per second per organization.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_INGEST_PER_ORG_PER_S",
        default_value_t = 100
    )]
    pub(crate) ingest_per_org_per_s: u32,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Serve the API until SIGTERM or Ctrl-C.
    Serve {
        #[arg(long, env = "SWITCHBOARD_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Enables the operator API with this bearer token.
        #[arg(long, env = "SWITCHBOARD_OPERATOR_TOKEN", hide_env_values = true)]
        operator_token: Option<String>,
        /// Fill an empty database with a demo organization first.
        #[arg(long)]
        demo: bool,
        /// The address people open, e.g. https://admin.example.com (behind a TLS proxy). Browser
        /// requests that change something must come from it; https makes the session cookie
        /// Secure. Default: whatever Host the request names, and no Secure flag.
        #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Print the OpenAPI document of the JSON API (the same as GET /openapi.json).
    Openapi,
    /// Provision a customer (operator): organization, initial team, subscription, first Team Admin.
    Provision {
        #[arg(long)]
        team_name: String,
        #[arg(long)]
        login_type: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        plan: String,
        #[arg(long)]
        seats: i64,
    },
    /// Operator: add a subscription to an organization, or change one.
    #[command(subcommand)]
    Subscription(SubscriptionCommand),
    /// Billing chores.
    #[command(subcommand)]
    Billing(BillingCommand),
    /// Seat chores (the idle-seat rule, R29).
    #[command(subcommand)]
    Seats(SeatsCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Create a realistic demo organization and print how to sign in.
    Demo {
        #[arg(long, default_value_t = 2000)]
        users: usize,
        #[arg(long, default_value_t = 12)]
        teams: usize,
    },
}

#[derive(Subcommand)]
pub(crate) enum SubscriptionCommand {
    /// Add a subscription (covering no team yet) to an organization.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        plan: String,
        #[arg(long)]
        seats: i64,
        #[arg(long)]
        name: Option<String>,
        /// monthly or annual
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        unit_price_cents: Option<i64>,
    },
    /// Resize a pool, change plan, status or price.
    Update {
        #[arg(long)]
        subscription: String,
        #[arg(long)]
        seats: Option<i64>,
        #[arg(long)]
        plan: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        unit_price_cents: Option<i64>,
        /// Shrink below current use (existing seats stay; new ones are refused).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum SeatsCommand {
    /// Release idle seats (and send the notices due) as `serve` does every hour.
    ReleaseIdle {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        /// Run as of this RFC 3339 time instead of now (what the rule compares against).
        #[arg(long)]
        at: Option<String>,
        /// Say what would be released and noticed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record today's seat history (R30) where it isn't yet, as `serve` does every hour.
    Snapshot {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        /// Record under this RFC 3339 time's day instead of today's (the state is now's).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum BillingCommand {
    /// Close every ended period into an invoice (idempotent).
    ClosePeriod {
        /// Close as of this RFC 3339 time instead of now.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Recompute every entry's hash; exits non-zero naming the first broken entry (R25).
    Verify {
        /// Only this organization (default: every organization).
        #[arg(long)]
        org: Option<String>,
    },
}

/// A DNS server: `10.0.0.2` (port 53) or `127.0.0.1:5353`.
fn parse_dns_server(s: &str) -> Result<std::net::SocketAddr, String> {
    let s = s.trim();
    s.parse::<std::net::SocketAddr>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("{s:?} is not an address like 10.0.0.2 or 127.0.0.1:5353"))
}
