//! The daily check of verified domains (the background job, hourly, takes the ones due): a
//! record still there is noted; one gone 7 days lapses the domain — it routes nobody until
//! verified again — audited as the system, with the organization's Org Admins mailed.

use super::record_found;
use crate::mail::Mail;
use crate::outbox::{self, MailKind};
use crate::write::Actor;
use crate::{RequestInfo, ServiceResult, Services};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::domain_name::{DomainName, challenge_value};
use switchboard_domain::role::OrgRole;
use switchboard_store::{domains as store, people};

/// How often a verified domain's record is looked at.
pub const CHECK_EVERY_MS: i64 = 24 * 3600 * 1000;
/// How long a record may be gone before its domain lapses.
pub const LAPSE_AFTER_MS: i64 = 7 * 24 * 3600 * 1000;

impl Services {
    /// Checks the verified domains due at `now` (each instance takes its own share; none twice);
    /// answers how many lapsed.
    pub async fn recheck_domains(&self, now: i64) -> ServiceResult<usize> {
        let due = {
            let mut tx = self.store.write().await?;
            let due = store::take_due(&mut tx, now, CHECK_EVERY_MS).await?;
            tx.commit().await?;
            due
        };
        let mut lapsed = 0;
        for row in due {
            let Ok(name) = DomainName::parse("domain", &row.domain) else {
                continue;
            };
            let found = record_found(
                &self.dns,
                &name.challenge_name(),
                &challenge_value(&row.token),
            )
            .await;
            if found == Ok(true) {
                let mut tx = self.store.write().await?;
                store::seen(&mut tx, &row.org_id, &row.domain, now).await?;
                tx.commit().await?;
                continue;
            }
            // A failed lookup is not a missing record: only a clear "not there" counts, and
            // only once it has lasted.
            let last = row
                .last_seen_at
                .or(row.verified_at)
                .unwrap_or(row.created_at);
            if found.is_err() || now - last < LAPSE_AFTER_MS {
                continue;
            }
            let ctx = RequestInfo {
                request_id: "domain-recheck".into(),
            };
            let mut w = self.write_as(&row.org_id, Actor::System, &ctx).await?;
            store::set_lapsed(w.db(), &row.org_id, &row.domain).await?;
            w.record(AuditEvent::DomainLapsed {
                org: row.org_id.clone(),
                domain: row.domain.clone(),
            })
            .await?;
            let admins = people::list_org_roles(w.db(), &row.org_id).await?;
            for a in admins.iter().filter(|a| a.org_role == OrgRole::OrgAdmin) {
                let mail = Mail {
                    to: a.email.clone(),
                    subject: format!("Single sign-on stopped for {}", name.unicode()),
                    body: format!(
                        "The DNS record that proves your organization owns {} ({} = {}) has been missing for 7 days, so Switchboard no longer routes sign-ins for it through your identity provider.\n\nPublish the record again, then verify the domain on the Domains page of your organization's settings.\n",
                        name.unicode(),
                        name.challenge_name(),
                        challenge_value(&row.token)
                    ),
                    code: None,
                };
                outbox::queue(w.db(), MailKind::Notice, Some(&row.org_id), mail).await?;
            }
            w.commit().await?;
            lapsed += 1;
        }
        Ok(lapsed)
    }
}
