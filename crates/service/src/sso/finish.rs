//! What follows a provider's verified answer, the same for OIDC and SAML: a verified email in
//! one of the policy's domains, a member of the policy's teams (or one who joins just in time),
//! and then a session limited to the policy's organization, the app's one-time code, or — for
//! a Test connection — the list of checks. A refusal is logged with its reason (never a token)
//! and changes nothing.

use super::policy::SignInPolicy;
use super::{APP_CODE_TTL_MS, random_secret, secret_hash};
use crate::views::SessionView;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::audit::event::SignInMethod;
use switchboard_domain::email::Email;
use switchboard_domain::ids::{OrgId, PolicyId, UserId};
use switchboard_domain::sso::{SsoProtocol, SsoPurpose, domain_allowed};
use switchboard_sso::{Check, Failure, Identity};
use switchboard_store::sso::{self as store, AppCodeRow, FlowRow};
use switchboard_store::{Conn, now_ms, people};

/// How a sign-in through a provider ended.
#[derive(Debug, Clone)]
pub enum SsoOutcome {
    /// A portal session (limited to the policy's organization), and where to go next.
    SignedIn { session: SessionView, next: String },
    /// The app's loopback address with its one-time code.
    App { redirect: String },
    /// A SAML response this browser can't be shown to have asked for: "Continue as `email`?",
    /// whose click brings `token` back ([`Services::saml_continue`]).
    Confirm { email: String, token: String },
    /// The person cancelled at the provider (OIDC `error=access_denied`): nobody signs in, and
    /// nothing is wrong.
    Cancelled,
    /// A Test connection: each check and how it went.
    Tested {
        org: OrgId,
        policy: PolicyId,
        email: Option<String>,
        checks: Vec<CheckResult>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Passed,
    Failed,
    NotReached,
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub check: Check,
    pub label: &'static str,
    pub outcome: CheckOutcome,
    pub detail: Option<String>,
}

/// The checks of a protocol, all passed up to `failed` (which failed with its detail).
fn results(protocol: SsoProtocol, failed: Option<&Failure>) -> Vec<CheckResult> {
    let all = match protocol {
        SsoProtocol::Oidc => Check::OIDC,
        SsoProtocol::Saml => Check::SAML,
    };
    all.iter()
        .map(|&check| {
            let outcome = match failed {
                None => CheckOutcome::Passed,
                Some(f) if f.check == check => CheckOutcome::Failed,
                Some(f) if check < f.check => CheckOutcome::Passed,
                Some(_) => CheckOutcome::NotReached,
            };
            CheckResult {
                check,
                label: check.label(),
                outcome,
                detail: failed
                    .filter(|f| f.check == check)
                    .map(|f| f.detail.clone()),
            }
        })
        .collect()
}

impl Services {
    /// Ends a sign-in whose protocol part gave `identity` (or refused it).
    pub(crate) async fn finish_sign_in(
        &self,
        flow: FlowRow,
        policy: SignInPolicy,
        identity: Result<Identity, Failure>,
        ctx: &RequestInfo,
    ) -> ServiceResult<SsoOutcome> {
        let outcome = match identity {
            Ok(id) => self.admit(&flow, &policy, id, ctx).await,
            Err(f) => Err(ServiceError::Sso(f)),
        };
        match (flow.purpose, outcome) {
            (SsoPurpose::Test, Err(ServiceError::Sso(f))) => Ok(SsoOutcome::Tested {
                org: policy.org.clone(),
                policy: policy.id.clone(),
                email: None,
                checks: results(policy.protocol(), Some(&f)),
            }),
            (_, Err(ServiceError::Sso(f))) => {
                tracing::warn!(
                    org = %policy.org, policy = %policy.id, check = ?f.check, reason = %f.detail,
                    request_id = %ctx.request_id, "single sign-on refused"
                );
                Err(ServiceError::Sso(f))
            }
            (_, other) => other,
        }
    }

