//! Team memberships and the teams' seat counters, which move in the same statements. Only the
//! service's membership primitives call the writes here (a source test there keeps it so).

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_domain::team::LoginType;

#[derive(Debug, Clone, FromRow)]
pub struct MembershipRow {
    pub user_id: UserId,
    pub team_id: TeamId,
    pub team_name: String,
    pub login_type: LoginType,
    pub team_role: TeamRole,
    pub app_access: i64,
}

const MEMBERSHIP_SELECT: &str = "SELECT m.user_id, m.team_id, t.name AS team_name, t.login_type, m.team_role, m.app_access \
     FROM memberships m JOIN teams t ON t.org_id = m.org_id AND t.id = m.team_id";

/// Every membership of these users in the organization.
pub async fn memberships_of_users(
    c: &mut Conn,
    org: &OrgId,
    users: &[UserId],
) -> Result<Vec<MembershipRow>> {
    let mut rows = Vec::new();
    for chunk in users.chunks(500) {
        let mut q = Sql::new(MEMBERSHIP_SELECT);
        q.push(" WHERE m.org_id = ")
            .bind(org.clone())
            .push(" AND m.user_id IN ");
        q.bind_list(chunk).push(" ORDER BY m.user_id, m.team_id");
        let (text, args) = q.build();
        rows.extend(
            sqlx::query_as_with::<_, MembershipRow, _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(rows)
}

pub async fn get_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
) -> Result<Option<MembershipRow>> {
    Ok(sqlx::query_as(&format!(
        "{MEMBERSHIP_SELECT} WHERE m.org_id = $1 AND m.user_id = $2 AND m.team_id = $3"
    ))
    .bind(org)
    .bind(user)
    .bind(team)
    .fetch_optional(c)
    .await?)
}

/// Which of these users are already members of the team.
pub async fn members_among(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    users: &[UserId],
) -> Result<Vec<UserId>> {
    let mut found = Vec::new();
    for chunk in users.chunks(500) {
        let mut q = Sql::new("SELECT user_id FROM memberships WHERE org_id = ");
        q.bind(org.clone())
            .push(" AND team_id = ")
            .bind(team.clone())
            .push(" AND user_id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        found.extend(
            sqlx::query_scalar_with::<_, UserId, _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts memberships of these users in one team, all with the same role and app access.
pub async fn insert_memberships(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    users: &[UserId],
    team_role: TeamRole,
    app_access: bool,
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(400) {
        let mut q = Sql::new(
            "INSERT INTO memberships (org_id, team_id, user_id, team_role, app_access, access_since, created_at) VALUES ",
        );
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(org.clone())
                .push(", ")
                .bind(team.clone())
                .push(", ")
                .bind(u.clone());
            q.push(", ")
                .bind(team_role)
                .push(", ")
                .bind(i64::from(app_access))
                .push(", ")
                .bind(app_access.then_some(now))
                .push(", ")
                .bind(now)
                .push(")");
        }
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    if app_access && !users.is_empty() {
        add_seats(c, org, team, users.len() as i64).await?;
    }
    Ok(())
}

/// Moves a team's seat counter (`teams.seats_used`). Every function here that changes who holds
/// a seat calls it in the same transaction, so the counter can't drift from the memberships.
pub async fn add_seats(c: &mut Conn, org: &OrgId, team: &TeamId, delta: i64) -> Result<()> {
    sqlx::query("UPDATE teams SET seats_used = seats_used + $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(team)
        .bind(delta)
        .execute(c)
        .await?;
    Ok(())
}

/// Sets a membership's team role and app access; `had_access` is its app access before (read by
/// the caller under the organization's write lock), so the team's seat counter follows.
#[allow(clippy::too_many_arguments)]
pub async fn update_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
    team_role: TeamRole,
    app_access: bool,
    had_access: bool,
) -> Result<()> {
    // R29: `access_since` starts when access turns on and is cleared when it turns off.
    sqlx::query(
        "UPDATE memberships SET team_role = $4, app_access = $5, \
         access_since = CASE WHEN $5 = 0 THEN NULL WHEN app_access = 1 THEN access_since ELSE $6 END \
         WHERE org_id = $1 AND user_id = $2 AND team_id = $3",
    )
    .bind(org)
    .bind(user)
    .bind(team)
    .bind(team_role)
    .bind(i64::from(app_access))
    .bind(crate::now_ms())
    .execute(&mut *c)
    .await?;
    let delta = i64::from(app_access) - i64::from(had_access);
    if delta != 0 {
        add_seats(c, org, team, delta).await?;
    }
    Ok(())
}

/// Deletes a membership; `had_access` is its app access (read by the caller under the
/// organization's write lock), so the team's seat counter follows.
pub async fn delete_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
    had_access: bool,
) -> Result<()> {
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 AND team_id = $3")
        .bind(org)
        .bind(user)
        .bind(team)
        .execute(&mut *c)
        .await?;
    if had_access {
        add_seats(c, org, team, -1).await?;
    }
    Ok(())
}

pub async fn delete_memberships_of_user(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query(
        "UPDATE teams SET seats_used = seats_used - 1 WHERE org_id = $1 AND id IN \
         (SELECT team_id FROM memberships WHERE org_id = $1 AND user_id = $2 AND app_access = 1)",
    )
    .bind(org)
    .bind(user)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(c)
        .await?;
    Ok(())
}

/// Seat holders counted from the memberships themselves, per team: what `teams.seats_used` must
/// always equal (checked by tests).
pub async fn counted_seats(c: &mut Conn, org: &OrgId) -> Result<Vec<(TeamId, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.seats_used, CAST((SELECT COUNT(*) FROM memberships m WHERE m.org_id = t.org_id \
         AND m.team_id = t.id AND m.app_access = 1) + (SELECT COUNT(*) FROM devices d WHERE d.org_id = t.org_id \
         AND d.team_id = t.id) AS BIGINT) FROM teams t WHERE t.org_id = $1",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}
