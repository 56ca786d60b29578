//! Verifying a claimed domain: its TXT record looked up (outside any transaction: a DNS answer
//! never holds the organization's lock), then the claim marked verified under the lock — where
//! a domain another organization verified meanwhile is refused by the unique index. And the
//! operator's word, which needs no record.

use super::claim::claimed_elsewhere;
use super::{DomainView, not_found, parse, record_found, view};
use crate::error::on_unique;
use crate::write::Actor;
use crate::{OrgCaller, ProblemCode, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::domain_name::{DomainName, DomainStatus, challenge_value};
use switchboard_domain::ids::OrgId;
use switchboard_store::{domains as store, now_ms};

impl Services {
    /// Looks the claim's TXT record up; found, the domain is verified.
    pub async fn verify_domain(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        domain: &DomainName,
    ) -> ServiceResult<DomainView> {
        who.may(Action::ManageDomains)?;
        let row = {
            let mut c = self.store.read().await?;
            store::get(&mut c, &who.org, domain.as_str())
                .await?
                .ok_or_else(not_found)?
        };
        if row.status == DomainStatus::Verified {
            return Ok(view(row));
        }
        let (name, value) = (domain.challenge_name(), challenge_value(&row.token));
        match record_found(&self.dns, &name, &value).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(ServiceError::invalid(
                    "domain",
                    format!(
                        "no TXT record {name} with the value {value} was found yet. Publish it at your DNS provider and try again; changes can take a few minutes to show"
                    ),
                ));
            }
            Err(why) => {
                return Err(ServiceError::invalid(
                    "domain",
                    format!("the DNS lookup of {name} failed ({why}); try again in a minute"),
                ));
            }
        }
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageDomains)?;
        store::get(w.db(), &who.org, domain.as_str())
            .await?
            .ok_or_else(not_found)?;
        store::set_verified(w.db(), &who.org, domain.as_str(), "dns", now_ms())
            .await
            .map_err(on_unique(ProblemCode::DomainClaimed, || {
                claimed_elsewhere(domain.as_str()).to_string()
            }))?;
        w.record(AuditEvent::DomainVerified {
            org: who.org.clone(),
            domain: domain.to_string(),
            by: "dns",
        })
        .await?;
        let row = store::get(w.db(), &who.org, domain.as_str())
            .await?
            .ok_or_else(not_found)?;
        w.commit().await?;
        Ok(view(row))
    }

    /// The operator marks a domain verified for an organization (claiming it first if needed),
    /// audited as the operator. Another organization's verified domain is refused.
    pub async fn operator_verify_domain(
        &self,
        ctx: &RequestInfo,
        org: &OrgId,
        domain: &str,
    ) -> ServiceResult<DomainView> {
        let domain = parse(domain)?;
        let mut w = self.write_as(org, Actor::Operator, ctx).await?;
        let now = now_ms();
        let current = store::get(w.db(), org, domain.as_str()).await?;
        if current
            .as_ref()
            .is_some_and(|r| r.status == DomainStatus::Verified)
        {
            let row = current.ok_or_else(not_found)?;
            return Ok(view(row));
        }
        if current.is_none() {
            let token = hex::encode(rand::Rng::random::<[u8; 16]>(&mut rand::rng()));
            store::insert(w.db(), org, domain.as_str(), &token, "operator", now).await?;
        }
        store::set_verified(w.db(), org, domain.as_str(), "operator", now)
            .await
            .map_err(on_unique(ProblemCode::DomainClaimed, || {
                claimed_elsewhere(domain.as_str()).to_string()
            }))?;
        w.record(AuditEvent::DomainVerified {
            org: org.clone(),
            domain: domain.to_string(),
            by: "operator",
        })
        .await?;
        let row = store::get(w.db(), org, domain.as_str())
            .await?
            .ok_or_else(not_found)?;
        w.commit().await?;
        Ok(view(row))
    }
}
