//! Usage events and their rollups (R26). An event is inserted once per (organization, subject,
//! id) — a second copy, also one arriving at the same moment on another instance, inserts
//! nothing — and only inserted events move the rollups, in the same transaction. Rollups: per
//! subject and day (`usage_subject_days`), per team and day (`usage_team_days`), per team, day
//! and feature (`usage_feature_days`), and each subject's span of active days in a team
//! (`usage_team_subjects`). Reads for analytics are in [`read`], bulk seeding in [`seed`].

mod read;
mod seed;

pub use read::*;
pub use seed::*;

use crate::{Conn, Result, Sql, is_sqlite};
use std::collections::HashSet;
use switchboard_domain::ids::{OrgId, TeamId};
use switchboard_domain::usage::UsageEvent;

/// Records raw events once per (organization, subject, id), and answers the ids that were new:
/// an id there already — also one another transaction inserted first, which this one waits
/// for — inserts nothing. The ids go first, in the caller's order (sorted, so concurrent batches
/// lock them in one order), then the new events, each in one statement.
pub async fn insert_events(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    subject: &str,
    events: &[&UsageEvent],
    now: i64,
) -> Result<HashSet<String>> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = Sql::new("INSERT INTO usage_event_ids (org_id, subject_id, event_id, at) VALUES ");
    for (i, e) in events.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.bind(org.to_string())
            .push(", ")
            .bind(subject.to_owned())
            .push(", ");
        q.bind(e.id.clone()).push(", ").bind(e.at).push(")");
    }
    q.push(" ON CONFLICT (org_id, subject_id, event_id) DO NOTHING RETURNING event_id");
    let (text, args) = q.build();
    let fresh: HashSet<String> = sqlx::query_scalar_with::<_, String, _>(&text, args)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&&UsageEvent> = events.iter().filter(|e| fresh.contains(&e.id)).collect();
    if !new.is_empty() {
        let mut q = Sql::new(
            "INSERT INTO usage_events (org_id, subject_id, event_id, team_id, kind, at, duration_s, \
             features_json, received_at) VALUES ",
        );
        for (i, e) in new.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(org.to_string())
                .push(", ")
                .bind(subject.to_owned())
                .push(", ");
            q.bind(e.id.clone())
                .push(", ")
                .bind(team.to_string())
                .push(", ");
            q.bind(e.kind.as_str().to_owned())
                .push(", ")
                .bind(e.at)
                .push(", ");
            q.bind(e.duration_s).push(", ");
            q.bind(serde_json::to_string(&e.features_s).unwrap_or_else(|_| "{}".into()));
            q.push(", ").bind(now).push(")");
        }
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(fresh)
}

/// Adds to a subject's and its team's day, and to the team's day per feature (the rollups
/// analytics read). Called per day in ascending order, after [`touch_team_subject`], so
/// concurrent batches lock rollup rows in one order.
#[allow(clippy::too_many_arguments)]
pub async fn add_to_rollups(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    subject: &str,
    day: &str,
    calls: i64,
    call_seconds: i64,
    app_starts: i64,
    features: &[(String, i64)],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO usage_subject_days (org_id, team_id, subject_id, day, calls, call_seconds, app_starts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, team_id, subject_id, day) DO UPDATE SET \
         calls = usage_subject_days.calls + $5, call_seconds = usage_subject_days.call_seconds + $6, \
         app_starts = usage_subject_days.app_starts + $7",
    )
    .bind(org)
    .bind(team)
    .bind(subject)
    .bind(day)
    .bind(calls)
    .bind(call_seconds)
    .bind(app_starts)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO usage_team_days (org_id, team_id, day, calls, call_seconds, app_starts) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, team_id, day) DO UPDATE SET \
         calls = usage_team_days.calls + $4, call_seconds = usage_team_days.call_seconds + $5, \
         app_starts = usage_team_days.app_starts + $6",
    )
    .bind(org)
    .bind(team)
    .bind(day)
    .bind(calls)
    .bind(call_seconds)
    .bind(app_starts)
    .execute(&mut *c)
    .await?;
    for (feature, seconds) in features {
        sqlx::query(
            "INSERT INTO usage_feature_days (org_id, team_id, day, feature, seconds) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, team_id, day, feature) DO UPDATE SET seconds = usage_feature_days.seconds + $5",
        )
        .bind(org)
        .bind(team)
        .bind(day)
        .bind(feature)
        .bind(seconds)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Widens the span of days a subject was active in a team (`first..=last`), once per batch and
/// before its days' rollups: the team summary counts active subjects from these spans. The
/// batch's newest call moves the span's `last_call_at` forward (R29 reads it).
pub async fn touch_team_subject(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    subject: &str,
    first: &str,
    last: &str,
    last_call: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO usage_team_subjects (org_id, team_id, subject_id, first_day, last_day, last_call_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, team_id, subject_id) DO UPDATE SET \
         first_day = CASE WHEN excluded.first_day < usage_team_subjects.first_day \
           THEN excluded.first_day ELSE usage_team_subjects.first_day END, \
         last_day = CASE WHEN excluded.last_day > usage_team_subjects.last_day \
           THEN excluded.last_day ELSE usage_team_subjects.last_day END, \
         last_call_at = CASE WHEN usage_team_subjects.last_call_at IS NULL \
             OR excluded.last_call_at > usage_team_subjects.last_call_at \
           THEN COALESCE(excluded.last_call_at, usage_team_subjects.last_call_at) \
           ELSE usage_team_subjects.last_call_at END",
    )
    .bind(org)
    .bind(team)
    .bind(subject)
    .bind(first)
    .bind(last)
    .bind(last_call)
    .execute(c)
    .await?;
    Ok(())
}

