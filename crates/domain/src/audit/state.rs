//! The values an audit entry shows before and after a change (R25): a membership's role and
//! access, a subscription's terms, a team's place in billing, a policy's settings, a team's text.

use crate::billing::SubscriptionStatus;
use crate::ids::{SubscriptionId, TeamId};
use crate::role::TeamRole;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A membership's role and app access, before or after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MembershipState {
    pub team_role: TeamRole,
    pub app_access: bool,
}

/// The terms of a subscription the operator sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub plan: String,
    pub seats: i64,
    pub status: SubscriptionStatus,
    pub unit_price_cents: i64,
}

/// Where a team sits in billing: its subscription and reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub subscription_id: Option<SubscriptionId>,
    pub reserved_seats: Option<i64>,
    /// Seats the team held at the time.
    pub used: i64,
}

/// A payment method as the log may show it (never the provider token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardSummary {
    pub brand: Option<String>,
    pub last4: Option<String>,
}

/// An SSO policy's provider settings as the log may show them (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SsoSettings {
    pub name: String,
    pub settings: Value,
    pub team_ids: Vec<TeamId>,
}

/// A setting policy's name, values and teams.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyState {
    pub name: String,
    pub values: BTreeMap<String, Value>,
    pub team_ids: Vec<TeamId>,
}

/// A team's editable text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamText {
    pub name: String,
    pub description: Option<String>,
}
