//! Organizations and teams.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId};
use switchboard_domain::team::LoginType;

#[derive(Debug, Clone, FromRow)]
pub struct OrgRow {
    pub id: OrgId,
    pub name: Option<String>,
    pub established_at: Option<i64>,
    pub initial_team_id: TeamId,
    pub version: i64,
    pub created_at: i64,
    /// The IANA time zone days are counted and times shown in; `None`: UTC.
    pub time_zone: Option<String>,
}

pub async fn insert_org(
    c: &mut Conn,
    id: &OrgId,
    initial_team_id: &TeamId,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO orgs (id, name, established_at, initial_team_id, version, created_at) VALUES ($1, NULL, NULL, $2, 0, $3)")
        .bind(id)
        .bind(initial_team_id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn get_org(c: &mut Conn, id: &OrgId) -> Result<Option<OrgRow>> {
    Ok(sqlx::query_as("SELECT id, name, established_at, initial_team_id, version, created_at, time_zone FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn establish_org(c: &mut Conn, id: &OrgId, name: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE orgs SET name = $2, established_at = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct TeamRow {
    pub org_id: OrgId,
    pub id: TeamId,
    pub name: String,
    pub login_type: LoginType,
    pub description: Option<String>,
    pub subscription_id: Option<SubscriptionId>,
    pub reserved_seats: Option<i64>,
    /// Seat holders in the team (kept by the functions that change them).
    pub seats_used: i64,
    pub created_at: i64,
}

const TEAM_COLUMNS: &str = "t.org_id, t.id, t.name, t.login_type, t.description, t.subscription_id, \
     t.reserved_seats, t.seats_used, t.created_at";

pub async fn insert_team(c: &mut Conn, t: &TeamRow, name_key: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO teams (org_id, id, name, name_key, login_type, description, subscription_id, reserved_seats, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&t.org_id)
    .bind(&t.id)
    .bind(&t.name)
    .bind(name_key)
    .bind(t.login_type)
    .bind(t.description.clone())
    .bind(t.subscription_id.clone())
    .bind(t.reserved_seats)
    .bind(t.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn get_team(c: &mut Conn, org: &OrgId, id: &TeamId) -> Result<Option<TeamRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn list_teams(c: &mut Conn, org: &OrgId) -> Result<Vec<TeamRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1 ORDER BY t.id"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn update_team(
    c: &mut Conn,
    org: &OrgId,
    id: &TeamId,
    name: &str,
    name_key: &str,
    description: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE teams SET name = $3, name_key = $4, description = $5 WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(name)
    .bind(name_key)
    .bind(description.map(str::to_owned))
    .execute(c)
    .await?;
    Ok(())
}

/// Deletes a team and what hangs off it: its own settings, its place in policies, its
/// enrollment keys. (Memberships and devices must be gone already.)
pub async fn delete_team(c: &mut Conn, org: &OrgId, id: &TeamId) -> Result<()> {
    for table in ["team_settings", "policy_teams", "enrollment_keys"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE org_id = $1 AND team_id = $2"
        ))
        .bind(org)
        .bind(id)
        .execute(&mut *c)
        .await?;
    }
    sqlx::query("DELETE FROM teams WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Number of memberships per team of an organization (teams without members are absent).
pub async fn member_counts(c: &mut Conn, org: &OrgId) -> Result<Vec<(TeamId, i64)>> {
    Ok(sqlx::query_as(
        "SELECT team_id, CAST(COUNT(*) AS BIGINT) FROM memberships WHERE org_id = $1 GROUP BY team_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Teams covered by one subscription.
pub async fn teams_of_subscription(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
) -> Result<Vec<TeamRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.subscription_id = $2 ORDER BY t.id"
    ))
    .bind(org)
    .bind(sub)
    .fetch_all(c)
    .await?)
}

/// Number of memberships in one team.
pub async fn member_count(c: &mut Conn, org: &OrgId, team: &TeamId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE org_id = $1 AND team_id = $2",
    )
    .bind(org)
    .bind(team)
    .fetch_one(c)
    .await?)
}

/// Puts a team into a subscription (or out of any, with `None`), with an optional reservation.
pub async fn set_team_subscription(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    sub: Option<&SubscriptionId>,
    reserved: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE teams SET subscription_id = $3, reserved_seats = $4 WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(team)
    .bind(sub.cloned())
    .bind(reserved)
    .execute(c)
    .await?;
    Ok(())
}

/// Every organization's id, in id order.
pub async fn all_ids(c: &mut Conn) -> Result<Vec<OrgId>> {
    Ok(sqlx::query_scalar("SELECT id FROM orgs ORDER BY id")
        .fetch_all(c)
        .await?)
}

/// Whether any organization exists (used to seed demo data only into an empty database).
pub async fn any_org(c: &mut Conn) -> Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT CAST(COUNT(*) AS BIGINT) FROM orgs")
            .fetch_one(c)
            .await?
            > 0,
    )
}

