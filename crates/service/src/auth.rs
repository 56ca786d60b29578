//! Sign-in by emailed code and the sessions it opens.
//!
//! `start` always succeeds for a well-formed email (no account enumeration) and mails a 6-digit,
//! single-use code to known users, valid for `code_ttl_ms`. Only an HMAC of the code under the
//! server's key is kept (a copy of the database alone can't test guesses); five wrong guesses
//! burn it. A verified code opens a session whose bearer token is random and
//! stored only as a hash.

use crate::mail::Mail;
use crate::outbox::{self, MailKind};
use std::net::IpAddr;
use std::time::Duration;
use crate::views::{
    MeOrg, MeUser, MeView, SessionView, membership_view, parse_org_role, rfc3339, status_of,
};
use crate::{ServiceError, ServiceResult, Services};
use rand::Rng;
use sha2::{Digest, Sha256};
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_store::{Tx, now_ms, people, signin};

/// Wrong codes allowed before the code is burned.
const MAX_FAILED_ATTEMPTS: i64 = 5;

fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// The stored form of a session token.
pub fn hash_token(token: &str) -> String {
    sha256_hex(&["session", token])
}

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
        if people::find_user_by_email(&mut tx, email.as_str())
            .await?
            .is_some()
        {
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
    /// expired codes and sessions.
    pub async fn prune_sign_in_records(&self, now: i64) -> ServiceResult<()> {
        let mut tx = self.store.write().await?;
        signin::prune(&mut tx, now - self.config.throttle_window_ms, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a code and burns it; on success the user is marked signed in (R11) and the open
    /// transaction is handed back for the caller to add its token to.
    pub(crate) async fn redeem_code(
        &self,
        email: &str,
        code: &str,
        client_ip: IpAddr,
    ) -> ServiceResult<(Tx, people::UserRow, i64)> {
        self.verify_limiter
            .check(client_ip)
            .map_err(ServiceError::throttled)?;
        let wrong = || {
            ServiceError::Unauthenticated("The code is wrong or has expired. Ask for a new code.")
        };
        let email = Email::parse(email)?;
        let now = now_ms();
        let mut tx = self.store.write().await?;
        let Some((stored, expires_at, failed)) = signin::get_code(&mut tx, email.as_str()).await?
        else {
            return Err(wrong());
        };
        if expires_at <= now || failed >= MAX_FAILED_ATTEMPTS {
            signin::delete_code(&mut tx, email.as_str()).await?;
            tx.commit().await?;
            return Err(wrong());
        }
        if !self
            .secrets
            .verify_mac("sign-in code", &[email.as_str(), code.trim()], &stored)
        {
            if signin::count_failure(&mut tx, email.as_str()).await? >= MAX_FAILED_ATTEMPTS {
                signin::delete_code(&mut tx, email.as_str()).await?;
            }
            tx.commit().await?;
            return Err(wrong());
        }
        signin::delete_code(&mut tx, email.as_str()).await?;
        let user = people::find_user_by_email(&mut tx, email.as_str())
            .await?
            .ok_or_else(wrong)?;
        people::mark_signed_in(&mut tx, &user.id, now).await?;
        Ok((tx, user, now))
    }

    /// Exchanges a code for a portal session.
    pub async fn verify_sign_in(
        &self,
        email: &str,
        code: &str,
        client_ip: IpAddr,
    ) -> ServiceResult<(UserId, SessionView)> {
        let (mut tx, user, now) = self.redeem_code(email, code, client_ip).await?;
        let token = format!("sbs_{}", hex::encode(rand::rng().random::<[u8; 32]>()));
        let expires_at = now + self.config.session_ttl_ms;
        signin::insert_session(&mut tx, &hash_token(&token), &user.id, expires_at, now).await?;
        tx.commit().await?;
        Ok((
            UserId::from_db(user.id),
            SessionView {
                csrf_token: self.csrf_token(&token),
                token,
                expires_at: rfc3339(expires_at),
            },
        ))
    }

    /// The CSRF token of a session: a MAC of the session, so it needs no storage, is the same on
    /// every instance, and can't be made without the server's key.
    pub fn csrf_token(&self, session_token: &str) -> String {
        self.secrets.mac("csrf", &[&hash_token(session_token)])
    }

    /// Whether `given` is the CSRF token of the session (compared in constant time).
    pub fn csrf_matches(&self, session_token: &str, given: &str) -> bool {
        self.secrets
            .verify_mac("csrf", &[&hash_token(session_token)], given)
    }

    /// The user of a live session token.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<UserId> {
        let mut c = self.store.read().await?;
        signin::session_user(&mut c, &hash_token(token), now_ms())
            .await?
            .map(UserId::from_db)
            .ok_or(ServiceError::Unauthenticated(
                "The session has expired or was signed out. Sign in again.",
            ))
    }

    pub async fn sign_out(&self, token: &str) -> ServiceResult<()> {
        let mut tx = self.store.write().await?;
        signin::delete_session(&mut tx, &hash_token(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in user, their organizations, memberships and org roles.
    pub async fn me(&self, user: &UserId, session_token: &str) -> ServiceResult<MeView> {
        let mut c = self.store.read().await?;
        let u =
            people::get_user(&mut c, user.as_str())
                .await?
                .ok_or(ServiceError::Unauthenticated(
                    "This account no longer exists.",
                ))?;
        let mut orgs = Vec::new();
        for (org_id, name, role) in people::orgs_of_user(&mut c, user.as_str()).await? {
            let org = switchboard_store::orgs::get_org(&mut c, &org_id).await?;
            let memberships =
                people::memberships_of_users(&mut c, &org_id, std::slice::from_ref(&u.id)).await?;
            orgs.push(MeOrg {
                id: org_id,
                name,
                established: org.is_some_and(|o| o.established_at.is_some()),
                org_role: parse_org_role(role.as_deref()),
                memberships: memberships.iter().map(membership_view).collect(),
            });
        }
        Ok(MeView {
            user: MeUser {
                id: u.id,
                email: u.email,
                name: u.name,
                status: status_of(u.first_signed_in_at),
            },
            orgs,
            csrf_token: self.csrf_token(session_token),
        })
    }
}