    /// The checks after the protocol's: email, domain, account (and seat, joining just in time).
    async fn admit(
        &self,
        flow: &FlowRow,
        policy: &SignInPolicy,
        identity: Identity,
        ctx: &RequestInfo,
    ) -> ServiceResult<SsoOutcome> {
        let refuse = |check, detail: String| Err(ServiceError::Sso(Failure::new(check, detail)));
        if !identity.email_verified {
            return refuse(
                Check::Email,
                format!("the provider says {} is not verified", identity.email),
            );
        }
        let Ok(email) = Email::parse(&identity.email) else {
            return refuse(Check::Email, "the provider's email is malformed".into());
        };
        if !domain_allowed(email.as_str(), &policy.domains) {
            return refuse(
                Check::Domain,
                format!("{email}'s domain is not one of the policy's allowed domains"),
            );
        }
        // R34: a provider vouches only for domains its organization has verified.
        let verified = {
            let mut c = self.store.read().await?;
            match switchboard_domain::domain_name::of_email(email.as_str()) {
                Some(d) => switchboard_store::domains::verified_owner(&mut c, d.as_str())
                    .await?
                    .is_some_and(|owner| owner == policy.org),
                None => false,
            }
        };
        if !verified {
            return refuse(
                Check::Domain,
                format!("{email}'s domain is not a verified domain of the policy's organization"),
            );
        }
        let (known, user) = {
            let mut c = self.store.read().await?;
            match people::find_user_by_email(&mut c, email.as_str()).await? {
                Some(u) => {
                    let teams = store::email_teams_of_user(&mut c, &u.id).await?;
                    let member = teams
                        .iter()
                        .any(|t| t.org_id == policy.org && policy.teams.contains(&t.team_id));
                    (Some(u.id.clone()), member.then_some(u.id))
                }
                None => (None, None),
            }
        };
        // R33: the provider's account must be the one linked to this person (and to nobody else).
        let account = super::link::account_of(&identity);
        let matches = self
            .account_matches(policy, known.as_ref(), account.as_ref())
            .await?;
        if flow.purpose == SsoPurpose::Test {
            return self
                .tested(policy, &email, user.is_some(), matches.is_ok())
                .await;
        }
        if let Err(person) = matches {
            self.refuse_account(policy, person, &email, ctx).await?;
        }
        match user {
            Some(user) if flow.purpose == SsoPurpose::Portal => {
                // A portal sign-in is audited where the person has a portal role.
                let row = {
                    let mut c = self.store.read().await?;
                    people::get_user(&mut c, &user).await?
                };
                let Some(row) = row else {
                    return refuse(Check::Account, format!("{email} no longer has an account"));
                };
                let entries = self
                    .sign_in_entries(&row, SignInMethod::Sso, Some(&policy.org))
                    .await?;
                let now = now_ms();
                {
                    let mut tx = self.store.write().await?;
                    people::mark_signed_in(&mut tx, &user, now).await?;
                    people::mark_signed_in_at(
                        &mut tx,
                        std::slice::from_ref(&policy.org),
                        &user,
                        now,
                    )
                    .await?;
                    super::link::link(&mut tx, policy, &user, account.as_ref(), now).await?;
                    tx.commit().await?;
                }
                let session = self
                    .open_audited_session(&row, entries, Some(&policy.org), now, ctx)
                    .await?;
                let next = flow
                    .next_path
                    .clone()
                    .unwrap_or_else(|| format!("/orgs/{}", policy.org));
                Ok(SsoOutcome::SignedIn { session, next })
            }
            Some(user) => {
                let mut tx = self.store.write().await?;
                let now = now_ms();
                super::link::link(&mut tx, policy, &user, account.as_ref(), now).await?;
                let outcome = self.grant(&mut tx, flow, policy, &user, now).await?;
                tx.commit().await?;
                Ok(outcome)
            }
            None if policy.options.jit.enabled => {
                self.join_just_in_time(flow, policy, &email, account.as_ref(), ctx)
                    .await
            }
            None => refuse(
                Check::Account,
                format!(
                    "{email} is not a member of the policy's teams, and just-in-time membership is off"
                ),
            ),
        }
    }

    /// A Test connection's result: the person is not signed in, and nobody joins.
    async fn tested(
        &self,
        policy: &SignInPolicy,
        email: &Email,
        member: bool,
        account_matches: bool,
    ) -> ServiceResult<SsoOutcome> {
        let failure = if !account_matches && member {
            Some(Failure::new(
                Check::Subject,
                format!(
                    "the provider vouched for {email} with another account than the one linked to them: they could not sign in until an admin resets the link"
                ),
            ))
        } else if member {
            None
        } else if !policy.options.jit.enabled {
            Some(Failure::new(
                Check::Account,
                format!(
                    "{email} is not a member of the policy's teams and just-in-time membership is off, so they could not sign in"
                ),
            ))
        } else {
            match self.jit_seat_free(policy).await {
                Ok(()) => None,
                Err(ServiceError::Sso(f)) => Some(f),
                Err(e) => return Err(e),
            }
        };
        Ok(SsoOutcome::Tested {
            org: policy.org.clone(),
            policy: policy.id.clone(),
            email: Some(email.to_string()),
            checks: results(policy.protocol(), failure.as_ref()),
        })
    }

    /// Signs a member in: a portal session limited to the policy's organization, or the app's
    /// one-time code on its loopback address.
    pub(crate) async fn grant(
        &self,
        c: &mut Conn,
        flow: &FlowRow,
        policy: &SignInPolicy,
        user: &UserId,
        now: i64,
    ) -> ServiceResult<SsoOutcome> {
        people::mark_signed_in(c, user, now).await?;
        people::mark_signed_in_at(c, std::slice::from_ref(&policy.org), user, now).await?;
        match flow.purpose {
            SsoPurpose::App => {
                let redirect_uri = flow.app_redirect_uri.clone().unwrap_or_default();
                let code = random_secret();
                let row = AppCodeRow {
                    org_id: policy.org.clone(),
                    user_id: user.clone(),
                    redirect_uri: redirect_uri.clone(),
                    code_challenge: flow.app_code_challenge.clone().unwrap_or_default(),
                    expires_at: now + APP_CODE_TTL_MS,
                };
                store::insert_app_code(c, &secret_hash("app sso code", &code), &row, now).await?;
                let mut url = url_with(&redirect_uri, "code", &code);
                if let Some(state) = &flow.app_state {
                    url = url_with(&url, "state", state);
                }
                Ok(SsoOutcome::App { redirect: url })
            }
            _ => {
                let session = self.open_session(c, user, Some(&policy.org), now).await?;
                let next = flow
                    .next_path
                    .clone()
                    .unwrap_or_else(|| format!("/orgs/{}", policy.org));
                Ok(SsoOutcome::SignedIn { session, next })
            }
        }
    }
}

/// `url` with one more query parameter.
fn url_with(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("{url}{sep}{key}={value}")
}
