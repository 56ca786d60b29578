//! Claiming a domain (its token made, the record to publish answered) and removing one.

use super::{ClaimDomain, DomainView, not_found, parse, view};
use crate::error::on_unique;
use crate::{OrgCaller, ProblemCode, RequestInfo, ServiceError, ServiceResult, Services};
use rand::Rng;
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::domain_name::DomainName;
use switchboard_store::{domains as store, now_ms};

/// The refusal for a domain another organization has verified.
pub(crate) fn claimed_elsewhere(domain: &str) -> ServiceError {
    ServiceError::conflict(
        ProblemCode::DomainClaimed,
        format!(
            "{domain} is verified by another organization. If it is yours, ask your vendor to look into it."
        ),
    )
}

impl Services {
    /// Claims a domain: answers the TXT record that proves it. Claiming one the organization
    /// already has answers it as it stands (the same record).
    pub async fn claim_domain(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        req: ClaimDomain,
    ) -> ServiceResult<DomainView> {
        let domain = parse(&req.domain)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageDomains)?;
        if let Some(row) = store::get(w.db(), &who.org, domain.as_str()).await? {
            return Ok(view(row));
        }
        if store::verified_owner(w.db(), domain.as_str())
            .await?
            .is_some_and(|owner| owner != who.org)
        {
            return Err(claimed_elsewhere(domain.as_str()));
        }
        let token = hex::encode(rand::rng().random::<[u8; 16]>());
        store::insert(
            w.db(),
            &who.org,
            domain.as_str(),
            &token,
            who.user.as_str(),
            now_ms(),
        )
        .await
        .map_err(on_unique(ProblemCode::DomainClaimed, || {
            format!("{domain} is claimed already")
        }))?;
        w.record(AuditEvent::DomainClaimed {
            org: who.org.clone(),
            domain: domain.to_string(),
        })
        .await?;
        let row = store::get(w.db(), &who.org, domain.as_str())
            .await?
            .ok_or_else(not_found)?;
        w.commit().await?;
        Ok(view(row))
    }

    /// Removes a domain from the organization; it routes nobody afterwards.
    pub async fn remove_domain(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        domain: &DomainName,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageDomains)?;
        if !store::delete(w.db(), &who.org, domain.as_str()).await? {
            return Err(not_found());
        }
        w.record(AuditEvent::DomainRemoved {
            org: who.org.clone(),
            domain: domain.to_string(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
