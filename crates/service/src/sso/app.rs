//! App sign-in through SSO (RFC 8252): the app opens `GET /app/v1/sign-in/sso/start` in the
//! system browser with a loopback `redirect_uri` and a PKCE challenge; after the provider, the
//! browser is sent to that loopback address with a one-time code (a minute, once), which the app
//! exchanges with its PKCE verifier at `POST /app/v1/sign-in/sso/token` for its app token. The
//! token may run in the SSO teams of the organization whose provider signed the user in.

use super::secret_hash;
use super::start::{FlowFor, SsoRedirect};
use crate::apps::AppSession;
use crate::{ServiceError, ServiceResult, Services};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use subtle::ConstantTimeEq;
use switchboard_domain::email::Email;
use switchboard_domain::sso::SsoPurpose;
use switchboard_store::{now_ms, sso as store};
use utoipa::{IntoParams, ToSchema};

/// `GET /app/v1/sign-in/sso/start`'s query.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppSsoStart {
    /// The person's email (finds their organization's provider).
    #[param(format = Email, max_length = 254)]
    pub email: String,
    /// The app's loopback address: `http://127.0.0.1:PORT/…` or `http://[::1]:PORT/…`.
    #[param(
        pattern = "^http://(127\\.0\\.0\\.1|\\[::1\\]):[0-9]{1,5}(/[^#\\s]*)?$",
        max_length = 500
    )]
    pub redirect_uri: String,
    /// BASE64URL(SHA-256(code_verifier)), 43 characters.
    #[param(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub code_challenge: String,
    /// `S256` (the only method).
    #[param(pattern = "^S256$")]
    pub code_challenge_method: Option<String>,
    /// Handed back unchanged on the redirect, for the app to match.
    #[param(max_length = 500)]
    pub state: Option<String>,
}

/// `POST /app/v1/sign-in/sso/token`'s body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppSsoToken {
    #[schema(min_length = 1, max_length = 200)]
    pub code: String,
    /// The PKCE verifier whose S256 challenge started the sign-in (43–128 characters).
    #[schema(min_length = 43, max_length = 128)]
    pub code_verifier: String,
    /// The same loopback address the sign-in started with.
    #[schema(min_length = 1, max_length = 500)]
    pub redirect_uri: String,
    /// The team to sign in to, when the user is in several.
    #[schema(min_length = 1, max_length = 64, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_id: Option<String>,
}

/// RFC 8252 §7.3: an http loopback IP literal with a port; any path, no fragment.
fn check_loopback(uri: &str) -> ServiceResult<String> {
    let bad = || {
        ServiceError::invalid(
            "redirect_uri",
            "must be the app's loopback address, like http://127.0.0.1:PORT/callback (RFC 8252)",
        )
    };
    let url = url::Url::parse(uri).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if url.scheme() != "http"
        || !loopback
        || url.port().is_none()
        || url.fragment().is_some()
        || uri.len() > 500
    {
        return Err(bad());
    }
    Ok(uri.to_owned())
}

/// The S256 challenge of a verifier (RFC 7636).
fn s256(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Services {
    /// Starts an app's sign-in through its organization's provider.
    pub async fn app_sso_start(
        &self,
        q: AppSsoStart,
        client_ip: IpAddr,
    ) -> ServiceResult<SsoRedirect> {
        self.unauthenticated_write(&self.sso_limiter, client_ip)?;
        let redirect_uri = check_loopback(&q.redirect_uri)?;
        if q.code_challenge_method.as_deref().unwrap_or("S256") != "S256" {
            return Err(ServiceError::invalid(
                "code_challenge_method",
                "must be S256",
            ));
        }
        let challenge = q.code_challenge.trim();
        if challenge.len() != 43
            || !challenge
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ServiceError::invalid(
                "code_challenge",
                "must be BASE64URL(SHA-256(code_verifier)): 43 characters",
            ));
        }
        if q.state.as_ref().is_some_and(|s| s.len() > 500) {
            return Err(ServiceError::invalid(
                "state",
                "must be at most 500 characters",
            ));
        }
        let email = Email::parse(&q.email)?;
        let policy = self.policy_for_email(&email).await?;
        let flow = FlowFor {
            hint: Some(email.to_string()),
            app_redirect_uri: Some(redirect_uri),
            app_code_challenge: Some(challenge.to_owned()),
            app_state: q.state,
            ..FlowFor::default()
        };
        self.begin(&policy, SsoPurpose::App, flow).await
    }

    /// Exchanges an app's one-time code (with its PKCE verifier) for its app token.
    pub async fn app_sso_token(
        &self,
        req: AppSsoToken,
        client_ip: IpAddr,
    ) -> ServiceResult<AppSession> {
        self.unauthenticated_write(&self.sso_limiter, client_ip)?;
        let refused = || {
            ServiceError::Unauthenticated(
                "The code is wrong, expired or already used, or the verifier or redirect_uri does not match. Sign in again.",
            )
        };
        let now = now_ms();
        let mut tx = self.store.write().await?;
        let code =
            store::take_app_code(&mut tx, &secret_hash("app sso code", req.code.trim()), now)
                .await?;
        // The code is spent whatever follows: a wrong verifier can't be retried.
        tx.commit().await?;
        let code = code.ok_or_else(refused)?;
        let challenge_ok: bool = s256(&req.code_verifier)
            .as_bytes()
            .ct_eq(code.code_challenge.as_bytes())
            .into();
        if !challenge_ok || req.redirect_uri != code.redirect_uri {
            return Err(refused());
        }
        let mut tx = self.store.write().await?;
        let teams = self
            .app_teams(
                &mut tx,
                &code.user_id,
                &switchboard_domain::reach::Authority::Sso(code.org_id.clone()),
            )
            .await?;
        let session = self
            .issue_app_token(
                &mut tx,
                &code.user_id,
                teams,
                req.team_id.as_deref(),
                Some(&code.org_id),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_s256() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn rfc8252_only_loopback_ip_literals_with_a_port() {
        assert!(check_loopback("http://127.0.0.1:5173/cb").is_ok());
        assert!(check_loopback("http://[::1]:8400/").is_ok());
        for bad in [
            "https://127.0.0.1:1/cb",
            "http://localhost:1/cb",
            "http://127.0.0.1/cb",
            "http://evil.example:1/cb",
            "http://127.0.0.1:1/cb#x",
            "not a url",
        ] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }
}
