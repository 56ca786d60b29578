//! How an audit event becomes a log entry (R25): its action word, the object it names, and the
//! before and after JSON every entry of its kind shows. One file per area ([`people`],
//! [`billing`], [`settings`]); the match below names every event once, so a new one must be
//! given an area (and so an entry) before anything compiles.

mod billing;
mod people;
mod settings;

use super::event::AuditEvent;
use super::state::SsoSettings;
use serde::Serialize;
use serde_json::{Value, json};

/// An event laid out as the log stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryParts {
    pub action: &'static str,
    /// The id of the changed object.
    pub target: String,
    /// What a person calls it (a team's name, a user's email), as it was at the time.
    pub target_name: Option<String>,
    pub before: Value,
    pub after: Value,
}

fn v<T: Serialize>(x: T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// An entry from its parts.
fn part(
    action: &'static str,
    target: &dyn ToString,
    name: Option<&str>,
    before: Value,
    after: Value,
) -> EntryParts {
    EntryParts {
        action,
        target: target.to_string(),
        target_name: name.map(str::to_owned),
        before,
        after,
    }
}

impl AuditEvent {
    /// The entry's action word, e.g. `membership.remove`.
    pub fn action(&self) -> &'static str {
        self.parts().action
    }

    /// The entry this event becomes.
    pub fn parts(&self) -> EntryParts {
        use AuditEvent::*;
        match self {
            OrgProvisioned { .. }
            | OrgEstablished { .. }
            | TeamCreated { .. }
            | TeamUpdated { .. }
            | TeamDeleted { .. }
            | MembersAdded { .. }
            | MembershipAdded { .. }
            | MembershipUpdated { .. }
            | MembershipRemoved { .. }
            | RemovedFromOrg { .. }
            | OrgRoleAssigned { .. }
            | OrgRoleChanged { .. }
            | ApiTokenCreated { .. }
            | ApiTokenRevoked { .. }
            | OrgTimeZoneChanged { .. }
            | ScimUserUpdated { .. }
            | ScimGroupUpdated { .. }
            | BreakGlassSignIn { .. }
            | DomainClaimed { .. }
            | DomainVerified { .. }
            | DomainLapsed { .. }
            | SeatReleased { .. }
            | SeatReleaseNoticed { .. }
            | DomainRemoved { .. }
            | SsoSubjectMismatch { .. }
            | SsoLinkReset { .. }
            | SignedIn { .. }
            | SignedOut { .. }
            | JoinedJustInTime { .. }
            | InvitationResent { .. }
            | OrgRoleRevoked { .. } => people::parts(self),
            SubscriptionCreated { .. }
            | SubscriptionTermsChanged { .. }
            | SubscriptionRenamed { .. }
            | PaymentMethodSet { .. }
            | TeamAddedToSubscription { .. }
            | TeamReservationChanged { .. }
            | TeamRemovedFromSubscription { .. }
            | TeamMoved { .. }
            | InvoiceClosed { .. }
            | InvoiceStatusChanged { .. } => billing::parts(self),
            TeamSettingChanged { .. }
            | PolicyCreated { .. }
            | PolicyUpdated { .. }
            | PolicyDeleted { .. }
            | SsoPolicyCreated { .. }
            | SsoPolicyUpdated { .. }
            | SsoPolicyDeleted { .. }
            | EnrollmentKeyCreated { .. }
            | EnrollmentKeyRevoked { .. }
            | DeviceEnrolled { .. }
            | DeviceRenamed { .. }
            | DeviceRemoved { .. }
            | AppTeamChosen { .. } => settings::parts(self),
        }
    }
}

/// An SSO policy's settings flattened beside its name and teams, as entries show them.
fn sso(s: &SsoSettings) -> Value {
    let mut out = json!({"name": s.name, "team_ids": s.team_ids});
    if let (Value::Object(o), Value::Object(settings)) = (&mut out, &s.settings) {
        for (k, val) in settings {
            o.insert(k.clone(), val.clone());
        }
    }
    out
}
