//! One user with the memberships the caller may see.

use super::{load_member, not_found_user};
use crate::teams::in_scope;
use crate::views::{MembershipView, UserView, membership_view, status_of};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::{Action, Scope};
use switchboard_store::Conn;
use switchboard_store::people::{self};

impl Services {
    /// A user with every membership the caller may see.
    pub async fn get_user(&self, who: &OrgCaller, user: &str) -> ServiceResult<UserView> {
        let scope = who.may(Action::ViewUsers)?;
        let mut c = self.store.read().await?;
        self.user_in_scope(&mut c, who, &scope, user).await
    }

    pub(crate) async fn user_in_scope(
        &self,
        c: &mut Conn,
        who: &OrgCaller,
        scope: &Scope,
        user: &str,
    ) -> ServiceResult<UserView> {
        let (id, role, memberships) = load_member(c, who, user).await?;
        let visible: Vec<MembershipView> = memberships
            .iter()
            .filter(|m| in_scope(scope, &m.team_id))
            .map(membership_view)
            .collect();
        if visible.is_empty() && *scope != Scope::Org {
            // In the organization, but outside the Team Admin's teams.
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        let u = people::get_user(c, &id).await?.ok_or_else(not_found_user)?;
        let invited_at = people::invited_at(c, &who.org, &id).await?;
        let signed_in_here = people::signed_in_here(c, &who.org, &id).await?;
        let last_active =
            switchboard_store::usage::subject_last_active(c, &who.org, id.as_str()).await?;
        Ok(UserView {
            id: u.id.into(),
            email: u.email,
            name: u.name,
            status: status_of(signed_in_here),
            invited_at: invited_at.map(crate::views::rfc3339),
            last_active,
            org_role: role,
            memberships: visible,
        })
    }
}