/// The organization's time zone (IANA), UTC when none is set: the zone its days are counted in.
pub async fn zone(c: &mut Conn, org: &OrgId) -> Result<String> {
    Ok(time_zone(c, org).await?.unwrap_or_else(|| "UTC".into()))
}

/// The organization's time zone (IANA), if set.
pub async fn time_zone(c: &mut Conn, org: &OrgId) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT time_zone FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_optional(c)
            .await?
            .flatten(),
    )
}

/// Drops raw events, and their ids, older than `before` (the retention window); rollups are
/// kept. On PostgreSQL whole months go, by dropping their partitions once they are entirely
/// past retention (so raw events stay up to a month longer there), and the default partition is
/// trimmed; a `DELETE` over a month's partition would cost what partitioning saves. Run it in a
/// transaction of its own: dropping a partition locks the table for the moment it takes.
pub async fn prune(c: &mut Conn, before: i64) -> Result<u64> {
    sqlx::query("DELETE FROM usage_event_ids WHERE at < $1")
        .bind(before)
        .execute(&mut *c)
        .await?;
    if is_sqlite(c) {
        return Ok(sqlx::query("DELETE FROM usage_events WHERE at < $1")
            .bind(before)
            .execute(c)
            .await?
            .rows_affected());
    }
    sqlx::query("SELECT usage_events_drop_months_before($1)")
        .bind(before)
        .execute(&mut *c)
        .await?;
    Ok(
        sqlx::query("DELETE FROM usage_events_default WHERE at < $1")
            .bind(before)
            .execute(c)
            .await?
            .rows_affected(),
    )
}

/// On PostgreSQL, creates the monthly partitions of the raw events for every month from the
/// one holding `oldest` (the retention window's start) to the one after `now`'s, ahead of the
/// events (a no-op on SQLite, whose table is one). Answers how many it created.
pub async fn ensure_partitions(c: &mut Conn, oldest: i64, now: i64) -> Result<usize> {
    if is_sqlite(c) {
        return Ok(0);
    }
    const DAY: i64 = 86_400_000;
    // Steps of 28 days visit every month; some day 28 to 31 days on is in the next month.
    let mut days: Vec<i64> = (oldest..=now).step_by(28 * DAY as usize).collect();
    days.extend([now, now + 28 * DAY, now + 31 * DAY]);
    let mut created = 0;
    for at in days {
        let made: bool = sqlx::query_scalar("SELECT usage_events_ensure_month($1)")
            .bind(at)
            .fetch_one(&mut *c)
            .await?;
        created += usize::from(made);
    }
    Ok(created)
}

/// The monthly partitions of the raw events, oldest first (PostgreSQL; none on SQLite).
pub async fn partitions(c: &mut Conn) -> Result<Vec<String>> {
    if is_sqlite(c) {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT CAST(c.relname AS TEXT) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = CAST('usage_events' AS regclass) ORDER BY 1",
    )
    .fetch_all(c)
    .await?)
}

pub async fn set_time_zone(c: &mut Conn, org: &OrgId, tz: &str) -> Result<()> {
    sqlx::query("UPDATE orgs SET time_zone = $2 WHERE id = $1")
        .bind(org)
        .bind(tz)
        .execute(c)
        .await?;
    Ok(())
}
