//! Checking a code against its attempt (single-use, burned after five wrong guesses on that
//! attempt) and opening a session.

use super::MAX_FAILED_ATTEMPTS;
use crate::RequestInfo;
use crate::throttle::Source;
use crate::views::SessionView;
use crate::{ServiceError, ServiceResult, Services};
use std::net::IpAddr;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::SignInMethod;
use switchboard_domain::email::Email;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::UserId;
use switchboard_domain::reach::Reach;
use switchboard_store::{Tx, now_ms, people, signin};

impl Services {
    /// Checks a code against its attempt and burns it; on success the user is marked signed in
    /// (R11) and the open transaction is handed back for the caller to add its token to. The
    /// attempt is the one named, or — for a client that names none — the newest from the
    /// source that started it. Without one there is nothing to guess at: 401, and no write.
    pub(crate) async fn redeem_code(
        &self,
        email: &str,
        code: &str,
        attempt: Option<&str>,
        client_ip: IpAddr,
    ) -> ServiceResult<(Tx, people::UserRow, i64, Vec<(OrgId, Reach)>)> {
        self.unauthenticated_write(&self.verify_limiter, client_ip)?;
        let wrong = || {
            ServiceError::Unauthenticated("The code is wrong or has expired. Ask for a new code.")
        };
        let email = Email::parse(email)?;
        let source = Source::of(client_ip);
        let now = now_ms();
        let candidates = {
            let mut c = self.store.read().await?;
            match attempt.map(str::trim).filter(|a| !a.is_empty()) {
                Some(id) => {
                    let hash = super::sha256_hex(&["sign-in attempt", id]);
                    signin::attempt(&mut c, &hash, email.as_str(), now)
                        .await?
                        .into_iter()
                        .collect()
                }
                None => {
                    signin::attempts_from(&mut c, email.as_str(), &source.to_string(), now).await?
                }
            }
        };
        let Some(newest) = candidates.first() else {
            return Err(wrong());
        };
        let matched = candidates.iter().find(|a| {
            a.code_hash.as_deref().is_some_and(|stored| {
                self.secrets
                    .verify_mac("sign-in code", &[&a.attempt_hash, code.trim()], stored)
            })
        });
        let mut tx = self.store.write().await?;
        let Some(matched) = matched.filter(|a| a.failed_attempts < MAX_FAILED_ATTEMPTS) else {
            // A wrong guess counts against the attempt it was made on; the fifth burns it.
            if signin::count_failure(&mut tx, &newest.attempt_hash).await? >= MAX_FAILED_ATTEMPTS {
                signin::delete_attempt(&mut tx, &newest.attempt_hash).await?;
            }
            tx.commit().await?;
            return Err(wrong());
        };
        signin::delete_attempt(&mut tx, &matched.attempt_hash).await?;
        let user = people::find_user_by_email(&mut tx, email.as_str())
            .await?
            .ok_or_else(wrong)?;
        // R24, R33: a code sent before the person's teams moved under SSO no longer signs them in.
        let reach = crate::sso::enforce::code_reach(&mut tx, &user).await?;
        if !crate::sso::enforce::code_reaches_anything(&reach) {
            tx.commit().await?;
            return Err(wrong());
        }
        people::mark_signed_in(&mut tx, &user.id, now).await?;
        let reached: Vec<OrgId> = reach
            .iter()
            .filter(|(_, r)| *r != Reach::None)
            .map(|(o, _)| o.clone())
            .collect();
        people::mark_signed_in_at(&mut tx, &reached, &user.id, now).await?;
        self.sign_in_limits.signed_in(email.as_str(), source);
        Ok((tx, user, now, reach))
    }

    /// Exchanges a code for a portal session. The sign-in is audited in each organization where
    /// the person has a portal role — as break-glass (R24) in each one whose SSO it bypasses —
    /// in the transaction that opens the session.
    pub async fn verify_sign_in(
        &self,
        email: &str,
        code: &str,
        attempt: Option<&str>,
        client_ip: IpAddr,
        ctx: &RequestInfo,
    ) -> ServiceResult<(UserId, SessionView)> {
        let (tx, user, now, reach) = self.redeem_code(email, code, attempt, client_ip).await?;
        // The code is spent either way; the session and its audit entries commit together.
        tx.commit().await?;
        // Break-glass is per organization: audited in each one whose SSO the code passes, as
        // its Org Admin or one of its break-glass emails (R24, R33).
        let glass: Vec<OrgId> = reach
            .iter()
            .filter(|(_, r)| *r == Reach::BreakGlass)
            .map(|(o, _)| o.clone())
            .collect();
        let reached: Vec<OrgId> = reach
            .iter()
            .filter(|(_, r)| *r != Reach::None)
            .map(|(o, _)| o.clone())
            .collect();
        let mut entries = self
            .sign_in_entries(&user, SignInMethod::EmailCode, None)
            .await?;
        entries.retain(|(org, _)| reached.contains(org) && !glass.contains(org));
        entries.extend(glass.into_iter().map(|org| {
            let event = AuditEvent::BreakGlassSignIn {
                user: user.id.clone(),
                email: user.email.clone(),
            };
            (org, event)
        }));
        let session = self
            .open_audited_session(&user, entries, None, now, ctx)
            .await?;
        Ok((user.id, session))
    }
}
