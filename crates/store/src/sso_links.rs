//! R33: which provider account (issuer and subject) each person is linked to, per SSO policy.
//! Linked on a person's first sign-in through the policy; read on every later one.

use crate::{Conn, Result};
use switchboard_domain::ids::{OrgId, PolicyId, UserId};

/// A provider account: who issued the assertion, and its stable subject.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    pub issuer: String,
    pub subject: String,
}

/// A person's link under one policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub policy_id: PolicyId,
    pub issuer: String,
    pub subject: String,
    pub linked_at: i64,
}

/// The account `user` is linked to under the policy, if any.
pub async fn account_of(
    c: &mut Conn,
    org: &OrgId,
    policy: &PolicyId,
    user: &UserId,
) -> Result<Option<Account>> {
    Ok(sqlx::query_as(
        "SELECT issuer, subject FROM sso_identities WHERE org_id = $1 AND policy_id = $2 AND user_id = $3",
    )
    .bind(org)
    .bind(policy)
    .bind(user)
    .fetch_optional(c)
    .await?)
}

/// The person an account is linked to under the policy, if any.
pub async fn user_of(
    c: &mut Conn,
    org: &OrgId,
    policy: &PolicyId,
    account: &Account,
) -> Result<Option<UserId>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM sso_identities WHERE org_id = $1 AND policy_id = $2 AND issuer = $3 AND subject = $4",
    )
    .bind(org)
    .bind(policy)
    .bind(&account.issuer)
    .bind(&account.subject)
    .fetch_optional(c)
    .await?)
}

/// Links `user` to `account` unless they are linked already; answers the account they are
/// linked to afterwards (another one when a concurrent first sign-in won).
pub async fn link(
    c: &mut Conn,
    org: &OrgId,
    policy: &PolicyId,
    user: &UserId,
    account: &Account,
    now: i64,
) -> Result<Option<Account>> {
    sqlx::query(
        "INSERT INTO sso_identities (org_id, policy_id, user_id, issuer, subject, linked_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(org)
    .bind(policy)
    .bind(user)
    .bind(&account.issuer)
    .bind(&account.subject)
    .bind(now)
    .execute(&mut *c)
    .await?;
    account_of(c, org, policy, user).await
}

/// A person's links in the organization, one per policy they signed in through.
pub async fn links_of(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Vec<LinkRow>> {
    Ok(sqlx::query_as(
        "SELECT policy_id, issuer, subject, linked_at FROM sso_identities \
         WHERE org_id = $1 AND user_id = $2 ORDER BY policy_id",
    )
    .bind(org)
    .bind(user)
    .fetch_all(c)
    .await?)
}

/// Removes a person's links in the organization; answers the policies they were linked under.
pub async fn unlink(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Vec<PolicyId>> {
    Ok(sqlx::query_scalar(
        "DELETE FROM sso_identities WHERE org_id = $1 AND user_id = $2 RETURNING policy_id",
    )
    .bind(org)
    .bind(user)
    .fetch_all(c)
    .await?)
}
