//! The organization's API tokens (never their secrets).

use super::{ApiTokenView, view};
use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::{api_tokens as store, people};

impl Services {
    pub async fn list_api_tokens(&self, who: &OrgCaller) -> ServiceResult<Vec<ApiTokenView>> {
        who.may(Action::ManageApiTokens)?;
        let mut c = self.store.read().await?;
        let rows = store::list(&mut c, &who.org).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let email = people::get_user(&mut c, &row.created_by)
                .await?
                .map(|u| u.email);
            views.push(ApiTokenView {
                created_by_email: email,
                ..view(row)
            });
        }
        Ok(views)
    }
}
