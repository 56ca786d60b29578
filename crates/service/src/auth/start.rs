//! Starting a sign-in: limits first (in memory per address, then per email), then the code queued as mail.

use crate::mail::Mail;
use crate::outbox::{self, MailKind};
use crate::{ServiceError, ServiceResult, Services};
use rand::Rng;
use std::net::IpAddr;
use std::time::Duration;
use switchboard_domain::email::Email;
use switchboard_store::{now_ms, people, signin};

impl Services {
    /// Starts a sign-in. Errors only for a malformed email or when throttled, and the same way
    /// whether or not the email has an account. An address over its limit is refused from
    /// memory, before any database work; an email over its limit costs one read. The code's mail
    /// is queued in the same transaction and sent after commit, so the answer never waits on
    /// (nor reveals anything through) the mail server.
    pub async fn start_sign_in(&self, email: &str, client_ip: IpAddr) -> ServiceResult<()> {
        self.start_limiter
            .check(client_ip)
            .map_err(ServiceError::throttled)?;
        let email = Email::parse(email)?;
        let now = now_ms();
        let window = self.config.throttle_window_ms;
        let since = now - window;
        let (count, oldest) = {
            let mut c = self.store.read().await?;
            signin::starts_since(&mut c, email.as_str(), since).await?
        };
        if count >= self.config.starts_per_email {
            let wait = oldest.map_or(window, |o| o + window - now).max(1000);
            return Err(ServiceError::throttled(Duration::from_millis(wait as u64)));
        }
        let mut tx = self.store.write().await?;
        signin::record_start(&mut tx, email.as_str(), now, since).await?;
        let user = people::find_user_by_email(&mut tx, email.as_str()).await?;
        // R24, R33: no code for someone a code reaches into no organization (each of theirs
        // signs them in through its provider only); the answer is the same either way.
        let code_allowed = match &user {
            Some(u) => {
                let reach = crate::sso::enforce::code_reach(&mut tx, u).await?;
                crate::sso::enforce::code_reaches_anything(&reach)
            }
            None => false,
        };
        if code_allowed {
            let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
            let expires = now + self.config.code_ttl_ms;
            let stored = self.secrets.mac("sign-in code", &[email.as_str(), &code]);
            signin::put_code(&mut tx, email.as_str(), &stored, expires, now).await?;
            let minutes = self.config.code_ttl_ms / 60_000;
            let mail = Mail {
                to: email.to_string(),
                subject: format!("Your Switchboard sign-in code: {code}"),
                body: format!(
                    "Your sign-in code is {code}. It is valid for {minutes} minutes and can be used once.\n\
                     If you did not ask to sign in, ignore this message."
                ),
                code: Some(code),
            };
            outbox::queue(&mut tx, MailKind::SignInCode, None, mail).await?;
        }
        tx.commit().await?;
        self.wake_mailer();
        Ok(())
    }

    /// Drops sign-in records too old to count for anything: starts outside the throttle window,
    /// expired codes and sessions, SSO flows, app codes and remembered SAML assertions, and raw
    /// usage events past their retention.
    pub async fn prune_sign_in_records(&self, now: i64) -> ServiceResult<()> {
        let mut tx = self.store.write().await?;
        signin::prune(&mut tx, now - self.config.throttle_window_ms, now).await?;
        switchboard_store::sso::prune(&mut tx, now).await?;
        tx.commit().await?;
        // R26: raw usage in a transaction of its own (partitions are created and dropped there):
        // past retention pruned, and on PostgreSQL this month's and the next month's
        // partitions made ahead of their events.
        let oldest = now - switchboard_domain::usage::DEFAULT_RETENTION_DAYS * 86_400_000;
        let mut tx = self.store.write().await?;
        switchboard_store::usage::prune(&mut tx, oldest).await?;
        switchboard_store::usage::ensure_partitions(&mut tx, oldest, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
