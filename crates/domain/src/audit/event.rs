//! What an audit entry says happened (R25), as types: one variant per kind of change, naming the
//! object changed (id and a human name), and what it looked like before and after. The write path
//! records these and nothing else, so every entry of one kind has the same shape.

use crate::billing::Period;
use crate::ids::{
    ApiTokenId, DeviceId, EnrollmentKeyId, InvoiceId, OrgId, PolicyId, SubscriptionId, TeamId,
    UserId,
};
use crate::role::OrgRole;
use crate::team::LoginType;
use serde_json::Value;

pub use super::entry::EntryParts;
pub use super::state::{
    CardSummary, MembershipState, Placement, PolicyState, SsoSettings, TeamText, Terms,
};

crate::text_enum!(
    /// How a person proved who they are.
    SignInMethod, "method", { EmailCode = "email_code", Sso = "sso" });

#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    OrgProvisioned {
        org: OrgId,
        team: TeamId,
        team_name: String,
        login_type: LoginType,
        subscription: SubscriptionId,
        plan: String,
        seats: i64,
        admin: UserId,
        admin_email: String,
    },
    OrgEstablished {
        org: OrgId,
        name: String,
        first_org_admin: UserId,
    },
    TeamCreated {
        team: TeamId,
        text: TeamText,
        login_type: LoginType,
    },
    TeamUpdated {
        team: TeamId,
        before: TeamText,
        after: TeamText,
    },
    TeamDeleted {
        team: TeamId,
        text: TeamText,
        login_type: LoginType,
    },
    /// Many users added to one team at once (R6): one entry for the batch.
    MembersAdded {
        team: TeamId,
        team_name: String,
        state: MembershipState,
        users: Vec<UserId>,
    },
    MembershipAdded {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        state: MembershipState,
    },
    MembershipUpdated {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        before: MembershipState,
        after: MembershipState,
    },
    MembershipRemoved {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        before: MembershipState,
        org_role: Option<OrgRole>,
        removed_from_org: bool,
    },
    RemovedFromOrg {
        user: UserId,
        email: String,
        org_role: Option<OrgRole>,
        teams: Vec<TeamId>,
    },
    OrgRoleAssigned {
        user: UserId,
        email: String,
        role: OrgRole,
        added_to_initial_team: bool,
        app_access: Option<bool>,
    },
    OrgRoleChanged {
        user: UserId,
        email: String,
        before: OrgRole,
        after: OrgRole,
    },
    OrgRoleRevoked {
        user: UserId,
        email: String,
        role: OrgRole,
    },
    /// An invitation mailed again to a user who has not signed in yet.
    InvitationResent {
        user: UserId,
        email: String,
    },
    /// An API token was created (its secret is never recorded).
    ApiTokenCreated {
        token: ApiTokenId,
        name: String,
        scopes: Vec<String>,
        expires_at: Option<String>,
    },
    ApiTokenRevoked {
        token: ApiTokenId,
        name: String,
    },
    /// R26: the time zone analytics count days in.
    OrgTimeZoneChanged {
        org: OrgId,
        before: String,
        after: String,
    },
    /// SCIM changed what the identity provider says about a user (and their app access).
    ScimUserUpdated {
        user: UserId,
        email: String,
        active_before: bool,
        active_after: bool,
    },
    /// SCIM changed a group's (team's) external id.
    ScimGroupUpdated {
        team: TeamId,
        team_name: String,
        external_id: Option<String>,
    },
    /// R24: an Org Admin or a break-glass email signed in by emailed code although all their
    /// email teams sign in through SSO.
    BreakGlassSignIn {
        user: UserId,
        email: String,
    },
    /// R34: an organization claimed an email domain (its DNS record is awaited).
    DomainClaimed {
        org: OrgId,
        domain: String,
    },
    /// R34: the claim was proven, by its DNS record (`dns`) or the operator (`operator`).
    DomainVerified {
        org: OrgId,
        domain: String,
        by: &'static str,
    },
    /// R29: the idle-seat rule turned app access off: no call for `idle_days` days since
    /// `idle_from` (RFC 3339).
    SeatReleased {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        idle_from: String,
        idle_days: i64,
    },
    /// R29: the seat holder was told their idle seat is released on `release_on`.
    SeatReleaseNoticed {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        release_on: String,
    },
    /// R34: the DNS record has been gone 7 days; the domain routes nobody until verified again.
    DomainLapsed {
        org: OrgId,
        domain: String,
    },
    DomainRemoved {
        org: OrgId,
        domain: String,
    },
    /// R33: the provider vouched for a linked person with another subject (its sign-in was
    /// refused): someone may have taken their email at the provider.
    SsoSubjectMismatch {
        user: UserId,
        email: String,
        policy: PolicyId,
    },
    /// R33: an Org Admin unlinked a person's provider identity; the next sign-in links anew.
    SsoLinkReset {
        user: UserId,
        email: String,
        policies: Vec<PolicyId>,
    },
    /// A person with a portal role (Org Admin, Org Analyst, Team Admin) opened a session.
    SignedIn {
        user: UserId,
        email: String,
        method: SignInMethod,
    },
    /// A person with a portal role ended their session.
    SignedOut {
        user: UserId,
        email: String,
    },
    /// R24a: a person the identity provider vouched for joined a team just in time.
    JoinedJustInTime {
        user: UserId,
        email: String,
        team: TeamId,
        team_name: String,
        policy: PolicyId,
    },
    SubscriptionCreated {
        subscription: SubscriptionId,
        name: String,
        terms: Terms,
        period: Period,
    },
    SubscriptionTermsChanged {
        subscription: SubscriptionId,
        name: String,
        before: Terms,
        after: Terms,
    },
    SubscriptionRenamed {
        subscription: SubscriptionId,
        before: String,
        after: String,
    },
    PaymentMethodSet {
        subscription: SubscriptionId,
        name: String,
        before: CardSummary,
        after: CardSummary,
        exp_month: i64,
        exp_year: i64,
    },
    /// A team joined a subscription (R16).
    TeamAddedToSubscription {
        team: TeamId,
        team_name: String,
        before: Placement,
        after: Placement,
    },
    /// A covered team's reservation changed (R14).
    TeamReservationChanged {
        team: TeamId,
        team_name: String,
        before: Placement,
        after: Placement,
    },
    TeamRemovedFromSubscription {
        team: TeamId,
        team_name: String,
        before: Placement,
    },
    TeamMoved {
        team: TeamId,
        team_name: String,
        before: Placement,
        after: Placement,
    },
    InvoiceClosed {
        subscription: SubscriptionId,
        invoice: InvoiceId,
        number: i64,
        total_cents: i64,
    },
    InvoiceStatusChanged {
        invoice: InvoiceId,
        number: i64,
        before: crate::billing::InvoiceStatus,
        after: crate::billing::InvoiceStatus,
    },
    TeamSettingChanged {
        team: TeamId,
        team_name: String,
        key: String,
        before: Option<Value>,
        after: Option<Value>,
    },
    PolicyCreated {
        policy: PolicyId,
        state: PolicyState,
    },
    PolicyUpdated {
        policy: PolicyId,
        before: PolicyState,
        after: PolicyState,
    },
    PolicyDeleted {
        policy: PolicyId,
        state: PolicyState,
    },
    SsoPolicyCreated {
        policy: PolicyId,
        state: SsoSettings,
    },
    SsoPolicyUpdated {
        policy: PolicyId,
        before: SsoSettings,
        after: SsoSettings,
    },
    SsoPolicyDeleted {
        policy: PolicyId,
        state: SsoSettings,
    },
    EnrollmentKeyCreated {
        key: EnrollmentKeyId,
        team: TeamId,
        team_name: String,
        expires_at: Option<String>,
        max_uses: Option<i64>,
    },
    EnrollmentKeyRevoked {
        key: EnrollmentKeyId,
        team: TeamId,
        team_name: String,
        was_revoked: bool,
    },
    DeviceEnrolled {
        device: DeviceId,
        name: String,
        team: TeamId,
        team_name: String,
    },
    DeviceRenamed {
        device: DeviceId,
        before: String,
        after: String,
    },
    DeviceRemoved {
        device: DeviceId,
        name: String,
        team: TeamId,
    },
    /// An app token was bound to one of its user's teams.
    AppTeamChosen {
        user: UserId,
        email: String,
        before: Option<TeamId>,
        after: TeamId,
    },
}
