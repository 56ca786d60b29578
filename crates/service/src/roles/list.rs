//! The users holding an org role.

use crate::views::OrgRoleView;
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::people;

impl Services {
    pub async fn list_org_roles(&self, who: &OrgCaller) -> ServiceResult<Vec<OrgRoleView>> {
        who.may(Action::ViewOrgRoles)?;
        let mut c = self.store.read().await?;
        Ok(people::list_org_roles(&mut c, &who.org)
            .await?
            .into_iter()
            .map(|r| OrgRoleView::new(r.user_id.into(), r.email, r.name, r.org_role))
            .collect())
    }
}
