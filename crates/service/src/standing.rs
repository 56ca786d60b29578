//! Who the caller is in one organization. Loaded once per request from the org id in the path;
//! a caller with no standing in the organization gets "not found", exactly as for an organization
//! that does not exist, so one organization's ids reveal nothing about another's. Write use cases
//! load it again under the organization's write lock ([`crate::write`]).

use crate::auth::Session;
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::access::{self, Action, Scope, Standing};
use switchboard_domain::ids::{ApiTokenId, OrgId, UserId};
use switchboard_domain::reach::{Authority, Reach};
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
    /// Who vouched for the person's credential (R33), checked again under the write lock;
    /// `None` for an API token, which belongs to its organization.
    pub via: Option<Authority>,
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

/// How far a credential of `via` reaches `user` into `org` (R33); `None` for a person who is gone.
pub(crate) async fn reach_of(
    c: &mut Conn,
    via: &Authority,
    org: &OrgId,
    user: &UserId,
) -> ServiceResult<Reach> {
    if let Authority::Sso(vouching) = via {
        // Decided without a read: another organization's provider never vouches here.
        if vouching != org {
            return Ok(Reach::None);
        }
    }
    let Some(row) = people::get_user(c, user).await? else {
        return Ok(Reach::None);
    };
    crate::sso::enforce::reach_in(c, via, org, &row).await
}

impl Services {
    /// The caller's standing in the organization `org` (as written in the path). A session the
    /// organization doesn't accept for this person (R33: another organization's provider, or a
    /// code where its SSO binds them) finds nothing here, as if they weren't a member.
    pub async fn org_caller(&self, session: &Session, org: &str) -> ServiceResult<OrgCaller> {
        let not_found = || ServiceError::NotFound {
            what: "organization",
        };
        let user = &session.user;
        let org = OrgId::parse(org).ok_or_else(not_found)?;
        let via = session.authority();
        let mut c = self.store.read().await?;
        if reach_of(&mut c, &via, &org, user).await? == Reach::None {
            return Err(not_found());
        }
        let standing = load(&mut c, &org, user).await?.ok_or_else(not_found)?;
        Ok(OrgCaller {
            token: None,
            user: user.clone(),
            org,
            standing,
            via: Some(via),
        })
    }
}
