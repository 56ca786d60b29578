//! The OIDC callback (`GET /auth/oidc/callback`): the flow is found by its `state` — which must
//! also be the one this browser started (its cookie), so a forged or planted callback finishes
//! nothing — and taken, so it finishes once; then the code is exchanged and the id token checked.

use super::finish::SsoOutcome;
use super::secret_hash;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use switchboard_domain::sso::SsoPurpose;
use switchboard_sso::oidc::Callback;
use switchboard_sso::{Check, Failure};
use switchboard_store::{now_ms, sso as store};

/// What the provider sends back to the redirect URI.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The issuer (RFC 9207), when the provider sends it.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Refuses a callback that does not belong to a pending sign-in of this browser.
pub(crate) fn no_pending_flow(why: &str) -> ServiceError {
    ServiceError::Sso(Failure::new(Check::Request, why.to_owned()))
}

impl Services {
    /// Takes the pending flow of a `state` (or SAML RelayState), once.
    pub(crate) async fn take_flow(
        &self,
        state: &str,
    ) -> ServiceResult<switchboard_store::sso::FlowRow> {
        let gone = || {
            no_pending_flow(
                "no sign-in is pending for this state: it expired, was already used, or was never started here",
            )
        };
        let hash = secret_hash("sso state", state);
        // Read first: a made-up state (a flood of forged callbacks or ACS posts) costs no write.
        {
            let mut c = self.store.read().await?;
            if !store::live_flow(&mut c, &hash, now_ms()).await? {
                return Err(gone());
            }
        }
        let mut tx = self.store.write().await?;
        let flow = store::take_flow(&mut tx, &hash, now_ms()).await?;
        tx.commit().await?;
        flow.ok_or_else(gone)
    }

    /// Finishes an OIDC sign-in. `browser_state` is the state cookie this browser holds.
    pub async fn oidc_callback(
        &self,
        q: OidcCallback,
        browser_state: Option<&str>,
        client_ip: std::net::IpAddr,
        ctx: &RequestInfo,
    ) -> ServiceResult<SsoOutcome> {
        self.unauthenticated_write(&self.sso_limiter, client_ip)?;
        let state = q.state.as_deref().unwrap_or_default();
        let same_browser = browser_state
            .is_some_and(|b| !state.is_empty() && bool::from(b.as_bytes().ct_eq(state.as_bytes())));
        if !same_browser {
            return Err(no_pending_flow(
                "the callback's state is not the sign-in this browser started (forged, or started elsewhere)",
            ));
        }
        let flow = self.take_flow(state).await?;
        let policy = {
            let mut c = self.store.read().await?;
            self.sign_in_policy(&mut c, &flow.org_id, &flow.policy_id)
                .await?
        };
        let identity = match (&q.error, &q.code) {
            // The person chose not to sign in (or the provider wouldn't let them): a page that
            // says so, not an error of ours. The flow is spent.
            (Some(error), _) if error == "access_denied" && flow.purpose != SsoPurpose::Test => {
                return Ok(SsoOutcome::Cancelled);
            }
            (Some(error), _) => Err(Failure::new(
                Check::TokenExchange,
                format!(
                    "the provider answered {error}{}",
                    q.error_description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            )),
            (None, None) => Err(Failure::new(
                Check::TokenExchange,
                "the callback carries no code",
            )),
            (None, Some(code)) => {
                let verifier = flow
                    .pkce_verifier_enc
                    .as_deref()
                    .and_then(|v| self.secrets.open(v))
                    .unwrap_or_default();
                self.oidc
                    .finish(
                        &policy.oidc(),
                        &self.oidc_redirect_uri(),
                        Callback {
                            code,
                            iss: q.iss.as_deref(),
                            nonce: flow.nonce.as_deref().unwrap_or_default(),
                            pkce_verifier: &verifier,
                        },
                    )
                    .await
            }
        };
        self.finish_sign_in(flow, policy, identity, ctx).await
    }
}
