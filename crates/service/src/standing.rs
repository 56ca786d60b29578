//! Who the caller is in one organization. Loaded once per request from the org id in the path;
//! a caller with no standing in the organization gets "not found", exactly as for an organization
//! that does not exist, so one organization's ids reveal nothing about another's.

use crate::views::parse_org_role;
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::access::{self, Action, Scope, Standing};
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_store::people;

/// A signed-in user acting inside one organization.
#[derive(Debug, Clone)]
pub struct OrgCaller {
    pub user: UserId,
    pub org: OrgId,
    pub standing: Standing,
}

impl OrgCaller {
    /// Asks the permission table; a refusal becomes a 403.
    pub fn may(&self, action: Action<'_>) -> ServiceResult<Scope> {
        Ok(access::decide(&self.standing, action)?)
    }

    pub fn actor(&self) -> &str {
        self.user.as_str()
    }
}

impl Services {
    /// The caller's standing in the organization `org` (as written in the path).
    pub async fn org_caller(&self, user: &UserId, org: &str) -> ServiceResult<OrgCaller> {
        let not_found = || ServiceError::NotFound {
            what: "organization",
        };
        let org = OrgId::parse(org).ok_or_else(not_found)?;
        let mut c = self.store.read().await?;
        let row = switchboard_store::orgs::get_org(&mut c, org.as_str())
            .await?
            .ok_or_else(not_found)?;
        let role = people::org_role(&mut c, org.as_str(), user.as_str())
            .await?
            .ok_or_else(not_found)?;
        let memberships =
            people::memberships_of_users(&mut c, org.as_str(), &[user.as_str().to_owned()]).await?;
        let standing = Standing {
            org_role: parse_org_role(role.as_deref()),
            team_admin_of: memberships
                .iter()
                .filter(|m| m.team_role == TeamRole::TeamAdmin.as_str())
                .map(|m| TeamId::from_db(m.team_id.clone()))
                .collect(),
            member_of: memberships
                .iter()
                .map(|m| TeamId::from_db(m.team_id.clone()))
                .collect(),
            org_established: row.established_at.is_some(),
            initial_team: Some(TeamId::from_db(row.initial_team_id)),
        };
        Ok(OrgCaller {
            user: user.clone(),
            org,
            standing,
        })
    }
}
