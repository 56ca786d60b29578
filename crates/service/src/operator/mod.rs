//! What the vendor's operator does: provision a customer (R1) and read the plan catalog.

mod provision;

use serde::{Deserialize, Serialize};
use switchboard_domain::team::LoginType;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `email` or `device`; fixed for the team's life.
    pub login_type: LoginType,
    #[schema(max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// A plan name from `GET /operator/v1/plans`.
    #[schema(min_length = 1, max_length = 64)]
    pub plan: String,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub seats: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    pub team: NewTeam,
    #[schema(format = Email, max_length = 254)]
    pub admin_email: String,
    pub subscription: NewSubscription,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provisioned {
    pub org_id: String,
    pub team_id: String,
    pub subscription_id: String,
    pub admin_user_id: String,
}
