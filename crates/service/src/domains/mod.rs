//! R34: an organization's email domains. An Org Admin claims a domain and publishes the TXT
//! record it is given (`_switchboard-challenge.<domain>` = `switchboard-verify=<token>`); a check
//! finds the record and verifies it; the operator may verify one outright. A domain is verified
//! by one organization at most (`domain_claimed`), rechecked daily, and lapses when the record
//! has been gone 7 days. Only verified domains route single sign-on ([`crate::sso`]).
//!
//! Map: [`claim`] (claim, remove), [`verify`] (the DNS check, the operator's word),
//! [`recheck`] (the daily check and lapsing), and [`list`].

mod claim;
mod list;
mod recheck;
mod verify;

pub use recheck::LAPSE_AFTER_MS;

use crate::views::rfc3339;
use crate::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use switchboard_domain::domain_name::{DomainName, DomainStatus, challenge_value};
use switchboard_store::domains::DomainRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDomain {
    /// An email domain, like `acme.com` (an internationalized one in either form).
    #[schema(
        min_length = 3,
        max_length = 253,
        pattern = "^@?([^.\\s@/]{1,63}\\.)+[^.\\s@/]{1,63}\\.?$"
    )]
    pub domain: String,
}

/// A domain of the organization, and the DNS record that proves it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainView {
    /// The domain in ASCII (IDNA) form, as stored and compared.
    pub domain: String,
    /// The same, as a person reads it (`münchen.de`).
    pub display_name: String,
    pub status: DomainStatus,
    /// Publish a TXT record under this name …
    pub record_name: String,
    /// … with this value, then ask for the check.
    pub record_value: String,
    /// `dns` or `operator`, once verified.
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
    /// The last daily check of a verified domain.
    pub last_checked_at: Option<String>,
    pub created_at: String,
}

pub(crate) fn view(r: DomainRow) -> DomainView {
    let name = DomainName::parse("domain", &r.domain);
    DomainView {
        display_name: name
            .as_ref()
            .map_or_else(|_| r.domain.clone(), DomainName::unicode),
        record_name: name
            .as_ref()
            .map_or_else(|_| r.domain.clone(), DomainName::challenge_name),
        record_value: challenge_value(&r.token),
        status: r.status,
        verified_by: r.verified_by,
        verified_at: r.verified_at.map(rfc3339),
        last_checked_at: r.last_checked_at.map(rfc3339),
        created_at: rfc3339(r.created_at),
        domain: r.domain,
    }
}

/// A domain named in a path or a body.
pub(crate) fn parse(raw: &str) -> ServiceResult<DomainName> {
    Ok(DomainName::parse("domain", raw)?)
}

/// Whether the TXT records of `name` hold `value`; a lookup that fails says why.
pub(crate) async fn record_found(
    dns: &hickory_resolver::TokioResolver,
    name: &str,
    value: &str,
) -> Result<bool, String> {
    match dns.txt_lookup(format!("{name}.")).await {
        Ok(found) => Ok(found.answers().iter().any(|record| match &record.data {
            hickory_resolver::proto::rr::RData::TXT(txt) => txt
                .txt_data
                .iter()
                .any(|part| part.as_ref() == value.as_bytes()),
            _ => false,
        })),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

fn not_found() -> ServiceError {
    ServiceError::NotFound { what: "domain" }
}
