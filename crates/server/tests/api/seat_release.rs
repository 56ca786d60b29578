//! R29: idle seats released by rule — a notice first (once per idle stretch, with a digest to
//! the admins), the release on the day through the command line as of a given time, a call in
//! between keeping the seat, an org policy locking the rule, two instances releasing each seat
//! once, the idle list by role, and the setting never reaching the apps.
//!
//! Tests can't wait weeks: they move a seat's start back in the database (what the rule reads),
//! send calls that ended days ago (as an app that was offline does), and run the job `--at` a
//! later time.

use crate::apps::{app_sign_in, entitlement};
use crate::db_tests;
use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) const DAY_MS: i64 = 86_400_000;

pub(crate) fn now_ms() -> i64 {
    switchboard_store::now_ms()
}

pub(crate) fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

pub(crate) fn utc_day(ms: i64) -> String {
    rfc3339(ms)[..10].to_owned()
}

/// `switchboard seats release-idle …` against the app's database; its output.
async fn release_idle(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["seats", "release-idle"])
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_MAIL", "file:/dev/null")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Moves the start of `email`'s seat in `team` back to `at` (as if access was granted then).
pub(crate) async fn seat_held_since(app: &TestApp, org: &Org, team: &str, email: &str, at: i64) {
    let mut tx = app.store.write().await.unwrap();
    let n = switchboard_store::sqlx::query(
        "UPDATE memberships SET access_since = $1 WHERE org_id = $2 AND team_id = $3 \
         AND user_id = (SELECT id FROM users WHERE email = $4)",
    )
    .bind(at)
    .bind(org.id.as_str())
    .bind(team)
    .bind(email)
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    tx.commit().await.unwrap();
    assert_eq!(n, 1, "{email} holds no membership in {team}");
}

pub(crate) async fn set_rule(app: &TestApp, org: &Org, team: &str, days: i64) {
    app.patch(
        &org.path(&format!("/teams/{team}/settings")),
        &org.admin,
        json!({"seat_release_after_days": days}),
    )
    .await
    .ok();
}

/// Adds members with app access to `team`; a seat each.
pub(crate) async fn seat_holders(app: &TestApp, org: &Org, team: &str, emails: &[&str]) {
    app.add_users(&org.id, &org.admin, team, "member", emails, Some(true))
        .await
        .ok();
}

