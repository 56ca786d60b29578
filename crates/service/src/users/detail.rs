//! One user with the memberships the caller may see.

use super::{Member, load_member};
use crate::teams::in_scope;
use crate::views::{MembershipView, UserView, membership_view, status_of};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::{Action, Scope};
use switchboard_domain::ids::UserId;
use switchboard_store::Conn;

impl Services {
    /// A user with every membership the caller may see.
    pub async fn get_user(&self, who: &OrgCaller, user: &UserId) -> ServiceResult<UserView> {
        let scope = who.may(Action::ViewUsers)?;
        let mut c = self.store.read().await?;
        let member = load_member(&mut c, who, user).await?;
        self.member_view(&mut c, who, &scope, member).await
    }

    /// The user as the caller's scope shows them: 403 for a Team Admin who shares no team with
    /// them.
    pub(super) async fn member_view(
        &self,
        c: &mut Conn,
        who: &OrgCaller,
        scope: &Scope,
        member: Member,
    ) -> ServiceResult<UserView> {
        let visible: Vec<MembershipView> = member
            .memberships
            .iter()
            .filter(|m| in_scope(scope, &m.team_id))
            .map(membership_view)
            .collect();
        if visible.is_empty() && *scope != Scope::Org {
            // In the organization, but outside the Team Admin's teams.
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        let id = member.person.id;
        let last_active =
            switchboard_store::usage::subject_last_active(c, &who.org, id.as_str()).await?;
        let row = member.row;
        Ok(UserView {
            id: id.into(),
            email: row.email,
            name: row.name,
            status: status_of(row.first_signed_in_at),
            invited_at: row.invited_at.map(crate::views::rfc3339),
            last_active,
            org_role: row.org_role,
            memberships: visible,
        })
    }
}
