//! R25: recomputing the hash chain, for `switchboard audit verify`.

use crate::{ServiceResult, Services};
use switchboard_domain::ids::OrgId;
use switchboard_store::audit::{self};

impl Services {
    /// Recomputes the organization's hash chain and compares its end with the head kept on the
    /// organization's row: the head when intact, else the first broken entry's number.
    pub async fn verify_audit_chain(
        &self,
        org: &OrgId,
    ) -> ServiceResult<Result<audit::AuditHead, i64>> {
        let mut c = self.store.read().await?;
        Ok(match audit::verify_chain(&mut c, org).await? {
            Some(seq) => Err(seq),
            None => audit::head(&mut c, org).await.map(Ok)?,
        })
    }

    /// Every organization's id, for checking every chain.
    pub async fn all_org_ids(&self) -> ServiceResult<Vec<OrgId>> {
        let mut c = self.store.read().await?;
        Ok(switchboard_store::orgs::all_ids(&mut c).await?)
    }
}
