//! The users holding an org role.

use crate::views::{OrgRoleView, parse_org_role};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::people;

impl Services {
    pub async fn list_org_roles(&self, who: &OrgCaller) -> ServiceResult<Vec<OrgRoleView>> {
        who.may(Action::ViewOrgRoles)?;
        let mut c = self.store.read().await?;
        Ok(people::list_org_roles(&mut c, who.org.as_str())
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(OrgRoleView::new(
                    r.user_id,
                    r.email,
                    r.name,
                    parse_org_role(Some(&r.org_role))?,
                ))
            })
            .collect())
    }
}
