//! Organization API tokens (§1): an Org Admin creates one with a name, scopes (`read`, `write`,
//! `admin`, `scim`) and an optional expiry; its secret (`sbk_…`) is in the create answer only and kept as
//! a SHA-256 (256 random bits need no slow hash). A token acts in its organization only, with
//! the permissions of its scopes ([`standing_of`]), audited as itself.

mod authenticate;
pub use authenticate::TokenUse;
mod create;
mod list;
mod revoke;
mod whoami;
pub use whoami::{TokenMe, TokenOrg};

use crate::views::rfc3339;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_domain::access::{ApiScope, Standing, TokenScopes};
use switchboard_store::api_tokens::ApiTokenRow;
use utoipa::ToSchema;

/// What every token's secret starts with.
pub const TOKEN_PREFIX: &str = "sbk_";

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `read` (an Org Analyst's reads), `write` (the Org Admin's API, except what `admin`
    /// guards and payment methods), `admin` (org roles, SSO policies and their break-glass
    /// lists, domains, API tokens), `scim` (`/scim/v2` only). A token creating a token may give
    /// it only scopes it holds itself.
    #[schema(min_items = 1, max_items = 4)]
    pub scopes: Vec<ApiScope>,
    /// RFC 3339; absent: never expires.
    #[schema(format = DateTime, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    /// The Org Admin who created it (their user id).
    pub created_by: String,
    /// Their email, while they have an account.
    pub created_by_email: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub view: ApiTokenView,
    /// The secret, shown this once: send it as `Authorization: Bearer …`.
    pub token: String,
}

pub(crate) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("api token\0{secret}").as_bytes()))
}

pub(crate) fn scopes_of(row: &ApiTokenRow) -> Vec<ApiScope> {
    row.scopes
        .split_whitespace()
        .filter_map(|w| ApiScope::parse(w).ok())
        .collect()
}

/// The standing a token acts with: its scopes, in an organization that exists.
pub(crate) fn standing_of(row: &ApiTokenRow, org_established: bool) -> Standing {
    Standing {
        org_established,
        token: Some(TokenScopes::of(&scopes_of(row))),
        ..Standing::default()
    }
}

pub(crate) fn view(row: ApiTokenRow) -> ApiTokenView {
    ApiTokenView {
        scopes: scopes_of(&row),
        created_by: row.created_by.to_string(),
        created_by_email: None,
        created_at: rfc3339(row.created_at),
        last_used_at: row.last_used_at.map(rfc3339),
        expires_at: row.expires_at.map(rfc3339),
        id: row.id.into(),
        name: row.name,
        prefix: row.prefix,
    }
}
