//! R33: an SSO identity is the provider's account, not only its email. A person is linked to the
//! account (issuer and subject) of their first sign-in through a policy; later, an assertion for
//! them from another account — or from an account linked to someone else — is refused, and the
//! refusal is audited in the organization (`signin.sso_subject_mismatch`) in a write of its own,
//! because the sign-in itself changes nothing. An Org Admin resets the link when a person's
//! provider account legitimately changes.

use super::policy::SignInPolicy;
use crate::write::Actor;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_sso::{Check, Failure, Identity};
use switchboard_store::Conn;
use switchboard_store::sso_links::{self, Account};

/// The provider account of a verified identity; `None` when the provider names no subject
/// (nothing stable to link to).
pub(crate) fn account_of(identity: &Identity) -> Option<Account> {
    (!identity.subject.is_empty()).then(|| Account {
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
    })
}

fn mismatch() -> ServiceError {
    ServiceError::Sso(Failure::new(
        Check::Subject,
        "the provider vouched for this email with another account than the one linked to it",
    ))
}

impl Services {
    /// Whether `account` may sign in `user` (or, for `None`, a person who joins now) under the
    /// policy. A refusal names the person it was about, for the audit log.
    pub(crate) async fn account_matches(
        &self,
        policy: &SignInPolicy,
        user: Option<&UserId>,
        account: Option<&Account>,
    ) -> ServiceResult<Result<(), UserId>> {
        let Some(account) = account else {
            return Ok(Ok(()));
        };
        let mut c = self.store.read().await?;
        let owner = sso_links::user_of(&mut c, &policy.org, &policy.id, account).await?;
        let Some(user) = user else {
            // An account linked to someone else can't bring in a new person under another email.
            return Ok(owner.map_or(Ok(()), Err));
        };
        if owner.as_ref().is_some_and(|o| o != user) {
            return Ok(Err(user.clone()));
        }
        let linked = sso_links::account_of(&mut c, &policy.org, &policy.id, user).await?;
        Ok(match linked {
            Some(l) if l != *account => Err(user.clone()),
            _ => Ok(()),
        })
    }

    /// Audits a refused account in the policy's organization and answers the refusal.
    pub(crate) async fn refuse_account(
        &self,
        policy: &SignInPolicy,
        user: UserId,
        email: &Email,
        ctx: &RequestInfo,
    ) -> ServiceResult<()> {
        let mut w = self.write_as(&policy.org, Actor::System, ctx).await?;
        w.record(AuditEvent::SsoSubjectMismatch {
            user,
            email: email.to_string(),
            policy: policy.id.clone(),
        })
        .await?;
        w.commit().await?;
        Err(mismatch())
    }
}

/// Links `user` to `account` in the transaction that signs them in; refused if a concurrent
/// first sign-in linked them to another account.
pub(crate) async fn link(
    c: &mut Conn,
    policy: &SignInPolicy,
    user: &UserId,
    account: Option<&Account>,
    now: i64,
) -> ServiceResult<()> {
    let Some(account) = account else {
        return Ok(());
    };
    match sso_links::link(c, &policy.org, &policy.id, user, account, now).await? {
        Some(linked) if linked == *account => Ok(()),
        _ => Err(mismatch()),
    }
}