/// A call that ended `days_ago` days ago, sent by `email`'s app.
async fn call_ended(app: &TestApp, email: &str, id: &str, days_ago: i64) {
    let token = app_sign_in(app, email, None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = rfc3339(now_ms() - days_ago * DAY_MS - 60_000);
    let r = app
        .call(
            Method::POST,
            "/app/v1/usage",
            Some(&token),
            Some(json!({"events": [{"id": id, "type": "call", "ended_at": ended, "duration_s": 60}]})),
        )
        .await;
    assert_eq!(r.ok()["events"][0]["outcome"], "accepted", "{}", r.text);
}

async fn idle_list(app: &TestApp, org: &Org, token: &str, query: &str) -> Vec<Value> {
    app.get(&org.path(&format!("/seats/idle{query}")), token)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn emails_of(items: &[Value]) -> Vec<String> {
    let mut e: Vec<String> = items
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_owned())
        .collect();
    e.sort();
    e
}

/// (app_access, memberships) of `email`.
async fn access_of(app: &TestApp, org: &Org, email: &str, team: &str) -> (bool, usize) {
    let r = app
        .get(&org.path(&format!("/users?q={email}")), &org.admin)
        .await;
    let user = r.ok()["items"][0].clone();
    let ms = user["memberships"].as_array().unwrap();
    let m = ms.iter().find(|m| m["team_id"] == team).unwrap();
    (m["app_access"].as_bool().unwrap(), ms.len())
}

async fn releases_in_log(app: &TestApp, org: &Org) -> Vec<Value> {
    app.get(&org.path("/audit-log?action=seat.release"), &org.admin)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn r29_notice_then_release_on_the_day_and_a_call_keeps_the_seat(app: TestApp) {
    let org = app.established_org(10).await;
    let team = org.initial_team.clone();
    set_rule(&app, &org, &team, 30).await;
    let (ana, bo, cy) = ("ana@idle.example", "bo@idle.example", "cy@idle.example");
    seat_holders(&app, &org, &team, &[ana, bo, cy]).await;
    let forty_days_ago = now_ms() - 40 * DAY_MS;
    for who in [ana, bo, cy] {
        seat_held_since(&app, &org, &team, who, forty_days_ago).await;
    }
    // bo called two days ago; cy 25 days ago (idle, released in 5 days at the earliest); ana
    // never called.
    call_ended(&app, bo, "bo-1", 2).await;
    call_ended(&app, cy, "cy-1", 25).await;
    let seats_before = app
        .get(&org.path(&format!("/teams/{team}")), &org.admin)
        .await
        .ok()["seats_used"]
        .clone();

    // The first run tells ana and cy, and releases nothing: nobody loses a seat without a
    // week's notice.
    let (ok, out) = release_idle(&app, &["--org", &org.id]).await;
    assert!(ok, "{out}");
    assert!(out.contains("released 0 seat(s), 2 notice(s)"), "{out}");
    let week = utc_day(now_ms() + 7 * DAY_MS);
    let idle = idle_list(&app, &org, &org.admin, "").await;
    assert_eq!(emails_of(&idle), vec![ana, cy]);
    for i in &idle {
        assert_eq!(i["release_on"], week.as_str(), "{i}");
        assert_eq!(i["team_id"], team.as_str());
    }
    let of = |e: &str| idle.iter().find(|i| i["email"] == e).unwrap().clone();
    assert_eq!(of(ana)["last_call_at"], Value::Null);
    assert!(of(cy)["last_call_at"].is_string());
    let mails = app.mails().await;
    let notice = |to: &str| {
        mails
            .iter()
            .filter(|m| m["to"] == to && m["subject"].as_str().unwrap().contains("is released on"))
            .count()
    };
    assert_eq!((notice(ana), notice(cy), notice(bo)), (1, 1, 0));
    let digests = mails
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .contains("idle seats are released")
        })
        .collect::<Vec<_>>();
    assert_eq!(digests.len(), 1, "one digest, to the Org Admin");
    assert!(digests[0]["body"].as_str().unwrap().contains(ana));

    // Again the same day: no second notice, no second digest.
    let (ok, out) = release_idle(&app, &["--org", &org.id]).await;
    assert!(
        ok && out.contains("released 0 seat(s), 0 notice(s)"),
        "{out}"
    );
    assert_eq!(app.mails().await.len(), mails.len());

    // cy takes a call now: a new stretch, nothing due.
    call_ended(&app, cy, "cy-2", 0).await;

    // A dry run eight days on says what would go and changes nothing.
    let later = rfc3339(now_ms() + 8 * DAY_MS);
    let (ok, out) = release_idle(&app, &["--org", &org.id, "--at", &later, "--dry-run"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("would release 1 seat(s)") && out.contains(ana),
        "{out}"
    );
    assert!(access_of(&app, &org, ana, &team).await.0);
    assert!(releases_in_log(&app, &org).await.is_empty());

    // The day comes: ana's seat is released, her membership kept; bo and cy keep theirs.
    let (ok, out) = release_idle(&app, &["--org", &org.id, "--at", &later]).await;
    assert!(ok && out.contains("released 1 seat(s)"), "{out}");
    assert_eq!(access_of(&app, &org, ana, &team).await, (false, 1));
    assert!(access_of(&app, &org, bo, &team).await.0);
    assert!(access_of(&app, &org, cy, &team).await.0);
    let seats_after = app
        .get(&org.path(&format!("/teams/{team}")), &org.admin)
        .await
        .ok()["seats_used"]
        .clone();
    assert_eq!(
        seats_after.as_i64().unwrap(),
        seats_before.as_i64().unwrap() - 1
    );
    let log = releases_in_log(&app, &org).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["actor"], "system");
    assert_eq!(log[0]["after"]["reason"], "idle");
    assert_eq!(log[0]["after"]["app_access"], false);

    // Run again: nothing more, the log still holds one release.
    let (ok, out) = release_idle(&app, &["--org", &org.id, "--at", &later]).await;
    assert!(ok && !out.contains("released 1"), "{out}");
    assert_eq!(releases_in_log(&app, &org).await.len(), 1);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r29_two_instances_release_each_seat_once(app: TestApp) {
    let org = app.established_org(40).await;
    let team = org.initial_team.clone();
    set_rule(&app, &org, &team, 7).await;
    let people: Vec<String> = (0..20).map(|i| format!("p{i}@idle.example")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    seat_holders(&app, &org, &team, &refs).await;
    for p in &refs {
        seat_held_since(&app, &org, &team, p, now_ms() - 30 * DAY_MS).await;
    }
    let org_id = switchboard_domain::ids::OrgId::parse(&org.id).unwrap();
    let told = app
        .services
        .release_idle_seats(now_ms(), Some(&org_id), false)
        .await
        .unwrap();
    assert_eq!(told[0].noticed.len(), 20);
    let second = app.second_instance().await;
    let at = now_ms() + 8 * DAY_MS;
    let (a, b) = tokio::join!(
        app.services.release_idle_seats(at, None, false),
        second.services.release_idle_seats(at, None, false),
    );
    let count = |r: Vec<switchboard_service::seats::release::OrgRelease>| {
        r.iter()
            .filter(|o| o.org_id == org_id)
            .map(|o| o.released.len())
            .sum::<usize>()
    };
    assert_eq!(
        count(a.unwrap()) + count(b.unwrap()),
        20,
        "each seat released once"
    );
    assert_eq!(releases_in_log(&app, &org).await.len(), 20);
    let team_view = app
        .get(&org.path(&format!("/teams/{team}")), &org.admin)
        .await;
    // Only the admin keeps a seat.
    assert_eq!(team_view.ok()["seats_used"], 1);
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r29_an_org_policy_locks_the_rule(app: TestApp) {
    let org = app.established_org(10).await;
    let team = org.initial_team.clone();
    let r = app
        .post(
            &org.path("/policies"),
            &org.admin,
            json!({"name": "Release after a week", "values": {"seat_release_after_days": 7},
                "team_ids": [team]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let settings = app
        .get(&org.path(&format!("/teams/{team}/settings")), &org.admin)
        .await;
    let s = settings.ok()["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "seat_release_after_days")
        .unwrap()
        .clone();
    assert_eq!(
        (s["value"].clone(), s["locked"].clone(), s["source"].clone()),
        (json!(7), json!(true), json!("policy"))
    );
    app.patch(
        &org.path(&format!("/teams/{team}/settings")),
        &org.admin,
        json!({"seat_release_after_days": 0}),
    )
    .await
    .problem(409, "setting_locked");
    // The policy's value is the one the rule uses.
    seat_holders(&app, &org, &team, &["dee@idle.example"]).await;
    seat_held_since(
        &app,
        &org,
        &team,
        "dee@idle.example",
        now_ms() - 10 * DAY_MS,
    )
    .await;
    let idle = idle_list(&app, &org, &org.admin, "").await;
    assert_eq!(emails_of(&idle), vec!["dee@idle.example"]);
}

async fn r29_bad_input_is_refused_and_changes_nothing(app: TestApp) {
    let org = app.established_org(10).await;
    let path = org.path(&format!("/teams/{}/settings", org.initial_team));
    for bad in [json!(3), json!(6), json!(366), json!(-1), json!("30")] {
        let detail = app
            .patch(&path, &org.admin, json!({"seat_release_after_days": bad}))
            .await
            .problem(422, "validation_failed");
        assert!(detail.contains("seat_release_after_days"), "{detail}");
    }
    for good in [0, 7, 365] {
        app.patch(&path, &org.admin, json!({"seat_release_after_days": good}))
            .await
            .ok();
    }
    let (ok, out) = release_idle(&app, &["--at", "next tuesday"]).await;
    assert!(
        !ok && out.contains("--at must be an RFC 3339 time"),
        "{out}"
    );
    let (ok, out) = release_idle(&app, &["--org", "acme"]).await;
    assert!(!ok && out.contains("not an organization id"), "{out}");
    app.get(&org.path("/seats/idle?team=Sales"), &org.admin)
        .await
        .problem(422, "validation_failed");
    app.get(&org.path("/seats/idle?limit=0"), &org.admin)
        .await
        .problem(422, "validation_failed");
    let other = app.established_org(5).await;
    app.get(
        &org.path(&format!("/seats/idle?team={}", other.initial_team)),
        &org.admin,
    )
    .await
    .problem(404, "not_found");
}

async fn r29_the_idle_list_follows_the_role_and_the_apps_never_see_the_rule(app: TestApp) {
    let org = app.established_org(10).await;
    app.cover_team(&org.id, &org.second_team, &org.subscription, None)
        .await;
    for team in [&org.initial_team, &org.second_team] {
        set_rule(&app, &org, team, 14).await;
    }
    seat_holders(&app, &org, &org.initial_team, &["one@idle.example"]).await;
    seat_holders(&app, &org, &org.second_team, &["two@idle.example"]).await;
    seat_held_since(
        &app,
        &org,
        &org.initial_team,
        "one@idle.example",
        now_ms() - 20 * DAY_MS,
    )
    .await;
    seat_held_since(
        &app,
        &org,
        &org.second_team,
        "two@idle.example",
        now_ms() - 20 * DAY_MS,
    )
    .await;
    app.add_users(
        &org.id,
        &org.admin,
        &org.second_team,
        "team_admin",
        &["lead@idle.example"],
        Some(false),
    )
    .await
    .ok();
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "watch@idle.example", "role": "org_analyst"}),
    )
    .await
    .ok();
    let lead = app.sign_in("lead@idle.example").await;
    let analyst = app.sign_in("watch@idle.example").await;
    let member = app.sign_in("one@idle.example").await;
    assert_eq!(
        emails_of(&idle_list(&app, &org, &org.admin, "").await),
        vec!["one@idle.example", "two@idle.example"]
    );
    assert_eq!(
        emails_of(&idle_list(&app, &org, &analyst, "").await),
        vec!["one@idle.example", "two@idle.example"]
    );
    assert_eq!(
        emails_of(&idle_list(&app, &org, &lead, "").await),
        vec!["two@idle.example"]
    );
    app.get(
        &org.path(&format!("/seats/idle?team={}", org.initial_team)),
        &lead,
    )
    .await
    .problem(404, "not_found");
    app.get(&org.path("/seats/idle"), &member)
        .await
        .problem(403, "forbidden");
    let page = app.get(&org.path("/seats/idle?limit=1"), &org.admin).await;
    let cursor = page.ok()["next_cursor"].as_str().unwrap().to_owned();
    let rest = idle_list(&app, &org, &org.admin, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(rest.len(), 1);
    let csv = app
        .get(&org.path("/seats/idle?format=csv"), &org.admin)
        .await;
    assert!(
        csv.text
            .starts_with("user_id,email,team_id,team_name,last_call_at,access_since,release_on"),
        "{}",
        csv.text
    );
    assert_eq!(csv.text.lines().count(), 3);

    // The users list filters on it, both ways, in the API as on the page.
    let users = |q: &'static str| {
        let (app, org) = (&app, &org);
        async move {
            let r = app.get(&org.path(&format!("/users?{q}")), &org.admin).await;
            emails_of(r.ok()["items"].as_array().unwrap())
        }
    };
    assert_eq!(
        users("idle=true").await,
        vec!["one@idle.example", "two@idle.example"]
    );
    let rest = users("idle=false").await;
    let idle_people = ["one@idle.example", "two@idle.example"];
    assert!(
        !rest.is_empty() && !rest.iter().any(|e| idle_people.contains(&e.as_str())),
        "{rest:?}"
    );
    app.get(&org.path("/users?idle=maybe"), &org.admin)
        .await
        .problem(422, "validation_failed");

    // The apps' answer holds the team's settings but never this admin rule.
    let token = app_sign_in(&app, "one@idle.example", None).await.ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = entitlement(&app, &token, None).await;
    let text = answer.text.clone();
    assert!(text.contains("auto_update_channel"), "{text}");
    assert!(!text.contains("seat_release_after_days"), "{text}");
}

/// A notice stands its week and two days' grace; one older than that (the rule was off in
/// between, or the job was down) is given again, and the seat goes a week after the new one.
async fn r29_a_notice_that_no_longer_stands_is_given_again_before_any_release(app: TestApp) {
    let org = app.established_org(10).await;
    let team = org.initial_team.clone();
    set_rule(&app, &org, &team, 7).await;
    let dee = "dee@idle.example";
    seat_holders(&app, &org, &team, &[dee]).await;
    seat_held_since(&app, &org, &team, dee, now_ms() - 30 * DAY_MS).await;
    let notice = format!("notice {dee}");
    let released = format!("released {dee}");
    let (ok, out) = release_idle(&app, &["--org", &org.id]).await;
    assert!(
        ok && out.contains(&notice) && !out.contains(&released),
        "{out}"
    );
    // Twenty days on, the first notice no longer stands: told again, nothing released.
    let later = rfc3339(now_ms() + 20 * DAY_MS);
    let (ok, out) = release_idle(&app, &["--org", &org.id, "--at", &later]).await;
    assert!(
        ok && out.contains(&notice) && !out.contains(&released),
        "{out}"
    );
    assert!(access_of(&app, &org, dee, &team).await.0);
    // A week after the second notice the seat goes.
    let last = rfc3339(now_ms() + 28 * DAY_MS);
    let (ok, out) = release_idle(&app, &["--org", &org.id, "--at", &last]).await;
    assert!(ok && out.contains(&released), "{out}");
    assert!(!access_of(&app, &org, dee, &team).await.0);
    let notices = app
        .get(
            &org.path("/audit-log?action=seat.release_notice"),
            &org.admin,
        )
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_name"] == dee)
        .count();
    assert_eq!(notices, 2, "told twice");
}

db_tests!(
    r29_a_notice_that_no_longer_stands_is_given_again_before_any_release,
    r29_notice_then_release_on_the_day_and_a_call_keeps_the_seat,
    r29_two_instances_release_each_seat_once,
    r29_an_org_policy_locks_the_rule,
    r29_bad_input_is_refused_and_changes_nothing,
    r29_the_idle_list_follows_the_role_and_the_apps_never_see_the_rule,
);
