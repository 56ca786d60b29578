//! Use cases: one function per thing a person or a program asks Switchboard to do. Each mutation
//! opens one write transaction, checks the caller against the permission table
//! ([`switchboard_domain::access`]), loads what it needs, asks the domain, writes, appends its
//! audit entry, and commits — all or nothing.
//!
//! Map: [`write`](mod@write) (the one write path), [`memberships`] (the membership primitives), [`auth`]
//! (sign-in by code, sessions, `me`), [`operator`] (provisioning, plans), [`standing`] (who the
//! caller is in an organization), [`teams`], [`billing`] (subscriptions, seat allocation,
//! invoices), [`users`] (the user list and memberships), [`roles`] (org roles), [`seats`] (the one
//! seat check), [`audit`] (reading the log), [`settings`] (team settings, setting and SSO
//! policies), [`sso`] (single sign-on), [`scim`], [`domains`] (verified domains), [`apps`] (app
//! sign-in, devices, the entitlement answer), [`analytics`], [`secrets`] (encryption at rest),
//! [`views`] (the shapes the API returns), [`mail`] and [`outbox`] (mail), [`throttle`] (fair
//! share), [`error`].

pub mod analytics;
pub mod api_tokens;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod demo;
mod demo_seats;
pub mod domains;
pub mod error;
pub mod export;
pub mod json;
pub mod mail;
pub mod memberships;
pub mod operator;
pub mod outbox;
pub mod problem_code;
pub mod roles;
pub mod scim;
pub mod seats;
pub mod secrets;
pub mod settings;
pub mod sso;
pub mod standing;
pub mod teams;
pub mod throttle;
pub mod users;
pub mod views;
pub mod write;

pub use error::{ServiceError, ServiceResult};
pub use problem_code::ProblemCode;
pub use standing::OrgCaller;
pub use switchboard_sso::use_ring_for_tls;
use switchboard_store::Store;

/// Tunables of sign-in. Defaults suit production; tests shorten or loosen them.
#[derive(Debug, Clone)]
pub struct Config {
    pub code_ttl_ms: i64,
    /// A session's absolute lifetime (30 days), and how long it may go unused (12 hours).
    pub session_ttl_ms: i64,
    pub session_idle_ms: i64,
    /// The address people and identity providers reach this service at, without a trailing
    /// slash: SSO redirect URIs, SAML entity ids and ACS URLs are made from it.
    pub base_url: String,
    /// Sign-in starts allowed per email, and per client address, within `throttle_window_ms`.
    pub starts_per_email: i64,
    pub starts_per_ip: i64,
    /// Code checks (portal and app) allowed per client address within `throttle_window_ms`.
    pub verifies_per_ip: i64,
    /// SSO sign-in steps (start, callback, ACS, app code exchange) per client address within
    /// `throttle_window_ms`: generous, since a whole call center may sign in from one address
    /// at the start of a shift, and the provider authenticates people, not this limit.
    pub sso_per_ip: i64,
    pub throttle_window_ms: i64,
    /// Unauthenticated writes (sign-in starts and code checks, SSO starts, callbacks and ACS
    /// posts, app code exchanges) per second from everyone together, with a burst of twice
    /// that: past it, 429 — a flood from many addresses can't fill the database's write queue.
    pub unauth_writes_per_s: u32,
    /// Usage batches per second per app or device token, and per organization; a batch costs
    /// one unit per 100 events (a 1,000-event batch is 10). Bursts are twice the rate.
    pub ingest_units_per_token_per_s: u32,
    pub ingest_units_per_org_per_s: u32,
    /// Usage batches written at once (SQLite: one, in short transactions, so an admin's write
    /// waits behind one chunk at most; PostgreSQL: a few, never the whole pool). More waiting
    /// than `ingest_queue` answer 429. 0 writers: one on SQLite, four on PostgreSQL.
    pub ingest_writers: usize,
    pub ingest_queue: usize,
    /// Encrypts secrets at rest (`SWITCHBOARD_SECRET_KEY`).
    pub secret_key: String,
    /// How often each instance reads the organization versions it keeps (the backstop for lost
    /// change notifications); an entitlement answer is never older than twice this.
    pub version_poll_ms: u64,
    /// On PostgreSQL, listen for other instances' changes (`LISTEN`); off, the poll alone keeps
    /// the bound (tests use this to show the backstop holds it).
    pub listen_for_changes: bool,
    /// The vendor's payment page, where a customer enters or changes their card
    /// (`SWITCHBOARD_PAYMENT_URL`; `{org}` and `{subscription}` in it are replaced by the ids).
    /// Unset: billing pages tell Org Admins to contact their vendor.
    pub payment_url: Option<String>,
    /// The bearer token `/metrics` asks for (`SWITCHBOARD_METRICS_TOKEN`); unset, only a
    /// scraper on a loopback address may read them.
    pub metrics_token: Option<String>,
    /// Lets the outbound guard reach loopback and private addresses over plain http
    /// (`SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE=1`): development and the test suite only.
    pub outbound_allow_private: bool,
    /// The DNS servers the guard and domain verification ask (`SWITCHBOARD_DNS_SERVERS`, e.g.
    /// `10.0.0.2,127.0.0.1:5353`); empty: the system's.
    pub dns_servers: Vec<std::net::SocketAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            code_ttl_ms: 10 * 60 * 1000,
            session_ttl_ms: 30 * 24 * 3600 * 1000,
            session_idle_ms: 12 * 3600 * 1000,
            base_url: "http://127.0.0.1:8080".into(),
            starts_per_email: 5,
            starts_per_ip: 30,
            verifies_per_ip: 60,
            sso_per_ip: 6000,
            throttle_window_ms: 15 * 60 * 1000,
            unauth_writes_per_s: 100,
            ingest_units_per_token_per_s: 10,
            ingest_units_per_org_per_s: 100,
            ingest_writers: 0,
            ingest_queue: 64,
            secret_key: String::new(),
            version_poll_ms: 50,
            listen_for_changes: true,
            payment_url: None,
            metrics_token: None,
            outbound_allow_private: false,
            dns_servers: Vec::new(),
        }
    }
}

