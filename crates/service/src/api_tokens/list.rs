//! The organization's API tokens (never their secrets).

use super::{ApiTokenView, view};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::api_tokens as store;

impl Services {
    pub async fn list_api_tokens(&self, who: &OrgCaller) -> ServiceResult<Vec<ApiTokenView>> {
        who.may(Action::ManageApiTokens)?;
        let mut c = self.store.read().await?;
        Ok(store::list(&mut c, &who.org)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }
}
