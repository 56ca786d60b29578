//! Who the caller is in one organization. Loaded once per request from the org id in the path;
//! a caller with no standing in the organization gets "not found", exactly as for an organization
//! that does not exist, so one organization's ids reveal nothing about another's. Write use cases
//! load it again under the organization's write lock ([`crate::write`]).

use crate::auth::Session;
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::access::{self, Action, Scope, Standing};
use switchboard_domain::ids::{ApiTokenId, OrgId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_store::{Conn, orgs, people};

/// A signed-in user acting inside one organization.
#[derive(Debug, Clone)]
pub struct OrgCaller {
    /// The person acting — for an API token, the Org Admin who created it (recorded where a
    /// change keeps its author); the token itself is the audit log's actor.
    pub user: UserId,
    /// Set when an organization API token acts: its standing comes from its scopes.
    pub token: Option<ApiTokenId>,
    pub org: OrgId,
    pub standing: Standing,
}

impl OrgCaller {
    /// Asks the permission table; a refusal becomes a 403.
    pub fn may(&self, action: Action<'_>) -> ServiceResult<Scope> {
        Ok(access::decide(&self.standing, action)?)
    }
}

/// What `user` holds in `org` now; `None` if the organization does not exist or they have no
/// standing there.
pub(crate) async fn load(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
) -> ServiceResult<Option<Standing>> {
    let Some(row) = orgs::get_org(c, org).await? else {
        return Ok(None);
    };
    let Some(role) = people::org_role(c, org, user).await? else {
        return Ok(None);
    };
    let memberships = people::memberships_of_users(c, org, std::slice::from_ref(user)).await?;
    Ok(Some(Standing {
        org_role: role,
        team_admin_of: memberships
            .iter()
            .filter(|m| m.team_role == TeamRole::TeamAdmin)
            .map(|m| m.team_id.clone())
            .collect(),
        member_of: memberships.iter().map(|m| m.team_id.clone()).collect(),
        org_established: row.established_at.is_some(),
        initial_team: Some(row.initial_team_id),
        token: None,
    }))
}

impl Services {
    /// The caller's standing in the organization `org` (as written in the path). A session
    /// limited to another organization (an SSO sign-in there) finds nothing here.
    pub async fn org_caller(&self, session: &Session, org: &str) -> ServiceResult<OrgCaller> {
        let not_found = || ServiceError::NotFound {
            what: "organization",
        };
        let user = &session.user;
        let org = OrgId::parse(org).ok_or_else(not_found)?;
        if session.only_org.as_ref().is_some_and(|o| *o != org) {
            return Err(not_found());
        }
        let mut c = self.store.read().await?;
        let standing = load(&mut c, &org, user).await?.ok_or_else(not_found)?;
        Ok(OrgCaller {
            token: None,
            user: user.clone(),
            org,
            standing,
        })
    }
}
