//! Storage: SQL for SQLite and PostgreSQL through one code path (sqlx's `Any` driver), and the
//! versioned migrations. Queries are written once in the SQL both engines agree on (`$n`
//! placeholders, TEXT ids, BIGINT times and 0/1 booleans); the engines differ only in how a
//! connection is set up ([`Store::connect`]).
//!
//! Every function takes a `&mut Conn`, so a use case in the service layer composes several of them
//! inside one transaction. Write transactions start with [`Store::write`], which serializes writers
//! of one organization by bumping its version first (see `orgs.version` in the migration).
//!
//! Modules: [`orgs`] (organizations, teams), [`billing`] (subscriptions, invoices, counters), [`people`] (users, org members,
//! memberships), [`user_list`] (the user list and its search, re-exported from `people`), [`signin`] (codes,
//! throttling, sessions), [`audit`] (the chained log), [`settings`] (team settings, policies), [`apps`] (enrollment
//! keys, devices, app tokens).

pub mod api_tokens;
pub mod apps;
pub mod audit;
pub mod billing;
pub mod changes;
pub mod domains;
pub mod idle;
pub mod orgs;
pub mod outbox;
pub mod people;
pub mod scim;
pub mod seat_history;
pub mod settings;
pub mod signin;
mod sql;
pub mod sso;
pub mod sso_links;
pub mod standing;
pub mod usage;
pub mod user_list;
pub mod user_order;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;
use switchboard_domain::ids::OrgId;

pub use sql::Sql;
pub use sqlx;

/// A database connection of either engine.
pub type Conn = sqlx::AnyConnection;
/// Whether the connection is SQLite's, for the few statements the engines spell differently.
pub(crate) fn is_sqlite(c: &Conn) -> bool {
    c.backend_name().eq_ignore_ascii_case("sqlite")
}

/// A write transaction.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The schema both engines share (versions below 1000), then what each engine does its own way
/// (versions from 1001: full-text indexes). Each set ignores the other's applied versions.
fn migrators(backend: Backend) -> [sqlx::migrate::Migrator; 2] {
    let mut shared = sqlx::migrate!("./migrations");
    let mut own = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations_sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations_postgres"),
    };
    shared.set_ignore_missing(true);
    own.set_ignore_missing(true);
    [shared, own]
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused a row; the index name tells which rule (e.g. `teams_name`).
    #[error("unique index {0} refused the row")]
    Unique(String),
    /// The organization a write transaction was opened for does not exist.
    #[error("organization not found")]
    OrgNotFound,
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value that can't be read as what it must be (a JSON column that doesn't decode):
    /// an error at the store's edge, never a silent default.
    #[error("stored {what} can't be read: {reason}")]
    Corrupt { what: &'static str, reason: String },
}

/// Decodes a JSON column into what it stores; anything else is [`StoreError::Corrupt`].
pub fn decode_json<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            // SQLite names the columns, PostgreSQL the index: keep whichever we got.
            let name = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned());
            return StoreError::Unique(name);
        }
        StoreError::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a pool for reads and a pool for write transactions.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    /// On SQLite a single connection, because SQLite has one writer: queueing writers here is
    /// cheaper and fairer than letting them collide on the file lock. On PostgreSQL the same pool
    /// as `read`.
    write: AnyPool,
    backend: Backend,
    /// The URL connected to (for PostgreSQL's change listener, which needs a connection of
    /// its own).
    url: std::sync::Arc<str>,
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`, and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!("database URL must start with sqlite: or postgres:, not {url:?}").into(),
            )));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                let pool = |n| {
                    AnyPoolOptions::new()
                        .max_connections(n)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // WAL: readers never wait for the writer. synchronous=FULL: a
                                // commit that returned survives a power cut.
                                // mmap and a 32 MiB page cache per connection: reads of a
                                // hot database come from memory, not from read() calls.
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = OFF; \
                                     PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768;",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                };
                let write = pool(1).connect_with(opts.clone()).await?;
                let read = pool(8).connect_with(opts).await?;
                Store {
                    read,
                    write,
                    backend,
                    url: url.as_str().into(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    url: url.as_str().into(),
                }
            }
        };
        for m in migrators(backend) {
            m.run(&store.write).await?;
        }
        let mut c = store.write.acquire().await?;
        let filled = people::backfill_spread(&mut c).await?;
        if filled > 0 {
            tracing::info!(filled, "filled the search index text of existing users");
        }
        let (rekeyed, look_alikes) = orgs::rekey_team_names(&mut c).await?;
        if rekeyed > 0 || look_alikes > 0 {
            tracing::warn!(
                rekeyed,
                look_alikes,
                "team names are now compared on their confusable skeleton; look-alike teams that already existed keep their names"
            );
        }
        let (fixed, clashes) = people::canonicalize_emails(&mut c).await?;
        if fixed > 0 || clashes > 0 {
            tracing::warn!(
                fixed,
                clashes,
                "rewrote emails with ASCII IDNA domains to their Unicode form; clashes are two accounts for one person, left as they are"
            );
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// On PostgreSQL, a listener for organization version changes: every change of `orgs.version`
    /// notifies channel [`changes::CHANNEL`] after its commit (migration 1004). `None` on SQLite,
    /// where a second process on the file is noticed by polling.
    pub async fn listen_for_changes(&self) -> Result<Option<changes::Listener>> {
        match self.backend {
            Backend::Sqlite => Ok(None),
            Backend::Postgres => Ok(Some(changes::Listener::connect(&self.url).await?)),
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.read.acquire().await?)
    }

    /// A write transaction that touches no organization (sign-in codes, sessions).
    pub async fn write(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    /// A write transaction on one organization. Its first statement bumps the organization's
    /// version, which makes every writer of the organization wait for the one before it: seat
    /// checks, the last-admin rule and the audit chain all rely on that. Returns the new version
    /// and the head of the organization's audit chain (R25), which its entries continue.
    pub async fn write_org(&self, org: &OrgId) -> Result<(Tx, i64, audit::AuditHead)> {
        let mut tx = self.write.begin().await?;
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "UPDATE orgs SET version = version + 1 WHERE id = $1 \
             RETURNING version, audit_seq, audit_head",
        )
        .bind(org.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some((v, seq, hash)) => Ok((tx, v, audit::AuditHead::stored(seq, hash))),
            None => Err(StoreError::OrgNotFound),
        }
    }

    /// Refreshes the planner's statistics; worth it after a bulk load (demo data, imports), when
    /// PostgreSQL would otherwise plan against empty tables until autovacuum catches up.
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.read)
            .await
            .is_ok()
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// A SQLite URL that opens the file read-write and creates it if missing (`mode=rwc`, unless the
/// URL names a mode), after creating the file's folder: `sqlite://data/db.sqlite3` just works.
fn sqlite_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "can't create the folder {} for the SQLite database: {e}",
                    dir.display()
                )
                .into(),
            ))
        })?;
    }
    let mode = query.split('&').any(|kv| kv.starts_with("mode="));
    let query = match (query.is_empty(), mode) {
        (true, _) => "mode=rwc".to_owned(),
        (false, true) => query.to_owned(),
        (false, false) => format!("{query}&mode=rwc"),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Current time in epoch milliseconds, the unit of every time column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
