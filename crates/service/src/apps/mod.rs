//! What the agents' apps talk to: sign-in by code into an app token bound to one membership,
//! devices enrolled with enrollment keys (each a seat holder), and the entitlement answer.
//!
//! The entitlement answer is the hot path: see [`cache`].

mod cache;
mod devices;
mod enrollment;
mod entitlement;
mod ingest_limits;
mod sign_in;
mod usage;
mod versions;
pub use usage::{EventOutcome, EventResult, UsageBatch, UsageReceipt};

use crate::views::rfc3339;
use crate::{OrgCaller, ServiceError, ServiceResult};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_domain::access::Action;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::{DeviceId, TeamId};
use switchboard_store::apps::{self as store, DeviceRow, EnrollmentKeyRow};
use utoipa::ToSchema;

pub use cache::{EntitlementAnswer, EntitlementCache};
pub use ingest_limits::IngestLimits;
pub use versions::VersionWatch;

/// User app tokens live 90 days; device tokens until the device is removed (ten years).
const USER_TOKEN_TTL_MS: i64 = 90 * 24 * 3600 * 1000;
const DEVICE_TOKEN_TTL_MS: i64 = 10 * 365 * 24 * 3600 * 1000;
/// The SHA-256 of a secret of this kind (domain-separated by the kind).
fn token_digest(kind: &str, token: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    h.finalize().into()
}

/// The digest in hex: what the database stores.
fn token_hash(kind: &str, token: &str) -> String {
    hex::encode(token_digest(kind, token))
}

/// An app token's digest: what the entitlement cache is keyed by.
fn app_token_digest(token: &str) -> [u8; 32] {
    token_digest("app", token)
}

fn app_token_hash(token: &str) -> String {
    token_hash("app", token)
}

fn new_token(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(rand::rng().random::<[u8; 32]>()))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppVerify {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    /// The team to sign in to, when the user is in several.
    #[schema(min_length = 1, max_length = 64, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_id: Option<String>,
    /// The `attempt_id` the start answered: the code is checked against that attempt only.
    /// Without it, against the newest attempt started from this client's address.
    #[schema(min_length = 1, max_length = 128, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub attempt_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppTeam {
    pub org_id: OrgId,
    pub org_name: Option<String>,
    pub team_id: TeamId,
    pub team_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppSession {
    pub token: String,
    pub expires_at: String,
    /// The team the token is bound to; null until the app chooses one of `teams`.
    pub team_id: Option<String>,
    pub teams: Vec<AppTeam>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    #[schema(min_length = 1, max_length = 200)]
    pub enrollment_key: String,
    #[schema(min_length = 1, max_length = 100)]
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolled {
    pub device_id: String,
    pub org_id: String,
    pub team_id: String,
    /// The device token: send it as a bearer token to `/app/v1/entitlement`.
    pub token: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollmentKey {
    /// RFC 3339; none: never expires.
    #[schema(format = DateTime, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub expires_at: Option<String>,
    /// How many devices may enroll with it; none: no limit.
    #[schema(minimum = 1, maximum = 100000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub max_uses: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrollmentKeyView {
    pub id: String,
    pub team_id: String,
    pub expires_at: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked: bool,
    pub created_at: String,
    /// The key itself: shown once, when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub enrolled_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameDevice {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

fn key_view(k: EnrollmentKeyRow, key: Option<String>) -> EnrollmentKeyView {
    EnrollmentKeyView {
        expires_at: k.expires_at.map(rfc3339),
        revoked: k.revoked_at.is_some(),
        created_at: rfc3339(k.created_at),
        id: k.id.into(),
        team_id: k.team_id.into(),
        max_uses: k.max_uses,
        uses: k.uses,
        key,
    }
}

fn device_view(d: DeviceRow) -> DeviceView {
    DeviceView {
        enrolled_at: rfc3339(d.enrolled_at),
        id: d.id.into(),
        team_id: d.team_id.into(),
        name: d.name,
    }
}

fn unauthenticated() -> ServiceError {
    ServiceError::Unauthenticated(
        "The app token is unknown, expired or revoked. Sign in (or enroll) again.",
    )
}

/// A device of one of the caller's teams, for a change.
async fn load_device(
    w: &mut crate::write::Write,
    who: &OrgCaller,
    team: &TeamId,
    device: &DeviceId,
) -> ServiceResult<DeviceRow> {
    let not_found = || ServiceError::NotFound { what: "device" };
    let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
    w.may(Action::ManageDevices(&t.id.clone()))?;
    store::get_device(w.db(), &who.org, device)
        .await?
        .filter(|d| d.team_id == t.id)
        .ok_or_else(not_found)
}
