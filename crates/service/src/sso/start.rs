//! Starting a sign-in through a provider: the policy for the email's domain (never whether the
//! email has an account), a flow remembered under the hash of its `state`, and the provider's
//! address to send the browser to.

use super::policy::SignInPolicy;
use super::{FLOW_TTL_MS, random_secret, secret_hash};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use std::net::IpAddr;
use switchboard_domain::access::Action;
use switchboard_domain::email::Email;
use switchboard_domain::ids::{PolicyId, UserId};
use switchboard_domain::settings::PolicyKind;
use switchboard_domain::sso::{SsoProtocol, SsoPurpose, domain_allowed};
use switchboard_store::sso::{self as store, FlowRow};
use switchboard_store::{now_ms, people};

/// Where to send the browser, and the `state` the browser must bring back (kept in a cookie, so
/// a callback is finished only in the browser that started it).
#[derive(Debug, Clone)]
pub struct SsoRedirect {
    pub url: String,
    pub state: String,
}

/// What a flow carries besides the protocol's values.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowFor {
    pub hint: Option<String>,
    pub next: Option<String>,
    pub app_redirect_uri: Option<String>,
    pub app_code_challenge: Option<String>,
    pub app_state: Option<String>,
    pub user: Option<UserId>,
}

/// A path of this site to go back to after signing in (by code or through a provider); anything
/// else (another site, `//host`, control characters browsers drop) is ignored.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
    .map(str::to_owned)
}

impl Services {
    /// Starts a portal sign-in through the provider of the email's domain (`GET /auth/sso/start`).
    pub async fn sso_start(
        &self,
        email: &str,
        next: Option<&str>,
        client_ip: IpAddr,
    ) -> ServiceResult<SsoRedirect> {
        self.unauthenticated_write(&self.sso_limiter, client_ip)?;
        let email = Email::parse(email)?;
        let policy = self.policy_for_email(&email).await?;
        let flow = FlowFor {
            hint: Some(email.to_string()),
            next: safe_next(next),
            ..FlowFor::default()
        };
        self.begin(&policy, SsoPurpose::Portal, flow).await
    }

    /// An Org Admin's Test connection: the same flow, which ends on a page listing each check.
    pub async fn sso_test_start(
        &self,
        who: &OrgCaller,
        id: &PolicyId,
    ) -> ServiceResult<SsoRedirect> {
        who.may(Action::ManageSsoPolicies)?;
        let policy = {
            let mut c = self.store.read().await?;
            let row =
                switchboard_store::settings::get_policy(&mut c, &who.org, id, PolicyKind::Sso)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "policy" })?;
            let teams =
                switchboard_store::settings::policy_teams(&mut c, &who.org, PolicyKind::Sso)
                    .await?
                    .into_iter()
                    .filter(|(p, _)| p == id)
                    .map(|(_, t)| t)
                    .collect();
            self.loaded(row, teams)?
        };
        let flow = FlowFor {
            user: Some(who.user.clone()),
            ..FlowFor::default()
        };
        self.begin(&policy, SsoPurpose::Test, flow).await
    }

    /// The SSO policy for an email: one of the organization that verified the email's domain,
    /// whose allowed domains name it, preferring one over a team the person is a member of.
    pub(crate) async fn policy_for_email(&self, email: &Email) -> ServiceResult<SignInPolicy> {
        let mut c = self.store.read().await?;
        let mut candidates = policies_claiming(&mut c, email).await?;
        if candidates.is_empty() {
            return Err(ServiceError::invalid(
                "email",
                "No single sign-on is set up for this email's domain. Sign in with an emailed code instead.",
            ));
        }
        let mine = match people::find_user_by_email(&mut c, email.as_str()).await? {
            Some(u) => store::email_teams_of_user(&mut c, &u.id).await?,
            None => Vec::new(),
        };
        let chosen = candidates
            .iter()
            .position(|p| {
                mine.iter()
                    .any(|t| t.org_id == p.org_id && t.policy_id.as_ref() == Some(&p.id))
            })
            .unwrap_or(0);
        let row = candidates.swap_remove(chosen);
        let teams = switchboard_store::settings::policy_teams(&mut c, &row.org_id, PolicyKind::Sso)
            .await?
            .into_iter()
            .filter(|(p, _)| *p == row.id)
            .map(|(_, t)| t)
            .collect();
        self.loaded(row, teams)
    }

    /// Sends a sign-in to the policy's provider and remembers it until it comes back.
    pub(crate) async fn begin(
        &self,
        policy: &SignInPolicy,
        purpose: SsoPurpose,
        flow: FlowFor,
    ) -> ServiceResult<SsoRedirect> {
        let now = now_ms();
        let mut row = FlowRow {
            state_hash: String::new(),
            org_id: policy.org.clone(),
            policy_id: policy.id.clone(),
            purpose,
            nonce: None,
            pkce_verifier_enc: None,
            saml_request_id: None,
            next_path: flow.next,
            app_redirect_uri: flow.app_redirect_uri,
            app_code_challenge: flow.app_code_challenge,
            app_state: flow.app_state,
            user_id: flow.user,
            created_at: now,
            expires_at: now + FLOW_TTL_MS,
        };
        let (url, state) = match policy.protocol() {
            SsoProtocol::Oidc => {
                let start = self
                    .oidc
                    .start(
                        &policy.oidc(),
                        &self.oidc_redirect_uri(),
                        flow.hint.as_deref(),
                    )
                    .await
                    .map_err(ServiceError::Sso)?;
                row.nonce = Some(start.nonce);
                row.pkce_verifier_enc = Some(self.secrets.seal(&start.pkce_verifier));
                (start.url, start.state)
            }
            SsoProtocol::Saml => {
                let state = random_secret();
                let (url, request_id) = self.saml_request(policy, &state)?;
                row.saml_request_id = Some(request_id);
                (url, state)
            }
        };
        row.state_hash = secret_hash("sso state", &state);
        let mut tx = self.store.write().await?;
        store::insert_flow(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(SsoRedirect { url, state })
    }

    /// Our OIDC redirect URI, registered at the provider.
    pub fn oidc_redirect_uri(&self) -> String {
        format!("{}/auth/oidc/callback", self.config.base_url)
    }
}

impl Services {
    /// Whether the email's domain signs in through an identity provider (the sign-in page then
    /// says so). Depends on the domain only, never on whether the email has an account.
    pub async fn sso_offered(&self, email: &str) -> bool {
        let Ok(email) = Email::parse(email) else {
            return false;
        };
        let Ok(mut c) = self.store.read().await else {
            return false;
        };
        policies_claiming(&mut c, &email)
            .await
            .is_ok_and(|rows| !rows.is_empty())
    }
}

/// The SSO policies whose allowed domains name the email's domain, in the one organization that
/// has verified that domain (R34): an unverified claim, or another organization's, routes
/// nobody.
async fn policies_claiming(
    c: &mut switchboard_store::Conn,
    email: &Email,
) -> ServiceResult<Vec<switchboard_store::settings::PolicyRow>> {
    let Some(domain) = switchboard_domain::domain_name::of_email(email.as_str()) else {
        return Ok(Vec::new());
    };
    let Some(owner) = switchboard_store::domains::verified_owner(c, domain.as_str()).await? else {
        return Ok(Vec::new());
    };
    Ok(store::policies_for_domain(c, &owner, domain.as_str())
        .await?
        .into_iter()
        .filter(|r| {
            // A policy whose stored domains can't be read routes nobody.
            super::policy::domains_of(r).is_ok_and(|d| domain_allowed(email.as_str(), &d))
        })
        .collect())
}
