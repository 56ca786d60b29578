//! Users of an organization and their team memberships (R4–R8, R11): the filtered user list,
//! user details, bulk add, adding to another team, editing and removing a membership, removing a
//! user from the organization. Seat holders are created only through [`crate::seats`].

mod bulk_add;
mod counts;
mod detail;
mod invitations;
pub use counts::CountCache;
pub use switchboard_store::user_list::UserCounts;
mod list;
pub use list::UserPage;
mod memberships;
mod removal;
pub use removal::RemovalPreview;

use crate::memberships::Person;
use crate::teams::load_team_by_id;
use crate::views::{MembershipView, UserView, status_of};
use crate::write::Write;
use crate::{OrgCaller, ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use switchboard_domain::access::{Action, MembershipChange, Scope};
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole, UserStatus};
use switchboard_store::Conn;
use switchboard_store::orgs::TeamRow;
use switchboard_store::people::{self, MembershipRow, UserFilter};
use switchboard_store::user_order::Keyset;
use utoipa::{IntoParams, ToSchema};

/// The most emails one bulk add takes (R6).
pub const MAX_BULK_EMAILS: usize = 1000;

switchboard_domain::text_enum!(
/// The order of the user list: a key, ascending, or with `-` descending. Ties are broken by
/// the user's id. Absent: the order users were created in.
UserSort, "sort", {
    Email = "email", EmailDesc = "-email", Name = "name", NameDesc = "-name",
    LastActive = "last_active", LastActiveDesc = "-last_active",
    Status = "status", StatusDesc = "-status"
});

impl UserSort {
    pub fn order(self) -> switchboard_store::user_order::Order {
        use switchboard_store::user_order::{Order, SortKey};
        let (key, descending) = match self {
            UserSort::Email => (SortKey::Email, false),
            UserSort::EmailDesc => (SortKey::Email, true),
            UserSort::Name => (SortKey::Name, false),
            UserSort::NameDesc => (SortKey::Name, true),
            UserSort::LastActive => (SortKey::LastActive, false),
            UserSort::LastActiveDesc => (SortKey::LastActive, true),
            UserSort::Status => (SortKey::Status, false),
            UserSort::StatusDesc => (SortKey::Status, true),
        };
        Order { key, descending }
    }
}

