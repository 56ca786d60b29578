//! Org members: a user's presence in an organization, their org role there, their invitation
//! and first sign-in there.

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, UserId};
use switchboard_domain::role::{OrgRole, Presence};

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
