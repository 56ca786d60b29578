//! `GET /api/v1/me` for an API token: which token it is, what it may do, and the organization
//! it acts in — so a script holding only a token can learn its organization's id.

use super::{ApiTokenView, token_hash, view};
use crate::{ServiceError, ServiceResult, Services};
use serde::Serialize;
use switchboard_store::{api_tokens as store, now_ms, orgs, people};
use utoipa::ToSchema;

/// The organization a token acts in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenOrg {
    pub id: String,
    /// Null until the organization is established.
    pub name: Option<String>,
}

/// What `GET /api/v1/me` answers for an API token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenMe {
    pub api_token: ApiTokenView,
    pub org: TokenOrg,
}

impl Services {
    /// The token behind `secret`, and its organization. Unknown, revoked or expired: 401.
    pub async fn token_me(&self, secret: &str) -> ServiceResult<TokenMe> {
        let mut c = self.store.read().await?;
        let row = store::live(&mut c, &token_hash(secret), now_ms())
            .await?
            .ok_or(ServiceError::Unauthenticated(
                "The API token is unknown, revoked or expired.",
            ))?;
        let org = orgs::get_org(&mut c, &row.org_id).await?;
        let creator = people::get_user(&mut c, &row.created_by)
            .await?
            .map(|u| u.email);
        Ok(TokenMe {
            org: TokenOrg {
                id: row.org_id.to_string(),
                name: org.and_then(|o| o.name),
            },
            api_token: ApiTokenView {
                created_by_email: creator,
                ..view(row)
            },
        })
    }
}