switchboard_domain::text_enum!(
    /// The `org_role` filter of the user list: an org role, or none at all.
    OrgRoleFilter, "org_role", { OrgAdmin = "org_admin", OrgAnalyst = "org_analyst", None = "none" });

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Substring of email or name, case-insensitive.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f]*$")]
    pub q: Option<String>,
    /// Only members of this team.
    #[param(pattern = "^(team_[0-9a-z]{26})?$")]
    pub team: Option<String>,
    /// With `team`, in that team.
    #[param(inline)]
    pub team_role: Option<TeamRole>,
    /// An org role, or `none` for users without one.
    #[param(inline)]
    pub org_role: Option<OrgRoleFilter>,
    #[param(inline)]
    pub status: Option<UserStatus>,
    /// `true` or `false` (with `team`, in that team).
    pub app_access: Option<bool>,
    /// `true`: users who have used the app (reported usage); `false`: those who never have.
    pub used_app: Option<bool>,
    /// `true`: users holding a seat the idle-seat rule releases within 7 days, or already
    /// idle (R29, `GET …/seats/idle`); `false`: everyone else.
    pub idle: Option<bool>,
    /// The order (`name`, `-name`, `email`, `last_active`, `status`, …); absent: the order
    /// users were created in.
    #[param(inline)]
    pub sort: Option<UserSort>,
    /// The `next_cursor` of the page before: the page after it.
    #[param(pattern = "^((([0-9a-f]{2})*\\.)?usr_[0-9a-z]{26})?$")]
    pub cursor: Option<String>,
    /// The `prev_cursor` of the page after: the page before it.
    #[param(pattern = "^((([0-9a-f]{2})*\\.)?usr_[0-9a-z]{26})?$")]
    pub before: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAdd {
    #[schema(min_length = 1, max_length = 64)]
    pub team_id: String,
    pub team_role: TeamRole,
    /// 1 to 1,000 emails.
    #[schema(min_items = 1, max_items = 1000)]
    pub emails: Vec<String>,
    /// Default: on for an email team covered by a subscription, off otherwise.
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub app_access: Option<bool>,
    /// Mail each new member an invitation (default: true).
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub invite: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddOutcome {
    Added,
    AlreadyMember,
    Invalid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddResult {
    /// The email as given.
    pub email: String,
    pub outcome: AddOutcome,
    pub user_id: Option<String>,
    /// Why an email is invalid.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkAddResult {
    pub added: usize,
    pub already_member: usize,
    pub invalid: usize,
    pub results: Vec<AddResult>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembership {
    #[schema(min_length = 1, max_length = 64)]
    pub team_id: String,
    pub team_role: TeamRole,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub app_access: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateMembership {
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_role: Option<TeamRole>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub app_access: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemovedMembership {
    /// True when this was the user's last team, so they left the organization (R7).
    pub removed_from_org: bool,
}

fn not_found_user() -> ServiceError {
    ServiceError::NotFound { what: "user" }
}

/// A user of the organization with their memberships there, read in two statements.
struct Member {
    person: Person,
    row: people::OrgMemberRow,
    memberships: Vec<MembershipRow>,
}

impl Member {
    fn org_role(&self) -> Option<OrgRole> {
        self.row.org_role
    }
}

/// The user's memberships in the organization, and what it knows of them; 404 if not in it.
async fn load_member(c: &mut Conn, who: &OrgCaller, user: &UserId) -> ServiceResult<Member> {
    let row = people::org_member(c, &who.org, user)
        .await?
        .ok_or_else(not_found_user)?;
    let memberships = people::memberships_of_users(c, &who.org, std::slice::from_ref(user)).await?;
    Ok(Member {
        person: Person {
            id: user.clone(),
            email: row.email.clone(),
        },
        row,
        memberships,
    })
}

/// A membership a change is about, with everything the change needs to know.
struct Target {
    person: Person,
    org_role: Option<OrgRole>,
    /// How many teams of the organization the user is in.
    teams: usize,
    team: TeamRow,
    membership: MembershipRow,
}

impl Target {
    fn state(&self) -> MembershipState {
        crate::memberships::state_of(&self.membership)
    }
}

/// The membership of `user` in `team` that a change is about: 404 for a missing user, team or
/// membership; 403 unless the caller may make this change (a Team Admin never changes an
/// org-role holder's memberships, nor removes anyone's last team).
async fn load_target(
    w: &mut Write,
    who: &OrgCaller,
    user: &UserId,
    team: &TeamId,
    removing: bool,
) -> ServiceResult<Target> {
    let member = load_member(w.db(), who, user).await?;
    let team = load_team_by_id(w.db(), who, team).await?;
    // Without the right to manage the team at all, the membership's existence is not told.
    w.may(Action::ManageMembership(&team.id))?;
    let membership = member
        .memberships
        .iter()
        .find(|m| m.team_id == team.id)
        .cloned()
        .ok_or(ServiceError::NotFound { what: "membership" })?;
    w.may(Action::ChangeMembership(
        &team.id,
        MembershipChange {
            target_org_role: member.org_role(),
            removes_last_team: removing && member.memberships.len() == 1,
        },
    ))?;
    Ok(Target {
        org_role: member.org_role(),
        teams: member.memberships.len(),
        person: member.person,
        team,
        membership,
    })
}

fn user_view(u: people::UserListRow, memberships: Vec<MembershipView>) -> UserView {
    UserView {
        status: status_of(u.first_signed_in_at),
        invited_at: u.invited_at.map(crate::views::rfc3339),
        last_active: u.last_active,
        org_role: u.org_role,
        id: u.id.into(),
        email: u.email,
        name: u.name,
        memberships,
    }
}

/// Parses the list query into a store filter for the caller's scope.
pub fn user_filter(scope: &Scope, q: &UserQuery) -> ServiceResult<UserFilter> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ServiceError::invalid("limit", "must be from 1 to 200"));
    }
    let team_role = q.team_role;
    let org_role = q.org_role.map(|r| match r {
        OrgRoleFilter::OrgAdmin => Some(OrgRole::OrgAdmin),
        OrgRoleFilter::OrgAnalyst => Some(OrgRole::OrgAnalyst),
        OrgRoleFilter::None => None,
    });
    let signed_in = q.status.map(|s| s == UserStatus::SignedIn);
    // A well-formed id of a team of another organization matches no one; a value that can't
    // be a team id at all is a mistake worth saying (a team's name instead of its id, say).
    let team = q
        .team
        .as_deref()
        .map(|t| {
            TeamId::parse(t).ok_or_else(|| {
                ServiceError::invalid(
                    "team",
                    "must be a team id like team_01J…, not a team's name",
                )
            })
        })
        .transpose()?;
    let order = q.sort.map(UserSort::order);
    // A cursor names the row a page starts after (or ends before). One made for another order
    // still names a row: it is read in this order, never refused (a page boundary is a read).
    let boundary = |field: &'static str, c: Option<&str>| match c {
        None => Ok(None),
        Some(c) => Keyset::decode(c)
            .map(|k| match order {
                None => Keyset { value: None, ..k },
                Some(_) => Keyset {
                    value: Some(k.value.unwrap_or_default()),
                    ..k
                },
            })
            .map(Some)
            .ok_or_else(|| ServiceError::invalid(field, "is not a cursor this list gave out")),
    };
    // With both, `cursor` wins: the page after it.
    let after = boundary("cursor", q.cursor.as_deref())?;
    let before = match after {
        Some(_) => None,
        None => boundary("before", q.before.as_deref())?,
    };
    let needle =
        q.q.as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
    if needle.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ServiceError::invalid("q", "must be at most 200 characters"));
    }
    if needle
        .as_ref()
        .is_some_and(|s| s.chars().any(char::is_control))
    {
        return Err(ServiceError::invalid(
            "q",
            "must not contain control characters",
        ));
    }
    Ok(UserFilter {
        q: needle,
        rare: false,
        team,
        team_role,
        org_role,
        signed_in,
        app_access: q.app_access,
        used_app: q.used_app,
        among: None,
        scope: match scope {
            Scope::Org => None,
            Scope::Teams(ts) => Some(ts.clone()),
        },
        order,
        after,
        before,
        limit: limit + 1,
    })
}
