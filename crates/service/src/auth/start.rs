//! Starting a sign-in: limits first (in memory: per address, everyone's cap, per email and source),
//! then the attempt written, with its code queued as mail.

use crate::mail::Mail;
use crate::outbox::{self, MailKind};
use crate::throttle::Source;
use crate::{ServiceError, ServiceResult, Services};
use rand::Rng;
use std::net::IpAddr;
use std::time::Duration;
use switchboard_domain::email::Email;
use switchboard_store::{now_ms, people, signin};

impl Services {
    /// Starts a sign-in and answers its attempt id (the client sends it back with the code).
    /// Errors only for a malformed email or when throttled, and the same way whether or not
    /// the email has an account: every accepted start writes its attempt, with a code only for
    /// someone a code may sign in. Limits are checked in memory before any database work. The
    /// code's mail is queued in the same transaction and sent after commit, so the answer never
    /// waits on (nor reveals anything through) the mail server.
    pub async fn start_sign_in(&self, email: &str, client_ip: IpAddr) -> ServiceResult<String> {
        self.unauthenticated_write(&self.start_limiter, client_ip)?;
        let email = Email::parse(email)?;
        let source = Source::of(client_ip);
        self.sign_in_limits
            .admit(email.as_str(), source)
            .map_err(|wait| ServiceError::throttled(wait.max(Duration::from_secs(1))))?;
        let now = now_ms();
        let attempt = hex::encode(rand::rng().random::<[u8; 32]>());
        let attempt_hash = super::sha256_hex(&["sign-in attempt", &attempt]);
        let mut tx = self.store.write().await?;
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
        let expires = now + self.config.code_ttl_ms;
        let code =
            code_allowed.then(|| format!("{:06}", rand::rng().random_range(0..1_000_000u32)));
        let stored = code
            .as_ref()
            .map(|code| self.secrets.mac("sign-in code", &[&attempt_hash, code]));
        signin::insert_attempt(
            &mut tx,
            &attempt_hash,
            email.as_str(),
            &source.to_string(),
            stored.as_deref(),
            expires,
            now,
        )
        .await?;
        if let Some(code) = code {
            let minutes = self.config.code_ttl_ms / 60_000;
            let mail = Mail {
                to: email.to_string(),
                subject: format!("Your Switchboard sign-in code: {code}"),
                body: format!(
                    "Your sign-in code is {code}. It is valid for {minutes} minutes and can be used once, \
                     in the browser or app where you asked for it.\n\
                     If you did not ask to sign in, ignore this message."
                ),
                code: Some(code),
            };
            outbox::queue(&mut tx, MailKind::SignInCode, None, mail).await?;
        }
        tx.commit().await?;
        self.wake_mailer();
        Ok(attempt)
    }

    /// Drops sign-in records too old to count for anything: expired attempts and sessions, SSO flows, app codes and remembered SAML assertions, and raw
    /// usage events past their retention.
    pub async fn prune_sign_in_records(&self, now: i64) -> ServiceResult<()> {
        let mut tx = self.store.write().await?;
        signin::prune(&mut tx, now).await?;
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
