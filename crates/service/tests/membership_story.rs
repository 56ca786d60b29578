//! One story through the membership primitives (`memberships::{join, join_many, set_access,
//! leave, leave_org}`), run on SQLite and on PostgreSQL, without HTTP. The primitives take a
//! `Write`, which only the crate can open, so the story drives the smallest public use cases
//! that call them (provisioning, bulk add, adding a membership, assigning an org role, changing
//! and removing memberships). After every step it checks what the primitives promise: the teams'
//! seat counters (and that they equal the seat holders counted from the memberships), the audit
//! entries written in that step's transaction, and the organization's version moving by exactly
//! one — or, for a refusal or a change to nothing, not at all (R5–R9, R13, R14, R17, R25).

use serde_json::{Value, from_value, json};
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole};
use switchboard_service::auth::Session;
use switchboard_service::billing::TeamAllocation;
use switchboard_service::mail::Mailer;
use switchboard_service::roles::AssignRole;
use switchboard_service::users::{AddMembership, BulkAdd, UpdateMembership};
use switchboard_service::{Config, OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_store::audit::{self, AuditFilter, AuditRow};
use switchboard_store::{Store, orgs, people};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_membership_story_on_sqlite() {
    let dir = std::env::temp_dir().join(unique("switchboard-membership-story-"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite3").display());
    story(&url).await;
    let _ = std::fs::remove_dir_all(&dir);
}

// Ignored unless asked for (`--run-ignored all`, which scripts/test adds when TEST_DATABASE_URL
// is set), so a run without PostgreSQL reports it skipped; asked for without TEST_DATABASE_URL,
// it fails rather than pass without a database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and run ignored tests"]
async fn r13_membership_story_on_postgres() {
    let (admin, name, url) = fresh_postgres().await;
    story(&url).await;
    on_server(&admin, &format!("DROP DATABASE {name} WITH (FORCE)")).await;
}

async fn story(url: &str) {
    let store = Store::connect(url)
        .await
        .expect("connect the test database");
    let mailer = Mailer::from_url("file:/dev/null").unwrap();
    let config = Config {
        secret_key: "test-secret-key".into(),
        ..Config::default()
    };
    let services = Services::new(store.clone(), mailer, config);

    // R1: 2 seats; the first Team Admin joins Support with a seat if one is free (IfSeatFree).
    let ctx = RequestInfo {
        request_id: "story-00".into(),
    };
    let req = from_value(json!({"team": {"name": "Support", "login_type": "email"},
        "admin_email": "ada@example.com", "subscription": {"plan": "enterprise", "seats": 2}}));
    let p = services
        .provision_customer(&ctx, req.unwrap())
        .await
        .unwrap();
    let org = OrgId::parse(&p.org_id).unwrap();
    let support = TeamId::parse(&p.team_id).unwrap();
    let sub = SubscriptionId::parse(&p.subscription_id).unwrap();
    let ada = UserId::parse(&p.admin_user_id).unwrap();
    let mut s = Story {
        services,
        org,
        admin: ada.clone(),
        teams: vec![support.clone()],
        version: 0,
        entries: 0,
        next: 0,
    };
    s.check(&ctx, &["org.provision"], &[1]).await;
    assert_eq!(s.access(&ada, &support).await, Some(true));

    // R2: a device-login second team establishes the organization (ada: Org Admin), then joins
    // the subscription, so what keeps people's seats out of it is its login type alone.
    let (ctx, who) = s.ctx().await;
    let req = from_value(json!({"name": "Kiosks", "login_type": "device",
        "organization_name": "Acme"}));
    let kiosks = s.services.create_team(&who, &ctx, req.unwrap()).await;
    let kiosks = TeamId::parse(&kiosks.unwrap().id).unwrap();
    s.teams.push(kiosks.clone());
    s.check(&ctx, &["org.establish", "team.create"], &[1, 0])
        .await;
    let (ctx, who) = s.ctx().await;
    let shared = TeamAllocation {
        reserved_seats: None,
    };
    let r = s
        .services
        .set_team_allocation(&who, &ctx, &sub, &kiosks, shared);
    r.await.unwrap();
    s.check(&ctx, &["subscription.team_add"], &[1, 0]).await;

    // R6 (join_many): bob asks for app access and takes the last seat; one entry for the batch.
    let (ctx, r) = s.bulk(&support, "bob@example.com", Some(true)).await;
    let bob = UserId::parse(&r.unwrap().unwrap()).unwrap();
    let e = s.check(&ctx, &["membership.bulk_add"], &[2, 0]).await;
    assert_eq!(parse(&e[0].after_json)["app_access"], true);
    assert_eq!(parse(&e[0].after_json)["user_ids"], json!([bob.as_str()]));

    // R13, R17: the pool is full. Asking for access (On), or the default, refuses the whole add:
    // no user, no membership, no entry, no version.
    for app_access in [Some(true), None] {
        let (ctx, r) = s.bulk(&support, "cy@example.com", app_access).await;
        let err = r.unwrap_err();
        assert!(err.is_seat_limit(), "{app_access:?}: {err:?}");
        s.check(&ctx, &[], &[2, 0]).await;
    }
    let mut c = store.read().await.unwrap();
    let cy_row = people::find_user_by_email(&mut c, "cy@example.com").await;
    assert!(cy_row.unwrap().is_none(), "a refused add created the user");
    drop(c);

    // R9 (join, IfSeatFree): cy, made Org Analyst, joins the initial team without a seat.
    let (ctx, who) = s.ctx().await;
    let assign = AssignRole {
        email: "cy@example.com".into(),
        role: OrgRole::OrgAnalyst,
    };
    let assigned = s
        .services
        .assign_org_role(&who, &ctx, assign)
        .await
        .unwrap();
    assert!(assigned.added_to_initial_team);
    assert_eq!(assigned.app_access, Some(false));
    let cy = UserId::parse(&assigned.user_id).unwrap();
    let e = s.check(&ctx, &["org_role.assign"], &[2, 0]).await;
    assert_eq!(parse(&e[0].after_json)["app_access"], false);
    // Three people joined Support; exactly two hold its seats.
    assert_eq!(s.access(&ada, &support).await, Some(true));
    assert_eq!(s.access(&bob, &support).await, Some(true));
    assert_eq!(s.access(&cy, &support).await, Some(false));

    // set_access: off frees a seat; off again changes nothing (rolled back, version unmoved);
    // on takes the free seat; on with the pool full is refused and changes nothing.
    let ctx = ok(s.set(&bob, &support, false).await);
    let e = s.check(&ctx, &["membership.update"], &[1, 0]).await;
    assert_eq!(parse(&e[0].before_json)["app_access"], true);
    assert_eq!(parse(&e[0].after_json)["app_access"], false);
    let ctx = ok(s.set(&bob, &support, false).await);
    s.check(&ctx, &[], &[1, 0]).await;
    let ctx = ok(s.set(&cy, &support, true).await);
    let e = s.check(&ctx, &["membership.update"], &[2, 0]).await;
    assert_eq!(parse(&e[0].after_json)["app_access"], true);
    let (ctx, r) = s.set(&bob, &support, true).await;
    let err = r.unwrap_err();
    assert!(err.is_seat_limit(), "{err:?}");
    s.check(&ctx, &[], &[2, 0]).await;
    assert_eq!(s.access(&bob, &support).await, Some(false));

    // R5, R13: a device-login team never gives people seats. By default they join without one,
    // even with the pool full (nothing to check); asking for one is refused, on join and later.
    let ctx = ok(s.add(&bob, &kiosks, None).await);
    let e = s.check(&ctx, &["membership.add"], &[2, 0]).await;
    assert_eq!(parse(&e[0].after_json)["app_access"], false);
    let ctx = ok(s.bulk(&kiosks, "eve@example.com", None).await);
    let e = s.check(&ctx, &["membership.bulk_add"], &[2, 0]).await;
    assert_eq!(parse(&e[0].after_json)["app_access"], false);
    let (ctx, r) = s.add(&cy, &kiosks, Some(true)).await;
    assert_invalid_app_access(r);
    s.check(&ctx, &[], &[2, 0]).await;
    assert_eq!(s.access(&cy, &kiosks).await, None);
    let (ctx, r) = s.bulk(&kiosks, "fay@example.com", Some(true)).await;
    assert_invalid_app_access(r);
    s.check(&ctx, &[], &[2, 0]).await;
    let (ctx, r) = s.set(&bob, &kiosks, true).await;
    assert_invalid_app_access(r);
    s.check(&ctx, &[], &[2, 0]).await;

    // R7 (leave): cy's last membership ends: her seat is freed and she leaves the organization,
    // her org role with her.
    let (ctx, who) = s.ctx().await;
    let removed = s
        .services
        .remove_membership(&who, &ctx, &cy, &support)
        .await;
    assert!(removed.unwrap().removed_from_org);
    let e = s.check(&ctx, &["membership.remove"], &[1, 0]).await;
    assert_eq!(parse(&e[0].before_json)["app_access"], true);
    assert_eq!(parse(&e[0].before_json)["org_role"], "org_analyst");
    assert_eq!(parse(&e[0].after_json)["removed_from_org"], true);
    assert!(s.org_member(&cy).await.is_none());

    // bob takes the freed seat back; then R8 (leave_org) ends both his memberships at once and
    // frees his seat, in one entry naming both teams.
    let ctx = ok(s.set(&bob, &support, true).await);
    s.check(&ctx, &["membership.update"], &[2, 0]).await;
    let (ctx, who) = s.ctx().await;
    s.services.remove_from_org(&who, &ctx, &bob).await.unwrap();
    let e = s.check(&ctx, &["user.remove_from_org"], &[1, 0]).await;
    let named = parse(&e[0].before_json)["team_ids"].clone();
    let mut named: Vec<String> = from_value(named).unwrap();
    named.sort();
    let mut both = [support.to_string(), kiosks.to_string()];
    both.sort();
    assert_eq!(named, both);
    assert!(s.org_member(&bob).await.is_none());
    assert_eq!(s.access(&bob, &support).await, None);
    assert_eq!(s.access(&bob, &kiosks).await, None);

    // R25: every entry above is one unbroken chain, ending at the head the organization keeps.
    let mut c = store.read().await.unwrap();
    assert_eq!(audit::verify_chain(&mut c, &s.org).await.unwrap(), None);
    assert_eq!(
        audit::head(&mut c, &s.org).await.unwrap().seq,
        s.entries as i64
    );
    drop(c);
    store.close().await;
}

/// The organization under test and what the story has seen of it so far.
struct Story {
    services: Services,
    org: OrgId,
    /// Ada: its first Team Admin, then its Org Admin, who makes every change but provisioning.
    admin: UserId,
    /// Support (the initial, email-login team), then Kiosks (device login).
    teams: Vec<TeamId>,
    version: i64,
    entries: usize,
    next: u32,
}

/// A step's request and its outcome (the id of the user a bulk add made, if it did).
type Step = (RequestInfo, ServiceResult<Option<String>>);

/// The request of a step that must succeed.
fn ok((ctx, r): Step) -> RequestInfo {
    r.unwrap();
    ctx
}

impl Story {
    /// A request of its own, so the entries of its transaction can be told apart; and the admin
    /// as a signed-in caller (by emailed code), as they stand now.
    async fn ctx(&mut self) -> (RequestInfo, OrgCaller) {
        self.next += 1;
        let request_id = format!("story-{:02}", self.next);
        let (user, only_org) = (self.admin.clone(), None);
        let session = Session { user, only_org };
        let who = self.services.org_caller(&session, self.org.as_str()).await;
        (RequestInfo { request_id }, who.unwrap())
    }

    /// Bulk add (`join_many`) of one new email as a member of `team`, without an invitation
    /// (the story's entries are the memberships' own).
    async fn bulk(&mut self, team: &TeamId, email: &str, app_access: Option<bool>) -> Step {
        let (ctx, who) = self.ctx().await;
        let (team_id, team_role) = (team.to_string(), TeamRole::Member);
        let (emails, invite) = (vec![email.into()], Some(false));
        let req = BulkAdd {
            team_id,
            team_role,
            emails,
            app_access,
            invite,
        };
        let r = self.services.bulk_add_users(&who, &ctx, req).await;
        (ctx, r.map(|added| added.results[0].user_id.clone()))
    }

    /// A user of the organization added to another team (`join`, R5).
    async fn add(&mut self, user: &UserId, team: &TeamId, app_access: Option<bool>) -> Step {
        let (ctx, who) = self.ctx().await;
        let (team_id, team_role) = (team.to_string(), TeamRole::Member);
        let req = AddMembership {
            team_id,
            team_role,
            app_access,
        };
        let r = self.services.add_membership(&who, &ctx, user, req).await;
        (ctx, r.map(|_| None))
    }

    /// A membership's app access set (`set_access`).
    async fn set(&mut self, user: &UserId, team: &TeamId, on: bool) -> Step {
        let (ctx, who) = self.ctx().await;
        let req = UpdateMembership {
            team_role: None,
            app_access: Some(on),
        };
        let r = self
            .services
            .update_membership(&who, &ctx, user, team, req)
            .await;
        (ctx, r.map(|_| None))
    }

    /// After the step of `ctx`: it wrote exactly `actions` (none for a refusal or a change to
    /// nothing), in order, as the newest entries of the log; it moved the organization's version
    /// by one exactly when it wrote anything (provisioning, `story-00`, creates the organization:
    /// no move to see); each team holds `seats` (in the order of `teams`); and every team's seat
    /// counter equals the seat holders counted from its memberships.
    async fn check(&mut self, ctx: &RequestInfo, actions: &[&str], seats: &[i64]) -> Vec<AuditRow> {
        let step = &ctx.request_id;
        let mut c = self.services.store.read().await.unwrap();
        let org = orgs::get_org(&mut c, &self.org).await.unwrap().unwrap();
        if step != "story-00" {
            let bumps = i64::from(!actions.is_empty());
            assert_eq!(org.version, self.version + bumps, "{step}: version");
        }
        self.version = org.version;

        let filter = AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        };
        let mut log = audit::list(&mut c, &self.org, &filter).await.unwrap();
        log.reverse();
        assert_eq!(log.len(), self.entries + actions.len(), "{step}: entries");
        let new = log.split_off(self.entries);
        assert!(
            new.iter().all(|r| r.request_id == *step),
            "{step}: {new:#?}"
        );
        let written: Vec<&str> = new.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(written, actions, "{step}: entries written");
        self.entries += new.len();

        let mut held = people::counted_seats(&mut c, &self.org).await.unwrap();
        held.sort_by_key(|(team, ..)| self.teams.iter().position(|t| t == team));
        let want = self
            .teams
            .iter()
            .zip(seats)
            .map(|(t, n)| (t.clone(), *n, *n));
        assert_eq!(
            held,
            want.collect::<Vec<_>>(),
            "{step}: (team, seat counter, holders)"
        );
        new
    }

    /// `user`'s app access in `team`; `None` when they are not a member of it.
    async fn access(&self, user: &UserId, team: &TeamId) -> Option<bool> {
        let mut c = self.services.store.read().await.unwrap();
        let m = people::get_membership(&mut c, &self.org, user, team).await;
        m.unwrap().map(|m| m.app_access != 0)
    }

    async fn org_member(&self, user: &UserId) -> Option<people::OrgMemberRow> {
        let mut c = self.services.store.read().await.unwrap();
        people::org_member(&mut c, &self.org, user).await.unwrap()
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// R13's refusal of app access in a device-login team.
fn assert_invalid_app_access<T: std::fmt::Debug>(r: ServiceResult<T>) {
    match r {
        Err(ServiceError::Invalid(e)) => assert_eq!(e.field, "app_access", "{e:?}"),
        other => panic!("expected app_access to be refused as invalid, got {other:?}"),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`: (server URL, name, URL).
/// Named like the API tests' (`sb_test_<run>_…`), so scripts/test drops it after a failed run.
async fn fresh_postgres() -> (String, String, String) {
    let admin = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("TEST_DATABASE_URL is not set: the PostgreSQL story needs it");
    let run = std::env::var("SWITCHBOARD_TEST_RUN")
        .ok()
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "adhoc".into());
    let name = unique(&format!("sb_test_{}_", run.to_lowercase()));
    on_server(&admin, &format!("CREATE DATABASE {name}")).await;
    let (base, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends with /DBNAME");
    let url = format!("{base}/{name}");
    (admin, name, url)
}

async fn on_server(admin: &str, statement: &str) {
    use switchboard_store::sqlx::{Connection, Executor, PgConnection};
    let mut c = PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but unreachable: {e}"));
    c.execute(statement).await.expect(statement);
}
