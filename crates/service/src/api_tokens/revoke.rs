//! Revoking an API token: it stops working at once, on every instance (each request reads it).

use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::ApiTokenId;
use switchboard_store::api_tokens as store;
use switchboard_store::now_ms;

impl Services {
    pub async fn revoke_api_token(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &ApiTokenId,
    ) -> ServiceResult<()> {
        let not_found = || ServiceError::NotFound { what: "API token" };
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageApiTokens)?;
        let row = store::live_by_id(w.db(), &who.org, id, i64::MIN)
            .await?
            .ok_or_else(not_found)?;
        store::revoke(w.db(), &who.org, id, now_ms()).await?;
        w.record(AuditEvent::ApiTokenRevoked {
            token: id.clone(),
            name: row.name,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
