//! SAML 2.0 for a policy: our SP metadata (`GET /auth/saml/{policy}/metadata`), the AuthnRequest
//! a sign-in starts with, and the ACS (`POST /auth/saml/{policy}/acs`). The response must answer
//! the pending request its RelayState names (IdP-initiated responses only where the policy opts
//! in); its assertion id is remembered until it expires, so a replay is refused.

use super::finish::SsoOutcome;
use super::policy::SignInPolicy;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use serde::Deserialize;
use switchboard_domain::ids::PolicyId;
use switchboard_domain::settings::PolicyKind;
use switchboard_domain::sso::{SsoProtocol, SsoPurpose};
use switchboard_sso::saml::{self, Sp};
use switchboard_sso::{Check, Failure};
use switchboard_store::sso::{self as store, FlowRow};
use switchboard_store::{now_ms, settings};

/// What the IdP POSTs to the ACS.
#[derive(Debug, Clone, Deserialize)]
pub struct SamlPost {
    #[serde(rename = "SAMLResponse")]
    pub saml_response: String,
    #[serde(rename = "RelayState")]
    pub relay_state: Option<String>,
}

fn sso_error(check: Check, detail: impl Into<String>) -> ServiceError {
    ServiceError::Sso(Failure::new(check, detail))
}

impl Services {
    /// Our entity id for a policy (also its metadata's address).
    pub fn saml_entity_id(&self, policy: &PolicyId) -> String {
        format!("{}/auth/saml/{policy}/metadata", self.config.base_url)
    }

    /// Our ACS URL for a policy.
    pub fn saml_acs_url(&self, policy: &PolicyId) -> String {
        format!("{}/auth/saml/{policy}/acs", self.config.base_url)
    }

    /// A SAML policy by id alone (the SAML routes name the policy, not the organization).
    pub(crate) async fn saml_policy(&self, id: &PolicyId) -> ServiceResult<SignInPolicy> {
        let not_found = || ServiceError::NotFound { what: "policy" };
        let mut c = self.store.read().await?;
        let row = settings::find_policy_anywhere(&mut c, id, PolicyKind::Sso)
            .await?
            .ok_or_else(not_found)?;
        let org = row.org_id.clone();
        let loaded = self.sign_in_policy(&mut c, &org, id).await?;
        if loaded.protocol() != SsoProtocol::Saml {
            return Err(not_found());
        }
        Ok(loaded)
    }

    fn sp<'a>(&self, policy: &'a SignInPolicy, entity_id: &'a str, acs: &'a str) -> Sp<'a> {
        Sp {
            entity_id,
            acs_url: acs,
            idp_metadata_xml: policy
                .options
                .idp_metadata_xml
                .as_deref()
                .unwrap_or_default(),
            allow_idp_initiated: policy.options.allow_idp_initiated,
        }
    }

    /// Our SP metadata for a SAML policy.
    pub async fn saml_sp_metadata(&self, policy: &PolicyId) -> ServiceResult<String> {
        let p = self.saml_policy(policy).await?;
        let (entity, acs) = (self.saml_entity_id(&p.id), self.saml_acs_url(&p.id));
        saml::sp_metadata(&self.sp(&p, &entity, &acs)).map_err(ServiceError::Sso)
    }

    /// The AuthnRequest's redirect URL and id, with `relay_state` (the flow's state).
    pub(crate) fn saml_request(
        &self,
        policy: &SignInPolicy,
        relay_state: &str,
    ) -> ServiceResult<(String, String)> {
        let (entity, acs) = (
            self.saml_entity_id(&policy.id),
            self.saml_acs_url(&policy.id),
        );
        saml::authn_request(&self.sp(policy, &entity, &acs), relay_state).map_err(ServiceError::Sso)
    }

    /// The ACS: verifies the response and finishes the sign-in it answers — for the portal, only
    /// in the browser whose RelayState cookie (`browser_relay`) matches; otherwise it asks for a
    /// confirmation first ([`super::confirm`]).
    pub async fn saml_acs(
        &self,
        policy: &PolicyId,
        post: SamlPost,
        browser_relay: Option<&str>,
        client_ip: std::net::IpAddr,
        ctx: &RequestInfo,
    ) -> ServiceResult<SsoOutcome> {
        // Before any parsing: verification costs CPU.
        self.unauthenticated_write(&self.sso_limiter, client_ip)?;
        let p = self.saml_policy(policy).await?;
        let relay = post.relay_state.clone().unwrap_or_default();
        let same_browser = browser_relay.is_some_and(|b| {
            !relay.is_empty()
                && bool::from(subtle::ConstantTimeEq::ct_eq(
                    b.as_bytes(),
                    relay.as_bytes(),
                ))
        });
        let flow = match post.relay_state.as_deref().filter(|s| !s.is_empty()) {
            Some(state) => {
                let flow = self.take_flow(state).await?;
                if flow.policy_id != p.id {
                    return Err(sso_error(
                        Check::Request,
                        "the RelayState belongs to another policy's sign-in",
                    ));
                }
                flow
            }
            None if p.options.allow_idp_initiated => {
                let now = now_ms();
                FlowRow {
                    state_hash: String::new(),
                    org_id: p.org.clone(),
                    policy_id: p.id.clone(),
                    purpose: SsoPurpose::Portal,
                    nonce: None,
                    pkce_verifier_enc: None,
                    saml_request_id: None,
                    next_path: None,
                    app_redirect_uri: None,
                    app_code_challenge: None,
                    app_state: None,
                    user_id: None,
                    created_at: now,
                    expires_at: now,
                }
            }
            None => {
                return Err(sso_error(
                    Check::Request,
                    "an IdP-initiated response (no pending request), and the policy does not accept those",
                ));
            }
        };
        let verified = {
            let (entity, acs) = (self.saml_entity_id(&p.id), self.saml_acs_url(&p.id));
            let metadata = p.options.idp_metadata_xml.clone().unwrap_or_default();
            let allow = p.options.allow_idp_initiated;
            let request_id = flow.saml_request_id.clone();
            let attribute = p.options.email_attribute.clone();
            let response = post.saml_response;
            tokio::task::spawn_blocking(move || {
                let sp = Sp {
                    entity_id: &entity,
                    acs_url: &acs,
                    idp_metadata_xml: &metadata,
                    // An SP-initiated flow must answer its own request, whatever the policy allows.
                    allow_idp_initiated: allow && request_id.is_none(),
                };
                saml::verify_response(&sp, &response, request_id.as_deref(), attribute.as_deref())
            })
            .await
            .map_err(|e| sso_error(Check::Signature, format!("verification stopped: {e}")))?
        };
        let identity = match verified {
            Ok(v) => {
                let mut tx = self.store.write().await?;
                let fresh = store::remember_assertion(
                    &mut tx,
                    &p.org,
                    &v.assertion_id,
                    v.valid_until_ms.max(now_ms() + 60_000),
                )
                .await?;
                tx.commit().await?;
                if fresh {
                    Ok(v.identity)
                } else {
                    Err(Failure::new(
                        Check::Replay,
                        format!("assertion {} was already used", v.assertion_id),
                    ))
                }
            }
            Err(f) => Err(f),
        };
        match identity {
            Ok(id) if flow.purpose == SsoPurpose::Portal && !same_browser => {
                Ok(self.confirmation(&p, &flow, &id))
            }
            identity => self.finish_sign_in(flow, p, identity, ctx).await,
        }
    }
}
