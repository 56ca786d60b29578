//! The organization's domains, with the record each needs.

use super::{DomainView, view};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::domains as store;

impl Services {
    pub async fn list_domains(&self, who: &OrgCaller) -> ServiceResult<Vec<DomainView>> {
        who.may(Action::ViewDomains)?;
        let mut c = self.store.read().await?;
        Ok(store::list(&mut c, &who.org)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }
}
