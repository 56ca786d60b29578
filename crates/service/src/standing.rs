//! Who the caller is in one organization. Loaded once per request from the org id in the path;
//! a caller with no standing in the organization gets "not found", exactly as for an organization
//! that does not exist, so one organization's ids reveal nothing about another's. Write use cases
//! load it again under the organization's write lock ([`crate::write`]).

use crate::auth::Session;
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::access::{self, Action, Scope, Standing};
use switchboard_domain::ids::{ApiTokenId, OrgId, UserId};
use switchboard_domain::reach::{Authority, OrgFacts, Reach, reach};
use switchboard_domain::role::{OrgRole, TeamRole};
use switchboard_domain::team::LoginType;
use switchboard_store::standing as store;
use switchboard_store::{Conn, people};

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

/// What `user` holds in `org` now, with their email (the audit log's name for them), read in
/// two statements; `None` if the organization does not exist, they have no standing there, or a
/// credential of `via` doesn't reach them there (R33). `via` is `None` for callers that are not a
/// person's credential (an API token's creator).
pub(crate) async fn load(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    via: Option<&Authority>,
) -> ServiceResult<Option<(Standing, String)>> {
    if let Some(Authority::Sso(vouching)) = via
        && vouching != org
    {
        // Decided without a read: another organization's provider never vouches here.
        return Ok(None);
    }
    let Some(presence) = store::presence(c, org, user).await? else {
        return Ok(None);
    };
    let held = store::held_teams(c, org, user).await?;
    if let Some(via) = via {
        let under_sso: Vec<bool> = held
            .iter()
            .filter(|t| t.login_type == LoginType::Email)
            .map(|t| t.sso_policy.is_some())
            .collect();
        // Only a person every one of whose email teams is under SSO needs the rest.
        let bound = !under_sso.is_empty() && under_sso.iter().all(|s| *s);
        let facts = OrgFacts {
            email_teams_under_sso: under_sso,
            org_admin: bound && presence.org_role == Some(OrgRole::OrgAdmin),
            break_glass: bound
                && crate::sso::enforce::is_break_glass(c, org, &presence.email).await?,
        };
        if reach(via, org, &facts) == Reach::None {
            return Ok(None);
        }
    }
    let standing = Standing {
        org_role: presence.org_role,
        team_admin_of: held
            .iter()
            .filter(|m| m.team_role == TeamRole::TeamAdmin)
            .map(|m| m.team_id.clone())
            .collect(),
        member_of: held.iter().map(|m| m.team_id.clone()).collect(),
        org_established: presence.established_at.is_some(),
        initial_team: Some(presence.initial_team_id),
        token: None,
    };
    Ok(Some((standing, presence.email)))
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
        let (standing, _) = load(&mut c, &org, user, Some(&via))
            .await?
            .ok_or_else(not_found)?;
        Ok(OrgCaller {
            token: None,
            user: user.clone(),
            org,
            standing,
            via: Some(via),
        })
    }
}
