//! The test harness: a real server on a loopback port over a database of its own (a temporary
//! SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set), driven over
//! real HTTP. `db_tests!` runs each story once per backend.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
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

    /// Sends a request; `token` is a session token, or the operator token for operator routes.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Owned-argument forms, for building many requests to run at once.
    pub async fn patch_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.patch(&path, &token, body).await
    }

    pub async fn post_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.post(&path, &token, body).await
    }

    pub async fn put_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.put(&path, &token, body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Every mail sent so far, after delivering all the outbox holds (the test server runs no
    /// background worker, so delivery happens exactly here and tests never race it). A delivery
    /// pass takes 100 messages, oldest first; a test that queued more (the role matrix does)
    /// needs several passes before its newest mail is out.
    pub async fn mails(&self) -> Vec<Value> {
        while self.services.deliver_mail().await.expect("deliver mail") > 0 {}
        std::fs::read_to_string(&self.mail_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The newest sign-in code mailed to `email`.
    pub async fn last_code(&self, email: &str) -> Option<String> {
        self.mails()
            .await
            .into_iter()
            .rev()
            .find(|m| m["to"] == email)
            .and_then(|m| m["code"].as_str().map(str::to_owned))
    }

    /// Signs in by email code and returns the session token.
    pub async fn sign_in(&self, email: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/email/start",
                None,
                Some(json!({"email": email})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let code = self
            .last_code(email)
            .await
            .unwrap_or_else(|| panic!("no code mailed to {email}"));
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/email/verify",
                None,
                Some(json!({"email": email, "code": code})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Provisions a customer through the operator API.
    pub async fn provision(
        &self,
        team: &str,
        login_type: &str,
        admin: &str,
        plan: &str,
        seats: i64,
    ) -> Provisioned {
        let body = json!({
            "team": {"name": team, "login_type": login_type},
            "admin_email": admin,
            "subscription": {"plan": plan, "seats": seats},
        });
        let r = self
            .post("/operator/v1/customers", OPERATOR_TOKEN, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        Provisioned {
            org: r.body["org_id"].as_str().unwrap().into(),
            team: r.body["team_id"].as_str().unwrap().into(),
            subscription: r.body["subscription_id"].as_str().unwrap().into(),
            admin_user: r.body["admin_user_id"].as_str().unwrap().into(),
        }
    }

    /// A provisioned and established organization, signed in as its first Org Admin.
    pub async fn established_org(&self, seats: i64) -> Org {
        // Ends in "admin@" so substring searches of other tests (q=a@…) never match it by chance.
        let admin_email = format!("{}.admin@example.com", unique("org"));
        let p = self
            .provision("Support", "email", &admin_email, "enterprise", seats)
            .await;
        let admin = self.sign_in(&admin_email).await;
        let r = self
            .post(
                &format!("/api/v1/orgs/{}/teams", p.org),
                &admin,
                json!({"name": "Sales EU", "login_type": "email", "organization_name": "Acme"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let second_team = r.body["id"].as_str().unwrap().to_owned();
        Org {
            id: p.org,
            initial_team: p.team,
            second_team,
            subscription: p.subscription,
            admin,
            admin_email,
            admin_user: p.admin_user,
        }
    }

    /// R34: the operator verifies `domain` for the organization `org` (an id): SSO policies may
    /// name only verified domains.
    pub async fn verify_domain_of(&self, org: &str, domain: &str) {
        let r = self
            .put(
                &format!("/operator/v1/orgs/{org}/domains/{domain}"),
                OPERATOR_TOKEN,
                json!({}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "verifying {domain}: {}", r.text);
    }

    /// [`TestApp::verify_domain_of`] for an established organization.
    pub async fn verify_domain(&self, org: &Org, domain: &str) {
        self.verify_domain_of(&org.id, domain).await;
    }

    /// Puts `team` under the organization's subscription (no cap), as its admin, so the team's
    /// members can hold seats.
    pub async fn allocate_team(&self, org: &Org, team: &str) {
        let path = format!("/subscriptions/{}/teams/{team}", org.subscription);
        self.put(&org.path(&path), &org.admin, json!({})).await.ok();
    }

    /// Adds emails to a team as the given caller; returns the response.
    pub async fn add_users(
        &self,
        org: &str,
        token: &str,
        team: &str,
        role: &str,
        emails: &[&str],
        app_access: Option<bool>,
    ) -> Resp {
        let mut body = json!({"team_id": team, "team_role": role, "emails": emails});
        if let Some(a) = app_access {
            body["app_access"] = json!(a);
        }
        self.post(&format!("/api/v1/orgs/{org}/users"), token, body)
            .await
    }

    /// The user id of an email from a bulk-add response.
    pub fn user_id_in(resp: &Resp, email: &str) -> String {
        resp.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == email)
            .and_then(|r| r["user_id"].as_str())
            .unwrap_or_else(|| panic!("{email} not in {}", resp.body))
            .to_owned()
    }

    /// Puts a team into a subscription (directly in the database, as billing routes are not here yet).
    pub async fn cover_team(&self, org: &str, team: &str, sub: &str, reserved: Option<i64>) {
        let (mut tx, _, _) = self
            .store
            .write_org(&switchboard_domain::ids::OrgId::parse(org).unwrap())
            .await
            .unwrap();
        switchboard_store::orgs::set_team_subscription(
            &mut tx,
            &typed(org),
            &typed(team),
            Some(&typed(sub)),
            reserved,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// `sqlite` or `postgres`: which database this app runs on.
    pub fn backend(&self) -> &'static str {
        if self.database_url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Drops the triggers that keep the audit log append-only, as someone with the database's
    /// owner rights could, so a test can tamper with entries and see the chain catch it.
    pub async fn allow_audit_tampering(&self) {
        let drops: &[&str] = if self.backend() == "postgres" {
            &["DROP TRIGGER audit_log_append_only ON audit_log"]
        } else {
            &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ]
        };
        let mut tx = self.store.write().await.unwrap();
        for sql in drops {
            switchboard_store::sqlx::query(sql)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// Recomputes the organization's audit chain; `None` means intact.
    pub async fn broken_audit_entry(&self, org: &str) -> Option<i64> {
        let mut c = self.store.read().await.unwrap();
        switchboard_store::audit::verify_chain(&mut c, &typed(org))
            .await
            .unwrap()
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

pub struct Provisioned {
    pub org: String,
    pub team: String,
    pub subscription: String,
    pub admin_user: String,
}

pub struct Org {
    pub id: String,
    pub initial_team: String,
    pub second_team: String,
    pub subscription: String,
    pub admin: String,
    pub admin_email: String,
    pub admin_user: String,
}

impl Org {
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/orgs/{}{}", self.id, rest)
    }
}

/// A response: status, headers and JSON body (or `Value::String` of a non-JSON body).
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Resp {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a problem response with this status and code, and returns its detail.
    pub fn problem(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status);
        let detail = self.body["detail"].as_str().unwrap_or_default().to_owned();
        assert!(!detail.is_empty(), "problem without detail: {}", self.text);
        assert!(self.body["title"].is_string() && self.body["type"].is_string());
        detail
    }

    pub fn ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.text
        );
        &self.body
    }
}
