//! What a person holds in one organization, read in two statements: who they are there (email,
//! org role, and the organization's establishment and initial team) and their memberships with
//! each team's login type and SSO policy. Every request of a signed-in person reads this once
//! before its handler runs and, for a change, once more under the organization's write lock.

use crate::{Conn, Result};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, PolicyId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole};
use switchboard_domain::team::LoginType;

/// The person in the organization; absent when either is missing or they are not in it.
#[derive(Debug, Clone, FromRow)]
pub struct PresenceRow {
    pub email: String,
    pub org_role: Option<OrgRole>,
    pub established_at: Option<i64>,
    pub initial_team_id: TeamId,
}

/// One membership with what R24 and R33 ask of its team.
#[derive(Debug, Clone, FromRow)]
pub struct HeldTeamRow {
    pub team_id: TeamId,
    pub team_role: TeamRole,
    pub login_type: LoginType,
    /// The SSO policy covering the team, if any.
    pub sso_policy: Option<PolicyId>,
}

pub async fn presence(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<PresenceRow>> {
    Ok(sqlx::query_as(
        "SELECT u.email, m.org_role, o.established_at, o.initial_team_id FROM org_members m \
         JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(org)
    .bind(user)
    .fetch_optional(c)
    .await?)
}

pub async fn held_teams(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Vec<HeldTeamRow>> {
    Ok(sqlx::query_as(
        "SELECT m.team_id, m.team_role, t.login_type, pt.policy_id AS sso_policy FROM memberships m \
         JOIN teams t ON t.org_id = m.org_id AND t.id = m.team_id \
         LEFT JOIN policy_teams pt ON pt.org_id = m.org_id AND pt.team_id = m.team_id AND pt.kind = 'sso' \
         WHERE m.org_id = $1 AND m.user_id = $2 ORDER BY m.team_id",
    )
    .bind(org)
    .bind(user)
    .fetch_all(c)
    .await?)
}
