//! Users (global identities), org members (a user's presence and org role in an organization) and
//! team memberships; the filtered, cursor-paginated user list lives in [`crate::user_list`] and is
//! re-exported here. The bulk functions take many rows per statement so adding 1,000 users is a
//! handful of round trips, not thousands.

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, Presence, TeamRole};
use switchboard_domain::team::LoginType;

pub use crate::user_list::{
    SPARSE_MATCHES, SPREAD, UserFilter, UserListRow, backfill_spread, count_users, is_rare,
    list_users, search_text, spread, user_list_sql,
};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub first_signed_in_at: Option<i64>,
    pub created_at: i64,
}

pub async fn get_user(c: &mut Conn, id: &UserId) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, first_signed_in_at, created_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn find_user_by_email(c: &mut Conn, email: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, first_signed_in_at, created_at FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(c)
    .await?)
}

/// Users with these emails that exist, as (email, id).
pub async fn find_users_by_emails(
    c: &mut Conn,
    emails: &[String],
) -> Result<Vec<(String, UserId)>> {
    let mut found = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(500) {
        let mut q = Sql::new("SELECT email, id FROM users WHERE email IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        found.extend(
            sqlx::query_as_with::<_, (String, UserId), _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts new users given as (id, email, name). An email that another transaction created
/// meanwhile (users are global, so another organization's writer may) is left alone: read the ids
/// back with [`find_users_by_emails`].
pub async fn insert_users(
    c: &mut Conn,
    users: &[(UserId, String, Option<String>)],
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO users (id, email, name, search, search_spread, first_signed_in_at, created_at) VALUES ",
        );
        for (i, (id, email, name)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(id.clone())
                .push(", ")
                .bind(email.clone())
                .push(", ")
                .bind(name.clone());
            let search = search_text(email, name.as_deref());
            let spread_text = spread(&search);
            q.push(", ").bind(search).push(", ").bind(spread_text);
            q.push(", NULL, ").bind(now).push(")");
        }
        q.push(" ON CONFLICT (email) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

/// The id of the user with this email, creating the user if there is none.
pub async fn ensure_user(c: &mut Conn, new_id: &UserId, email: &str, now: i64) -> Result<UserId> {
    insert_users(c, &[(new_id.clone(), email.to_owned(), None)], now).await?;
    Ok(find_user_by_email(c, email)
        .await?
        .map(|u| u.id)
        .unwrap_or_else(|| new_id.clone()))
}

pub async fn set_user_name(
    c: &mut Conn,
    id: &UserId,
    email: &str,
    name: Option<&str>,
) -> Result<()> {
    let search = search_text(email, name);
    let spread_text = spread(&search);
    sqlx::query("UPDATE users SET name = $2, search = $3, search_spread = $4 WHERE id = $1")
        .bind(id)
        .bind(name.map(str::to_owned))
        .bind(search)
        .bind(spread_text)
        .execute(c)
        .await?;
    Ok(())
}

/// R4: emails stored before an IDNA domain's ASCII form (`xn--…`) was read as its Unicode form
/// are rewritten to the one canonical form — unless that form is another user's already (then
/// both stay, and the count of such pairs is answered for the log).
pub async fn canonicalize_emails(c: &mut Conn) -> Result<(usize, usize)> {
    let rows: Vec<(UserId, String, Option<String>)> =
        sqlx::query_as("SELECT id, email, name FROM users WHERE email LIKE '%xn--%'")
            .fetch_all(&mut *c)
            .await?;
    let (mut fixed, mut clashes) = (0, 0);
    for (id, email, name) in rows {
        let Ok(canonical) = switchboard_domain::email::Email::parse(&email) else {
            continue;
        };
        if canonical.as_str() == email {
            continue;
        }
        if find_user_by_email(c, canonical.as_str()).await?.is_some() {
            clashes += 1;
            continue;
        }
        let search = search_text(canonical.as_str(), name.as_deref());
        let spread_text = spread(&search);
        sqlx::query("UPDATE users SET email = $2, search = $3, search_spread = $4 WHERE id = $1")
            .bind(&id)
            .bind(canonical.as_str())
            .bind(search)
            .bind(spread_text)
            .execute(&mut *c)
            .await?;
        fixed += 1;
    }
    Ok((fixed, clashes))
}

/// R11: the first successful sign-in moves the user to `signed_in`.
pub async fn mark_signed_in(c: &mut Conn, id: &UserId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET first_signed_in_at = $2 WHERE id = $1 AND first_signed_in_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

// ---- org members ---------------------------------------------------------------------------

/// Whether the user is in the organization, and with which org role.
pub async fn presence(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Presence> {
    let row: Option<(Option<OrgRole>,)> =
        sqlx::query_as("SELECT org_role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_optional(c)
            .await?;
    Ok(row.map_or(Presence::Outside, |r| Presence::Member(r.0)))
}

/// A user of an organization: who they are, their org role (`None`: in it without one), and
/// their invitation and first sign-in there.
#[derive(Debug, Clone, FromRow)]
pub struct OrgMemberRow {
    pub email: String,
    pub name: Option<String>,
    pub org_role: Option<OrgRole>,
    pub invited_at: Option<i64>,
    pub first_signed_in_at: Option<i64>,
    /// When the user (the identity, not their presence here) was created.
    pub created_at: i64,
}

/// The user as a member of the organization, in one read; `None` if they are not in it.
pub async fn org_member(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<OrgMemberRow>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.name, m.org_role, m.invited_at, m.first_signed_in_at, u.created_at \
         FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(org)
    .bind(user)
    .fetch_optional(c)
    .await?)
}

/// Adds users to the organization (without an org role); users already in it are left alone.
pub async fn insert_org_members(
    c: &mut Conn,
    org: &OrgId,
    users: &[UserId],
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q =
            Sql::new("INSERT INTO org_members (org_id, user_id, org_role, created_at) VALUES ");
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(org.clone())
                .push(", ")
                .bind(u.clone())
                .push(", NULL, ")
                .bind(now)
                .push(")");
        }
        q.push(" ON CONFLICT (org_id, user_id) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn set_org_role(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    role: Option<OrgRole>,
) -> Result<()> {
    sqlx::query("UPDATE org_members SET org_role = $3 WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(c)
        .await?;
    Ok(())
}

/// R11, R33: the first sign-in that reaches each of these organizations moves the person to
/// `signed_in` there.
pub async fn mark_signed_in_at(
    c: &mut Conn,
    orgs: &[OrgId],
    user: &UserId,
    now: i64,
) -> Result<()> {
    if orgs.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("UPDATE org_members SET first_signed_in_at = ");
    q.bind(now).push(" WHERE user_id = ").bind(user.clone());
    q.push(" AND first_signed_in_at IS NULL AND org_id IN ");
    q.bind_list(orgs);
    let (text, args) = q.build();
    sqlx::query_with(&text, args).execute(c).await?;
    Ok(())
}

/// Demo data: every member of the organization who signed in did so here.
pub async fn demo_signed_in_here(c: &mut Conn, org: &OrgId) -> Result<()> {
    sqlx::query(
        "UPDATE org_members SET first_signed_in_at = (SELECT u.first_signed_in_at FROM users u \
         WHERE u.id = org_members.user_id) WHERE org_id = $1",
    )
    .bind(org)
    .execute(c)
    .await?;
    Ok(())
}

/// When the person first signed in to this organization, if ever.
pub async fn signed_in_here(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT first_signed_in_at FROM org_members WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org)
    .bind(user)
    .fetch_optional(c)
    .await?
    .flatten())
}

/// Of these users, those an invitation is for: not in the organization yet, and never signed in.
pub async fn to_invite(c: &mut Conn, org: &OrgId, users: &[UserId]) -> Result<Vec<UserId>> {
    let mut found = Vec::new();
    for chunk in users.chunks(500) {
        let mut q =
            Sql::new("SELECT u.id FROM users u WHERE u.first_signed_in_at IS NULL AND u.id IN ");
        q.bind_list(chunk);
        q.push(" AND NOT EXISTS (SELECT 1 FROM org_members om WHERE om.org_id = ")
            .bind(org.clone())
            .push(" AND om.user_id = u.id)");
        let (text, args) = q.build();
        found.extend(
            sqlx::query_scalar_with::<_, UserId, _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(found)
}

/// Records that these users were invited to the organization now.
pub async fn mark_invited(c: &mut Conn, org: &OrgId, users: &[UserId], now: i64) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q = Sql::new("UPDATE org_members SET invited_at = ");
        q.bind(now)
            .push(" WHERE org_id = ")
            .bind(org.clone())
            .push(" AND user_id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

/// When the user was last invited to the organization, if ever.
pub async fn invited_at(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT invited_at FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_optional(c)
            .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn delete_org_member(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn count_org_role(c: &mut Conn, org: &OrgId, role: OrgRole) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_members WHERE org_id = $1 AND org_role = $2",
    )
    .bind(org)
    .bind(role)
    .fetch_one(c)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct OrgRoleRow {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub org_role: OrgRole,
}

pub async fn list_org_roles(c: &mut Conn, org: &OrgId) -> Result<Vec<OrgRoleRow>> {
    Ok(sqlx::query_as(
        "SELECT om.user_id, u.email, u.name, om.org_role FROM org_members om JOIN users u ON u.id = om.user_id \
         WHERE om.org_id = $1 AND om.org_role IS NOT NULL ORDER BY om.user_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// One organization a user is in.
#[derive(Debug, Clone, FromRow)]
pub struct UserOrg {
    pub org_id: OrgId,
    /// `None` until the organization is established (R2).
    pub org_name: Option<String>,
    pub org_role: Option<OrgRole>,
}

/// Organizations the user is in, with their org role there.
pub async fn orgs_of_user(c: &mut Conn, user: &UserId) -> Result<Vec<UserOrg>> {
    Ok(sqlx::query_as(
        "SELECT o.id AS org_id, o.name AS org_name, om.org_role FROM org_members om JOIN orgs o ON o.id = om.org_id \
         WHERE om.user_id = $1 ORDER BY o.id",
    )
    .bind(user)
    .fetch_all(c)
    .await?)
}

// ---- memberships ---------------------------------------------------------------------------

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
            "INSERT INTO memberships (org_id, team_id, user_id, team_role, app_access, created_at) VALUES ",
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
    sqlx::query("UPDATE memberships SET team_role = $4, app_access = $5 WHERE org_id = $1 AND user_id = $2 AND team_id = $3")
        .bind(org)
        .bind(user)
        .bind(team)
        .bind(team_role)
        .bind(i64::from(app_access))
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

/// Marks these users as signed in (demo data).
pub async fn mark_many_signed_in(c: &mut Conn, users: &[UserId], now: i64) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q = Sql::new("UPDATE users SET first_signed_in_at = ");
        q.bind(now).push(" WHERE id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
        let mut q = Sql::new("UPDATE org_members SET first_signed_in_at = ");
        q.bind(now).push(" WHERE user_id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}
