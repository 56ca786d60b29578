//! R25: recomputing the hash chain, for `switchboard audit verify`.

use crate::{ServiceResult, Services};
use switchboard_domain::ids::OrgId;
use switchboard_store::audit::{self};

impl Services {
    /// Recomputes the organization's hash chain; `Some(seq)` names the first broken entry.
    pub async fn verify_audit_chain(&self, org: &OrgId) -> ServiceResult<Option<i64>> {
        let mut c = self.store.read().await?;
        Ok(audit::verify_chain(&mut c, org).await?)
    }

    /// Every organization's id, for checking every chain.
    pub async fn all_org_ids(&self) -> ServiceResult<Vec<OrgId>> {
        let mut c = self.store.read().await?;
        Ok(switchboard_store::orgs::all_ids(&mut c).await?)
    }
}