/// The current versions of these organizations (one read for many requests; see the service's
/// entitlement cache).
pub async fn versions(c: &mut Conn, orgs: &[OrgId]) -> Result<Vec<(OrgId, i64)>> {
    let mut q = crate::Sql::new("SELECT id, version FROM orgs WHERE id IN ");
    q.bind_list(orgs);
    let (text, args) = q.build();
    Ok(sqlx::query_as_with(&text, args).fetch_all(c).await?)
}

/// Bumps an organization's version outside a `write_org` transaction (a change that concerns it
/// but happens in another organization's transaction, like an app token moving between them).
/// Answers the new version.
pub async fn bump_version(c: &mut Conn, org: &OrgId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("UPDATE orgs SET version = version + 1 WHERE id = $1 RETURNING version")
            .bind(org)
            .fetch_one(c)
            .await?,
    )
}

/// The seat totals of a subscription's teams, summed by the database in one row.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct SeatTotals {
    /// Σ of the teams' reservations.
    pub reserved: i64,
    /// Σ of what reserved teams have not used of their reservation yet.
    pub reserved_unused: i64,
    /// Seats held by teams without a reservation.
    pub unreserved_used: i64,
    /// Every seat held in the subscription.
    pub used: i64,
}

pub async fn seat_totals(c: &mut Conn, org: &OrgId, sub: &SubscriptionId) -> Result<SeatTotals> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(reserved_seats), 0) AS BIGINT) AS reserved, \
         CAST(COALESCE(SUM(CASE WHEN reserved_seats > seats_used THEN reserved_seats - seats_used ELSE 0 END), 0) AS BIGINT) AS reserved_unused, \
         CAST(COALESCE(SUM(CASE WHEN reserved_seats IS NULL THEN seats_used ELSE 0 END), 0) AS BIGINT) AS unreserved_used, \
         CAST(COALESCE(SUM(seats_used), 0) AS BIGINT) AS used \
         FROM teams WHERE org_id = $1 AND subscription_id = $2",
    )
    .bind(org)
    .bind(sub)
    .fetch_one(c)
    .await?)
}

/// R3: teams whose stored name key was made by an older rule (case only) get today's (the
/// confusable skeleton). Two existing teams that now share a key keep their old keys — nothing
/// is renamed behind anyone's back — and are counted for the log. Answers (rewritten, clashes).
pub async fn rekey_team_names(c: &mut Conn) -> Result<(usize, usize)> {
    let rows: Vec<(OrgId, TeamId, String, String)> =
        sqlx::query_as("SELECT org_id, id, name, name_key FROM teams ORDER BY org_id, id")
            .fetch_all(&mut *c)
            .await?;
    let keyed: Vec<(OrgId, TeamId, String, String)> = rows
        .into_iter()
        .map(|(org, id, name, old)| {
            let new = switchboard_domain::team::Name::parse("name", &name)
                .map(|n| n.key())
                .unwrap_or_else(|_| old.clone());
            (org, id, old, new)
        })
        .collect();
    let mut count = std::collections::HashMap::new();
    for (org, _, _, new) in &keyed {
        *count.entry((org.clone(), new.clone())).or_insert(0usize) += 1;
    }
    let (mut fixed, mut clashes) = (0, 0);
    for (org, id, old, new) in keyed {
        if old == new {
            continue;
        }
        if count[&(org.clone(), new.clone())] > 1 {
            clashes += 1;
            continue;
        }
        sqlx::query("UPDATE teams SET name_key = $3 WHERE org_id = $1 AND id = $2")
            .bind(&org)
            .bind(&id)
            .bind(&new)
            .execute(&mut *c)
            .await?;
        fixed += 1;
    }
    Ok((fixed, clashes))
}
