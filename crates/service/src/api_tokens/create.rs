//! Creating an API token: its secret is in this answer only.

use super::{ApiTokenView, CreateApiToken, CreatedApiToken, TOKEN_PREFIX, token_hash, view};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use rand::Rng;
use switchboard_domain::access::{Action, Denied, TokenScopes};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::ApiTokenId;
use switchboard_domain::team::Name;
use switchboard_store::api_tokens::{self as store, ApiTokenRow};
use switchboard_store::now_ms;

impl Services {
    pub async fn create_api_token(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        req: CreateApiToken,
    ) -> ServiceResult<CreatedApiToken> {
        let name = Name::parse("name", &req.name)?;
        if req.scopes.is_empty() {
            return Err(ServiceError::invalid(
                "scopes",
                "name at least one of read, write, admin, scim",
            ));
        }
        let mut scopes = req.scopes.clone();
        scopes.sort();
        scopes.dedup();
        let expires_at = req
            .expires_at
            .as_deref()
            .map(|s| crate::views::future_time("expires_at", s))
            .transpose()?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageApiTokens)?;
        // A token makes no token with a scope it doesn't hold itself.
        if let Some(own) = w.token_scopes()
            && !own.covers(TokenScopes::of(&scopes))
        {
            return Err(ServiceError::NotPermitted(Denied(
                "An API token can't create a token with more scopes than its own.",
            )));
        }
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            hex::encode(rand::rng().random::<[u8; 32]>())
        );
        let row = ApiTokenRow {
            org_id: who.org.clone(),
            id: ApiTokenId::generate(),
            name: name.as_str().to_owned(),
            prefix: secret[..TOKEN_PREFIX.len() + 8].to_owned(),
            scopes: scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            created_by: who.user.clone(),
            created_at: now_ms(),
            last_used_at: None,
            expires_at,
            revoked_at: None,
        };
        store::insert(w.db(), &row, &token_hash(&secret)).await?;
        let creator = switchboard_store::people::get_user(w.db(), &who.user)
            .await?
            .map(|u| u.email);
        let view = ApiTokenView {
            created_by_email: creator,
            ..view(row)
        };
        w.record(AuditEvent::ApiTokenCreated {
            token: ApiTokenId::from_db(view.id.clone()),
            name: view.name.clone(),
            scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            expires_at: view.expires_at.clone(),
        })
        .await?;
        w.commit().await?;
        Ok(CreatedApiToken {
            view,
            token: secret,
        })
    }
}
