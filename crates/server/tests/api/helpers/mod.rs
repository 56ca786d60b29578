//! The test harness: a real server on a loopback port over a database of its own (a temporary
//! SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set), driven over
//! real HTTP. `db_tests!` runs each story once per backend.

mod builders;
mod database;
mod fixtures;
mod http;
mod snapshots;

pub use fixtures::Org;
pub use http::Resp;

use std::path::PathBuf;
use switchboard_service::mail::Mailer;
use switchboard_service::{Config, Services};
use switchboard_store::Store;
use switchboard_web::{AppState, Shared};

/// A typed id from an id the API answered with (tests reach into the store with these).
pub fn typed<T: TryFrom<String>>(id: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(id.to_owned()).expect("an id of this kind")
}

pub const OPERATOR_TOKEN: &str = "test-operator-token";

/// Writes each listed `async fn name(app: TestApp)` plus a module `name` with one test per backend.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::sqlite().await).await
            }

            // Built without TEST_DATABASE_URL, the PostgreSQL variant is ignored, so the test
            // report counts it as skipped; run anyway, it fails rather than pass without a database.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set at build time")]
            async fn postgres() {
                super::$name($crate::helpers::TestApp::postgres_required().await).await
            }
        }
    )*};
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub mail_file: PathBuf,
    pub database_url: String,
    pub store: Store,
    /// The server's use cases, for what tests drive directly (delivering the mail outbox).
    pub services: Services,
    dir: PathBuf,
    /// The PostgreSQL database this app created, dropped with it: (server URL, database name).
    owned_database: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`, as a URL.
pub async fn fresh_postgres_database() -> Option<String> {
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    use switchboard_store::sqlx::{Connection, Executor};
    let mut admin = switchboard_store::sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    // scripts/test names its run (`SWITCHBOARD_TEST_RUN`), so after a killed run it drops only
    // the databases that run made, never another run's on the same server.
    let run = std::env::var("SWITCHBOARD_TEST_RUN")
        .ok()
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "adhoc".into());
    let name = unique(&format!("sb_test_{}_", run.to_lowercase()));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends with /DBNAME");
    Some(format!("{base}/{name}"))
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = std::env::temp_dir().join(unique("switchboard-test-"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite3").display());
        Self::start(url, dir, Self::config()).await
    }

    /// The tunables of a test server: generous limits (every test signs in from 127.0.0.1 and
    /// sends usage as fast as it can; the fair-share tests set their own) and a fixed secret key.
    pub fn config() -> Config {
        Config {
            starts_per_ip: 10_000,
            unauth_writes_per_s: 100_000,
            ingest_units_per_token_per_s: 100_000,
            ingest_units_per_org_per_s: 100_000,
            secret_key: "test-secret-key".into(),
            // The tests' identity providers run on loopback over http; the guard's own tests
            // turn this off.
            outbound_allow_private: true,
            ..Config::default()
        }
    }

    pub async fn postgres() -> Option<TestApp> {
        let url = fresh_postgres_database().await?;
        let dir = std::env::temp_dir().join(unique("switchboard-test-"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut app = Self::start(url.clone(), dir, Self::config()).await;
        let admin = std::env::var("TEST_DATABASE_URL").expect("checked above");
        let name = url.rsplit_once('/').expect("a database URL").1.to_owned();
        app.owned_database = Some((admin, name));
        Some(app)
    }

    /// A PostgreSQL app, or a failed test: a PostgreSQL test never passes without PostgreSQL.
    pub async fn postgres_required() -> TestApp {
        Self::postgres().await.expect(
            "TEST_DATABASE_URL is not set: PostgreSQL tests need it (scripts/test skips them visibly without it)",
        )
    }

    /// Starts another server over the same database with other tunables.
    pub async fn restart_with(mut self, config: Config) -> TestApp {
        self.stop().await;
        // Take the folder and the database so this instance's Drop leaves them in place.
        let (url, dir) = (self.database_url.clone(), std::mem::take(&mut self.dir));
        let owned = self.owned_database.take();
        let mut app = Self::start(url, dir, config).await;
        app.owned_database = owned;
        app
    }

    /// Starts another server over the same database that sends mail through `mailer`.
    pub async fn restart_with_mailer(mut self, mailer: Mailer, config: Config) -> TestApp {
        self.stop().await;
        let (url, dir) = (self.database_url.clone(), std::mem::take(&mut self.dir));
        let owned = self.owned_database.take();
        let mut app = Self::start_with(url, dir, config, Some(mailer)).await;
        app.owned_database = owned;
        app
    }

    /// A second server instance over the same database (its own caches), like a second machine.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(Self::config()).await
    }

    /// Another server over the same database, with other tunables.
    pub async fn second_instance_with(&self, config: Config) -> TestApp {
        let dir = std::env::temp_dir().join(unique("switchboard-test-"));
        std::fs::create_dir_all(&dir).unwrap();
        Self::start(self.database_url.clone(), dir, config).await
    }

    async fn start(database_url: String, dir: PathBuf, config: Config) -> TestApp {
        Self::start_with(database_url, dir, config, None).await
    }

    async fn start_with(
        database_url: String,
        dir: PathBuf,
        config: Config,
        mailer: Option<Mailer>,
    ) -> TestApp {
        let store = Store::connect(&database_url)
            .await
            .expect("connect test database");
        let mail_file = dir.join("mail.jsonl");
        let mailer = mailer
            .unwrap_or_else(|| Mailer::from_url(&format!("file:{}", mail_file.display())).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = Config {
            base_url: base.clone(),
            ..config
        };
        let services = Services::new(store.clone(), mailer, config);
        let state = AppState::new(Shared {
            services: services.clone(),
            operator_token: Some(OPERATOR_TOKEN.into()),
            public_url: None,
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            switchboard_web::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            base,
            client: reqwest::Client::new(),
            mail_file,
            database_url,
            store,
            services,
            dir,
            owned_database: None,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some((admin, name)) = self.owned_database.take() {
            drop_postgres_database(admin, name);
        }
    }
}

/// Drops a test database (its connections too), from a thread of its own: `Drop` can't await.
fn drop_postgres_database(admin_url: String, name: String) {
    let dropper = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to drop the test database");
        rt.block_on(async {
            use switchboard_store::sqlx::{Connection, Executor};
            if let Ok(mut c) = switchboard_store::sqlx::PgConnection::connect(&admin_url).await {
                let _ = c
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
            }
        });
    });
    let _ = dropper.join();
}
