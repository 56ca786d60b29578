//! The permission table of DESIGN.md §1, as code, in one place. Deny by default: an action is
//! allowed only where a row below says so. Callers describe what the caller holds in one
//! organization ([`Standing`]) and what they want to do ([`Action`]); [`decide`] answers with the
//! [`Scope`] they may see it in, or [`Denied`].
//!
//! Tenant isolation (another organization's objects answer 404) is not decided here: a caller with
//! no standing in an organization never reaches this table (see the web layer's tenant extractor).

use crate::ids::TeamId;
use crate::role::OrgRole;

/// What a membership change does to the user it concerns, as far as the table cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipChange {
    /// The user's org role, if any: Team Admins never change an org-role holder's memberships.
    pub target_org_role: Option<OrgRole>,
    /// True when the change removes the user's last team, which removes them from the
    /// organization (R7) — the Org Admin's alone.
    pub removes_last_team: bool,
}

/// What one signed-in user holds in one organization.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub org_role: Option<OrgRole>,
    /// Teams where the user's membership has the `team_admin` role.
    pub team_admin_of: Vec<TeamId>,
    /// Every team the user is a member of, whatever the role.
    pub member_of: Vec<TeamId>,
    /// R2: whether the organization has been established (has a name and Org Admins).
    pub org_established: bool,
    /// R1: the organization's initial team.
    pub initial_team: Option<TeamId>,
    /// Set when the caller is an organization's API token rather than a person: what its scopes
    /// allow replaces the role columns.
    pub token: Option<TokenScopes>,
}

crate::text_enum!(
    /// One scope of an API token.
    ApiScope, "scopes", { Read = "read", Write = "write", Admin = "admin", Scim = "scim" });

/// What an API token may do (§1): `read` is what an Org Analyst reads; `write` is the Org
/// Admin's API except what `admin` guards and payment methods; `admin` is who holds power in the
/// organization — org roles, SSO policies and their break-glass lists, domains, API tokens;
/// `scim` is what SCIM provisioning changes (users, their memberships, teams as groups), only
/// through `/scim/v2`. So no token can make itself (or anyone) an Org Admin without `admin`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenScopes {
    pub read: bool,
    pub write: bool,
    pub admin: bool,
    pub scim: bool,
}

impl TokenScopes {
    pub fn of(scopes: &[ApiScope]) -> Self {
        TokenScopes {
            read: scopes.contains(&ApiScope::Read),
            write: scopes.contains(&ApiScope::Write),
            admin: scopes.contains(&ApiScope::Admin),
            scim: scopes.contains(&ApiScope::Scim),
        }
    }

    /// Whether the token may use `/api/v1` at all.
    pub fn api(self) -> bool {
        self.read || self.write || self.admin
    }

    /// Whether every scope of `other` is one of these (a token makes no token beyond its own).
    pub fn covers(self, other: TokenScopes) -> bool {
        (self.read || !other.read)
            && (self.write || !other.write)
            && (self.admin || !other.admin)
            && (self.scim || !other.scim)
    }
}

impl Standing {
    pub fn is_team_admin_of(&self, team: &TeamId) -> bool {
        self.team_admin_of.contains(team)
    }

    /// True if the user has any standing at all in the organization.
    pub fn is_in_org(&self) -> bool {
        self.org_role.is_some() || !self.member_of.is_empty()
    }
}

