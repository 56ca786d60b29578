//! Checking a code (single-use, burned after five wrong guesses) and opening a session.

use super::{MAX_FAILED_ATTEMPTS, hash_token};
use crate::views::{SessionView, rfc3339};
use crate::{ServiceError, ServiceResult, Services};
use rand::Rng;
use std::net::IpAddr;
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_store::{Tx, now_ms, people, signin};

impl Services {
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
            user.id,
            SessionView {
                csrf_token: self.csrf_token(&token),
                token,
                expires_at: rfc3339(expires_at),
            },
        ))
    }
}
