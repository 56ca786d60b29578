//! SAML responses bound to the browser that started the sign-in. The IdP posts its response
//! cross-site, so a browser can be made to post someone else's valid response (login CSRF:
//! the victim would work signed in as the attacker). When the public address is https, the
//! start leaves a `SameSite=None` cookie holding the RelayState and the ACS signs in only the
//! browser that brings it back. Otherwise — plain http, IdP-initiated responses, or another
//! browser — the ACS signs nobody in: it answers "Continue as \<email>?", and only a click on our
//! own page (same origin, with a `SameSite=Strict` cookie the page set) finishes the sign-in.
//! What the click carries is sealed under the server's key and lives two minutes; every check
//! after the protocol's (domain, membership, account link, seat) runs again then.

use super::SsoOutcome;
use super::policy::SignInPolicy;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use switchboard_domain::ids::PolicyId;
use switchboard_domain::sso::SsoPurpose;
use switchboard_sso::Identity;
use switchboard_store::now_ms;
use switchboard_store::sso::FlowRow;

/// How long "Continue as …?" may wait for its click.
const CONFIRM_TTL_MS: i64 = 2 * 60 * 1000;

/// What a confirmation carries, sealed.
#[derive(Serialize, Deserialize)]
struct Pending {
    /// Always "saml-continue": a sealed value of another purpose never passes for one.
    kind: String,
    policy: PolicyId,
    email: String,
    issuer: String,
    subject: String,
    next: Option<String>,
    expires_at: i64,
}

const KIND: &str = "saml-continue";

impl Services {
    /// The outcome that asks the person to confirm, instead of signing them in.
    pub(crate) fn confirmation(
        &self,
        policy: &SignInPolicy,
        flow: &FlowRow,
        identity: &Identity,
    ) -> SsoOutcome {
        let pending = Pending {
            kind: KIND.into(),
            policy: policy.id.clone(),
            email: identity.email.clone(),
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            next: flow.next_path.clone(),
            expires_at: now_ms() + CONFIRM_TTL_MS,
        };
        let token = self
            .secrets
            .seal(&serde_json::to_string(&pending).expect("plain data serializes"));
        SsoOutcome::Confirm {
            email: identity.email.clone(),
            token,
        }
    }

    /// The click on "Continue as …?": the sign-in finishes as if the response came now.
    pub async fn saml_continue(&self, token: &str, ctx: &RequestInfo) -> ServiceResult<SsoOutcome> {
        let expired = || {
            ServiceError::Unauthenticated(
                "This sign-in waited too long or was already used elsewhere. Sign in again.",
            )
        };
        let pending: Pending = self
            .secrets
            .open(token)
            .and_then(|plain| serde_json::from_str(&plain).ok())
            .filter(|p: &Pending| p.kind == KIND && p.expires_at > now_ms())
            .ok_or_else(expired)?;
        let policy = self.saml_policy(&pending.policy).await?;
        let now = now_ms();
        let flow = FlowRow {
            state_hash: String::new(),
            org_id: policy.org.clone(),
            policy_id: policy.id.clone(),
            purpose: SsoPurpose::Portal,
            nonce: None,
            pkce_verifier_enc: None,
            saml_request_id: None,
            next_path: pending.next,
            app_redirect_uri: None,
            app_code_challenge: None,
            app_state: None,
            user_id: None,
            created_at: now,
            expires_at: now,
        };
        let identity = Identity {
            email: pending.email,
            email_verified: true,
            issuer: pending.issuer,
            subject: pending.subject,
        };
        self.finish_sign_in(flow, policy, Ok(identity), ctx).await
    }
}
