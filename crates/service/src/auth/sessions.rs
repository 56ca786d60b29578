//! Sessions: who a token belongs to, its CSRF token, signing out.

use super::hash_token;
use crate::views::{SessionView, rfc3339};
use crate::{ServiceError, ServiceResult, Services};
use rand::Rng;
use switchboard_domain::ids::{OrgId, UserId};
use switchboard_domain::reach::Authority;
use switchboard_store::Conn;

/// A session's last use is recorded at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who a session token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    /// A session opened through an organization's identity provider reaches that organization
    /// only (another organization's provider can't vouch for this person there); `None` for a
    /// session opened by emailed code.
    pub only_org: Option<OrgId>,
}

impl Session {
    /// Who vouched for this session (R33): an emailed code, or one organization's provider.
    pub fn authority(&self) -> Authority {
        Authority::from_sso_org(self.only_org.clone())
    }
}
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

    /// The session of a live token. A session unused for `session_idle_ms` has ended (and is
    /// deleted); use is recorded at most once a minute, so reading pages costs no write each.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<Session> {
        let ended = || {
            ServiceError::Unauthenticated(
                "The session has expired or was signed out. Sign in again.",
            )
        };
        let hash = hash_token(token);
        let now = now_ms();
        let row = {
            let mut c = self.store.read().await?;
            signin::session(&mut c, &hash, now)
                .await?
                .ok_or_else(ended)?
        };
        let last = row.last_seen_at.unwrap_or(now);
        if now - last >= self.config.session_idle_ms {
            let mut tx = self.store.write().await?;
            signin::delete_session(&mut tx, &hash).await?;
            tx.commit().await?;
            return Err(ended());
        }
        if now - last >= TOUCH_EVERY_MS.min(self.config.session_idle_ms / 2) {
            let mut tx = self.store.write().await?;
            signin::touch_session(&mut tx, &hash, now).await?;
            tx.commit().await?;
        }
        Ok(Session {
            user: row.user_id,
            only_org: row.org_id,
        })
    }

    /// Opens a session for `user` (absolute lifetime `session_ttl_ms`); `org` limits it to the
    /// organization whose identity provider signed them in.
    pub(crate) async fn open_session(
        &self,
        c: &mut Conn,
        user: &UserId,
        org: Option<&OrgId>,
        now: i64,
    ) -> ServiceResult<SessionView> {
        let token = format!("sbs_{}", hex::encode(rand::rng().random::<[u8; 32]>()));
        let expires_at = now + self.config.session_ttl_ms;
        signin::insert_session(c, &hash_token(&token), user, org, expires_at, now).await?;
        Ok(SessionView {
            csrf_token: self.csrf_token(&token),
            token,
            expires_at: rfc3339(expires_at),
        })
    }

    pub async fn sign_out(&self, token: &str) -> ServiceResult<()> {
        let mut tx = self.store.write().await?;
        signin::delete_session(&mut tx, &hash_token(token)).await?;
        tx.commit().await?;
        Ok(())
    }
}
