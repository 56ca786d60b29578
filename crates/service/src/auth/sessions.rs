//! Sessions: who a token belongs to, its CSRF token, signing out.

use super::hash_token;
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::ids::UserId;
use switchboard_store::{now_ms, signin};

impl Services {
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
}
