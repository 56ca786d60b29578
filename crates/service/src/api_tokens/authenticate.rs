//! A request authenticated by an API token: the token must be live and belong to the
//! organization in the path (another organization's answers 404, as for everything else); its
//! standing comes from its scopes. Its last use is recorded at most once a minute.

use super::{scopes_of, standing_of, token_hash};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_domain::access::TokenScopes;
use switchboard_domain::ids::OrgId;
use switchboard_store::{api_tokens as store, now_ms, orgs};

/// Where a token is used: the JSON API needs `read` or `write`, SCIM needs `scim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Api,
    Scim,
}

impl Services {
    /// The caller a token is, in `org` (from the path), or in its own organization (SCIM).
    pub async fn api_token_caller(
        &self,
        secret: &str,
        org: Option<&str>,
        used_for: TokenUse,
    ) -> ServiceResult<OrgCaller> {
        let now = now_ms();
        let row = {
            let mut c = self.store.read().await?;
            store::live(&mut c, &token_hash(secret), now).await?
        }
        .ok_or(ServiceError::Unauthenticated(
            "The API token is unknown, revoked or expired.",
        ))?;
        if let Some(org) = org
            && OrgId::parse(org).as_ref() != Some(&row.org_id)
        {
            return Err(ServiceError::NotFound {
                what: "organization",
            });
        }
        let scopes = TokenScopes::of(&scopes_of(&row));
        let allowed = match used_for {
            TokenUse::Api => scopes.api(),
            TokenUse::Scim => scopes.scim,
        };
        if !allowed {
            return Err(switchboard_domain::access::NOT_YOUR_SCOPE.into());
        }
        let established = {
            let mut c = self.store.read().await?;
            orgs::get_org(&mut c, &row.org_id)
                .await?
                .is_some_and(|o| o.established_at.is_some())
        };
        if row.last_used_at.is_none_or(|t| now - t >= 60_000) {
            let mut tx = self.store.write().await?;
            store::touch(&mut tx, &row.org_id, &row.id, now).await?;
            tx.commit().await?;
        }
        // A token acts through one door at a time: `scim` only at /scim/v2, `read`/`write`/
        // `admin` only at /api/v1.
        let mut standing = standing_of(&row, established);
        standing.token = standing.token.map(|t| match used_for {
            TokenUse::Api => TokenScopes { scim: false, ..t },
            TokenUse::Scim => TokenScopes {
                scim: true,
                ..TokenScopes::default()
            },
        });
        Ok(OrgCaller {
            user: row.created_by.clone(),
            token: Some(row.id.clone()),
            standing,
            org: row.org_id,
            via: None,
        })
    }
}