/// Everything a use case needs: the database, the mailer, the tunables.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub mailer: mail::Mailer,
    pub config: Config,
    secrets: secrets::Secrets,
    /// Entitlement answers per app token, each tagged with the organization version it was built
    /// at; a different version in the database means rebuild (see [`apps`]).
    entitlements: apps::EntitlementCache,
    /// The users page's head counts, while the organization is unchanged ([`users`]).
    user_counts: users::CountCache,
    /// Per-address limits of sign-in starts and code checks, in memory ([`throttle`]).
    start_limiter: throttle::AddressLimiter,
    verify_limiter: throttle::AddressLimiter,
    sso_limiter: throttle::AddressLimiter,
    /// Sign-in starts per email and source, and the sources each email signed in from.
    sign_in_limits: auth::SignInLimits,
    /// Every unauthenticated write together ([`Config::unauth_writes_per_s`]).
    unauth_cap: throttle::GlobalCap,
    /// Usage ingest: per token, per organization, and the writers' queue ([`apps`]).
    pub(crate) ingest: apps::IngestLimits,
    /// Wakes the mail delivery worker after a commit that queued mail ([`outbox`]).
    mail_waker: std::sync::Arc<tokio::sync::Notify>,
    /// The OpenID Connect relying party, with its cache of providers' documents ([`sso`]).
    oidc: std::sync::Arc<switchboard_sso::oidc::Oidc>,
    /// Everything the server fetches goes through this guard ([`switchboard_sso::outbound`]).
    pub(crate) outbound: switchboard_sso::outbound::Outbound,
    /// Reads TXT records for domain verification, over the configured DNS servers.
    pub(crate) dns: hickory_resolver::TokioResolver,
}

impl Services {
    /// Admits one unauthenticated write from `ip`: within its address's limit and everyone's
    /// cap ([`Config::unauth_writes_per_s`]), or 429 — checked in memory, before any database work.
    pub(crate) fn unauthenticated_write(
        &self,
        limiter: &throttle::AddressLimiter,
        ip: std::net::IpAddr,
    ) -> ServiceResult<()> {
        limiter.check(ip).map_err(ServiceError::throttled)?;
        self.unauth_cap.check().map_err(ServiceError::throttled)
    }
}

/// Facts about the request that go into the audit log.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub request_id: String,
}

impl Services {
    pub fn new(store: Store, mailer: mail::Mailer, config: Config) -> Self {
        use_ring_for_tls();
        let secrets = secrets::Secrets::from_passphrase(&config.secret_key);
        let window = std::time::Duration::from_millis(config.throttle_window_ms.max(1) as u64);
        let limit =
            |n: i64| throttle::AddressLimiter::new(n.clamp(1, i64::from(u32::MAX)) as u32, window);
        let outbound =
            switchboard_sso::outbound::Outbound::new(&switchboard_sso::outbound::OutboundPolicy {
                allow_private: config.outbound_allow_private,
                dns_servers: config.dns_servers.clone(),
            });
        let dns = switchboard_sso::outbound::resolver(&config.dns_servers);
        let entitlements = apps::EntitlementCache::new(apps::VersionWatch::new(
            std::time::Duration::from_millis(config.version_poll_ms),
            config.listen_for_changes,
        ));
        Self {
            start_limiter: limit(config.starts_per_ip),
            verify_limiter: limit(config.verifies_per_ip),
            sso_limiter: limit(config.sso_per_ip),
            unauth_cap: throttle::GlobalCap::new(config.unauth_writes_per_s),
            sign_in_limits: auth::SignInLimits::new(&config),
            ingest: apps::IngestLimits::new(
                &config,
                store.backend() == switchboard_store::Backend::Sqlite,
            ),
            store,
            mailer,
            config,
            secrets,
            entitlements,
            user_counts: Default::default(),
            mail_waker: Default::default(),
            oidc: std::sync::Arc::new(switchboard_sso::oidc::Oidc::new(outbound.clone())),
            outbound,
            dns,
        }
    }
}
