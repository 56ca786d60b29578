//! Delivering the mail outbox. Use cases queue mail inside their transaction ([`queue`]); a worker
//! per instance ([`Services::run_background`]) delivers it after commit — woken at once by the
//! commit, and every second for retries and other instances' mail — with exponential backoff on
//! failure. Delivered mail is deleted; mail that failed [`MAX_ATTEMPTS`] times is kept, marked
//! failed, with its last error, for an operator to look at.

use crate::mail::Mail;
use crate::{ServiceResult, Services};
use switchboard_domain::ids::OrgId;
use switchboard_store::outbox::{self, QueuedMail};
use switchboard_store::{Conn, now_ms};

/// Deliveries tried before a message is given up.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a worker holds a message it is sending.
const LEASE_MS: i64 = 60_000;

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    SignInCode,
    Invitation,
    Report,
    /// Something an admin should know (a domain lapsed).
    Notice,
}

impl MailKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MailKind::SignInCode => "sign_in_code",
            MailKind::Invitation => "invitation",
            MailKind::Report => "report",
            MailKind::Notice => "notice",
        }
    }
}

/// Queues `mail` in the caller's transaction: it is sent only if that transaction commits.
pub(crate) async fn queue(
    c: &mut Conn,
    kind: MailKind,
    org: Option<&OrgId>,
    mail: Mail,
) -> ServiceResult<()> {
    let m = QueuedMail {
        id: format!("mail_{}", ulid::Ulid::new().to_string().to_lowercase()),
        org_id: org.map(|o| o.to_string()),
        kind: kind.as_str().into(),
        recipient: mail.to,
        subject: mail.subject,
        body: mail.body,
        code: mail.code,
        attempts: 0,
    };
    outbox::enqueue(c, &m, now_ms()).await?;
    Ok(())
}

/// Delay before the next try after `attempts` tries: 2, 4, 8 … seconds, at most an hour.
fn backoff_ms(attempts: i64) -> i64 {
    (1000_i64 << attempts.clamp(1, 12)).min(3_600_000)
}

impl Services {
    /// Wakes this instance's delivery worker (after a commit that queued mail).
    pub(crate) fn wake_mailer(&self) {
        self.mail_waker.notify_one();
    }

    /// One delivery pass: sends every message due now that no other worker holds. Returns how many
    /// were delivered.
    pub async fn deliver_mail(&self) -> ServiceResult<usize> {
        let now = now_ms();
        let due = {
            let mut c = self.store.read().await?;
            outbox::due(&mut c, now, 100).await?
        };
        let mut delivered = 0;
        for m in due {
            {
                let mut tx = self.store.write().await?;
                let mine = outbox::claim(&mut tx, &m.id, now, now + LEASE_MS).await?;
                tx.commit().await?;
                if !mine {
                    continue;
                }
            }
            let mail = Mail {
                to: m.recipient.clone(),
                subject: m.subject.clone(),
                body: m.body.clone(),
                code: m.code.clone(),
            };
            let result = self.mailer.send(&mail).await;
            let mut tx = self.store.write().await?;
            match result {
                Ok(()) => {
                    outbox::delivered(&mut tx, &m.id).await?;
                    delivered += 1;
                }
                Err(e) => {
                    let attempts = m.attempts + 1;
                    let failed = (attempts >= MAX_ATTEMPTS).then(now_ms);
                    tracing::warn!(mail = %m.id, kind = %m.kind, attempts, error = %e, "mail not delivered");
                    outbox::retry_later(
                        &mut tx,
                        &m.id,
                        &e.to_string(),
                        now_ms() + backoff_ms(attempts),
                        failed,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(delivered)
    }

    /// Mail not yet delivered nor given up.
    pub async fn mail_pending(&self) -> ServiceResult<i64> {
        let mut c = self.store.read().await?;
        Ok(outbox::pending(&mut c).await?)
    }

    /// The background chores of an instance until `shutdown` resolves: delivering mail (at once
    /// when woken, else every second) and, every minute, dropping sign-in records too old to
    /// count for anything.
    pub async fn run_background(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_prune = 0;
        let mut last_domain_check = 0;
        loop {
            if let Err(e) = self.deliver_mail().await {
                tracing::error!(error = %e, "delivering mail failed");
            }
            let now = now_ms();
            if now - last_prune > 60_000 {
                last_prune = now;
                if let Err(e) = self.prune_sign_in_records(now).await {
                    tracing::error!(error = %e, "pruning sign-in records failed");
                }
            }
            // Verified domains are looked at daily; the hourly pass takes those due (R34).
            if now - last_domain_check > 3_600_000 {
                last_domain_check = now;
                match self.recheck_domains(now).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(lapsed = n, "domains lapsed: their DNS records are gone")
                    }
                    Err(e) => tracing::error!(error = %e, "checking domains failed"),
                }
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.mail_waker.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(11), 2_048_000);
        assert_eq!(backoff_ms(12), 3_600_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }
}