/// Everything a portal or API user can ask to do inside an organization.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    ViewOrg,
    /// The organization's own settings (its time zone).
    EditOrg,
    ViewTeams,
    ViewTeam(&'a TeamId),
    CreateTeam,
    EditTeam(&'a TeamId),
    DeleteTeam(&'a TeamId),
    ViewUsers,
    /// Add users to a team.
    ManageMembership(&'a TeamId),
    /// Change one user's membership of a team (add them to it, change their team role or app
    /// access there, remove them from it).
    ChangeMembership(&'a TeamId, MembershipChange),
    RemoveFromOrg,
    ViewOrgRoles,
    ManageOrgRoles,
    ViewBilling,
    ManageBilling,
    ViewTeamSettings(&'a TeamId),
    EditTeamSettings(&'a TeamId),
    ViewPolicies,
    /// Setting policies (R21, R22).
    ManagePolicies,
    /// SSO policies, their break-glass lists, Test connection, and an SSO identity's link (R24,
    /// R33): who may sign in, so the `admin` scope's.
    ManageSsoPolicies,
    /// The organization's email domains (R34).
    ViewDomains,
    ManageDomains,
    ViewAnalytics,
    /// A subscription's seat history and forecast (R30): the whole organization's figures,
    /// so Org Admins and Org Analysts, not Team Admins.
    ViewSeatHistory,
    ViewAudit,
    ManageApiTokens,
    /// A subscription's payment method (never through an API token).
    SetPaymentMethod,
    /// Enrollment keys and devices of a device-login team.
    ManageDevices(&'a TeamId),
}

/// The part of the organization an allowed caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything in the organization.
    Org,
    /// Only these teams (a Team Admin's own teams).
    Teams(Vec<TeamId>),
}

impl Scope {
    pub fn includes(&self, team: &TeamId) -> bool {
        match self {
            Scope::Org => true,
            Scope::Teams(teams) => teams.contains(team),
        }
    }
}

/// The caller may not do this (403), and why, in words a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

/// The reason of most refusals.
pub const NOT_YOUR_ROLE: Denied = Denied("Your role in this organization does not allow this.");
/// R7/§1: a Team Admin asked to remove a user's last membership.
pub const LAST_TEAM_IS_ORG_REMOVAL: Denied = Denied(
    "This is the user's last team: removing them from it removes them from the organization, which only an Org Admin may do.",
);
/// §1: a Team Admin asked to change the membership of an Org Admin or Org Analyst.
pub const ORG_ROLE_HOLDER: Denied = Denied(
    "This user holds an org role (Org Admin or Org Analyst); only an Org Admin may change their memberships.",
);

/// §1: what no API token may do, whatever its scopes.
pub const NEVER_BY_TOKEN: Denied =
    Denied("API tokens can't set payment methods; an Org Admin or the vendor does that.");
/// §1: the token's scopes don't cover the action.
pub const NOT_YOUR_SCOPE: Denied = Denied("This API token's scopes don't allow this.");
/// §1: who holds power in the organization is the `admin` scope's alone.
pub const NEEDS_ADMIN_SCOPE: Denied = Denied(
    "This needs an API token with the admin scope (org roles, SSO policies, domains, API tokens).",
);

/// What an API token may do, by its scopes.
fn decide_token(t: TokenScopes, action: Action<'_>) -> Result<Scope, Denied> {
    use Action::*;
    match action {
        SetPaymentMethod => Err(NEVER_BY_TOKEN),
        ManageOrgRoles | ManageSsoPolicies | ManageDomains | ManageApiTokens if t.admin => {
            Ok(Scope::Org)
        }
        ManageOrgRoles | ManageSsoPolicies | ManageDomains | ManageApiTokens => {
            Err(NEEDS_ADMIN_SCOPE)
        }
        // What `admin` manages, it may read.
        ViewOrg | ViewOrgRoles | ViewPolicies | ViewDomains if t.admin => Ok(Scope::Org),
        _ if t.write => Ok(Scope::Org),
        ViewOrg | ViewTeams | ViewTeam(_) | ViewUsers | ViewOrgRoles | ViewTeamSettings(_)
        | ViewPolicies | ViewDomains | ViewAnalytics | ViewSeatHistory
            if t.read =>
        {
            Ok(Scope::Org)
        }
        ViewOrg | ViewTeams | ViewTeam(_) | ViewUsers | CreateTeam | EditTeam(_)
        | DeleteTeam(_) | ManageMembership(_) | ChangeMembership(..) | RemoveFromOrg
            if t.scim =>
        {
            Ok(Scope::Org)
        }
        _ => Err(NOT_YOUR_SCOPE),
    }
}

/// The permission table. Read it as DESIGN.md §1, column by column.
pub fn decide(who: &Standing, action: Action<'_>) -> Result<Scope, Denied> {
    use Action::*;
    if let Some(t) = who.token {
        return decide_token(t, action);
    }
    let admin = who.org_role == Some(OrgRole::OrgAdmin);
    let analyst = who.org_role == Some(OrgRole::OrgAnalyst);
    let own_teams = || Scope::Teams(who.team_admin_of.clone());
    let team_admin = !who.team_admin_of.is_empty();

    let allowed = match action {
        // Org Admin: everything in this table.
        _ if admin => Some(Scope::Org),

        // Org Analyst: read views and analytics; never billing, audit, tokens or changes.
        ViewOrg | ViewTeams | ViewTeam(_) | ViewUsers | ViewOrgRoles | ViewTeamSettings(_)
        | ViewPolicies | ViewDomains | ViewAnalytics | ViewSeatHistory
            if analyst =>
        {
            Some(Scope::Org)
        }

        // Team Admin: their own teams.
        ViewOrg | ViewTeams | ViewUsers | ViewAnalytics if team_admin => Some(own_teams()),
        ViewTeam(t) | EditTeam(t) | ManageMembership(t) | ViewTeamSettings(t)
        | EditTeamSettings(t) | ManageDevices(t)
            if who.is_team_admin_of(t) =>
        {
            Some(own_teams())
        }
        ChangeMembership(t, change) if who.is_team_admin_of(t) => {
            if change.target_org_role.is_some() {
                return Err(ORG_ROLE_HOLDER);
            }
            if change.removes_last_team {
                return Err(LAST_TEAM_IS_ORG_REMOVAL);
            }
            Some(own_teams())
        }
        // R2: only a Team Admin of the initial team, and only before the org is established.
        CreateTeam
            if !who.org_established
                && who
                    .initial_team
                    .as_ref()
                    .is_some_and(|t| who.is_team_admin_of(t)) =>
        {
            Some(own_teams())
        }

        _ => None,
    };
    allowed.ok_or(NOT_YOUR_ROLE)
}

#[cfg(test)]
mod tests;
