//! Users of an organization and their team memberships (R4–R8, R11): the filtered user list,
//! user details, bulk add, adding to another team, editing and removing a membership, removing a
//! user from the organization. Seat holders are created only through [`crate::seats`].

use crate::seats;
use crate::teams::{in_scope, load_team};
use crate::views::{
    MembershipView, Page, UserView, membership_view, parse_org_role, parse_team_role, status_of,
};
use crate::write::Write;
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use switchboard_domain::access::{Action, MembershipChange, Scope};
use switchboard_domain::audit::event::{AuditEvent, MembershipState};
use switchboard_domain::email::Email;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole, UserStatus};
use switchboard_domain::team::LoginType;
use switchboard_store::orgs::TeamRow;
use switchboard_store::people::{self, MembershipRow, UserFilter};
use switchboard_store::{Conn, now_ms};
use utoipa::{IntoParams, ToSchema};

/// The most emails one bulk add takes (R6).
pub const MAX_BULK_EMAILS: usize = 1000;

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
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^(usr_[0-9a-z]{26})?$")]
    pub cursor: Option<String>,
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

/// App access on a team: explicit, or on exactly when the team can hold seats of people.
fn app_access_for(team: &TeamRow, asked: Option<bool>) -> ServiceResult<bool> {
    let email_team = team.login_type == LoginType::Email.as_str();
    match asked {
        Some(true) if !email_team => Err(ServiceError::invalid(
            "app_access",
            format!(
                "team {} signs in by device: its seats are held by enrolled devices, not by people",
                team.name
            ),
        )),
        Some(a) => Ok(a),
        None => Ok(email_team && team.subscription_id.is_some()),
    }
}

fn not_found_user() -> ServiceError {
    ServiceError::NotFound { what: "user" }
}

/// The user's memberships in the organization, and their org role; 404 if not in it.
async fn load_member(
    c: &mut Conn,
    who: &OrgCaller,
    user: &str,
) -> ServiceResult<(UserId, Option<OrgRole>, Vec<MembershipRow>)> {
    let id = UserId::parse(user).ok_or_else(not_found_user)?;
    let role = people::org_role(c, who.org.as_str(), id.as_str())
        .await?
        .ok_or_else(not_found_user)?;
    let memberships = people::memberships_of_users(c, who.org.as_str(), &[id.to_string()]).await?;
    Ok((id, parse_org_role(role.as_deref()), memberships))
}

/// A membership a change is about, with everything the change needs to know.
struct Target {
    user: UserId,
    email: String,
    org_role: Option<OrgRole>,
    memberships: Vec<MembershipRow>,
    team: TeamRow,
    membership: MembershipRow,
}

impl Target {
    fn team_id(&self) -> TeamId {
        TeamId::from_db(self.team.id.clone())
    }

    fn state(&self) -> MembershipState {
        MembershipState {
            team_role: parse_team_role(&self.membership.team_role),
            app_access: self.membership.app_access != 0,
        }
    }
}

/// The membership of `user` in `team` that a change is about: 404 for a missing user, team or
/// membership; 403 unless the caller may make this change (a Team Admin never changes an
/// org-role holder's memberships, nor removes anyone's last team).
async fn load_target(
    w: &mut Write,
    who: &OrgCaller,
    user: &str,
    team: &str,
    removing: bool,
) -> ServiceResult<Target> {
    let (id, org_role, memberships) = load_member(w.db(), who, user).await?;
    let team = load_team(w.db(), who, team).await?;
    let team_id = TeamId::from_db(team.id.clone());
    // Without the right to manage the team at all, the membership's existence is not told.
    w.may(Action::ManageMembership(&team_id))?;
    let membership = memberships
        .iter()
        .find(|m| m.team_id == team.id)
        .cloned()
        .ok_or(ServiceError::NotFound { what: "membership" })?;
    w.may(Action::ChangeMembership(
        &team_id,
        MembershipChange {
            target_org_role: org_role,
            removes_last_team: removing && memberships.len() == 1,
        },
    ))?;
    let email = people::get_user(w.db(), id.as_str())
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    Ok(Target {
        user: id,
        email,
        org_role,
        memberships,
        team,
        membership,
    })
}

fn user_view(u: people::UserListRow, memberships: Vec<MembershipView>) -> UserView {
    UserView {
        status: status_of(u.first_signed_in_at),
        org_role: parse_org_role(u.org_role.as_deref()),
        id: u.id,
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
    let team_role = q.team_role.map(|r| r.as_str().to_owned());
    let org_role = q.org_role.map(|r| r.as_str().to_owned());
    let signed_in = q.status.map(|s| s == UserStatus::SignedIn);
    // A well-formed id of a team of another organization matches no one; a value that can't
    // be a team id at all is a mistake worth saying (a team's name instead of its id, say).
    let team = q
        .team
        .as_deref()
        .map(|t| {
            TeamId::parse(t).map(|t| t.to_string()).ok_or_else(|| {
                ServiceError::invalid("team", "must be a team id like team_01J…, not a team's name")
            })
        })
        .transpose()?;
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            UserId::parse(c)
                .ok_or_else(|| {
                    ServiceError::invalid("cursor", "is not a cursor this list gave out")
                })?
                .to_string(),
        ),
    };
    let needle =
        q.q.as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
    if needle.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ServiceError::invalid("q", "must be at most 200 characters"));
    }
    if needle.as_ref().is_some_and(|s| s.chars().any(char::is_control)) {
        return Err(ServiceError::invalid("q", "must not contain control characters"));
    }
    Ok(UserFilter {
        q: needle,
        rare: false,
        team,
        team_role,
        org_role,
        signed_in,
        app_access: q.app_access,
        scope: match scope {
            Scope::Org => None,
            Scope::Teams(ts) => Some(ts.iter().map(|t| t.to_string()).collect()),
        },
        after,
        limit: limit + 1,
    })
}

impl Services {
    /// R11: one page of the organization's users, filtered, in a stable order.
    pub async fn list_users(
        &self,
        who: &OrgCaller,
        q: &UserQuery,
    ) -> ServiceResult<Page<UserView>> {
        let scope = who.may(Action::ViewUsers)?;
        let filter = user_filter(&scope, q)?;
        let limit = (filter.limit - 1) as usize;
        let mut c = self.store.read().await?;
        let mut rows = people::list_users(&mut c, who.org.as_str(), &filter).await?;
        let next_cursor = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            rows.last().map(|r| r.id.clone()).unwrap_or_default()
        });
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut by_user: HashMap<String, Vec<MembershipView>> = HashMap::new();
        for m in people::memberships_of_users(&mut c, who.org.as_str(), &ids).await? {
            if in_scope(&scope, &m.team_id) {
                by_user
                    .entry(m.user_id.clone())
                    .or_default()
                    .push(membership_view(&m));
            }
        }
        let items = rows
            .into_iter()
            .map(|u| {
                let ms = by_user.remove(&u.id).unwrap_or_default();
                user_view(u, ms)
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// A user with every membership the caller may see.
    pub async fn get_user(&self, who: &OrgCaller, user: &str) -> ServiceResult<UserView> {
        let scope = who.may(Action::ViewUsers)?;
        let mut c = self.store.read().await?;
        self.user_in_scope(&mut c, who, &scope, user).await
    }

    async fn user_in_scope(
        &self,
        c: &mut Conn,
        who: &OrgCaller,
        scope: &Scope,
        user: &str,
    ) -> ServiceResult<UserView> {
        let (id, role, memberships) = load_member(c, who, user).await?;
        let visible: Vec<MembershipView> = memberships
            .iter()
            .filter(|m| in_scope(scope, &m.team_id))
            .map(membership_view)
            .collect();
        if visible.is_empty() && *scope != Scope::Org {
            // In the organization, but outside the Team Admin's teams.
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        let u = people::get_user(c, id.as_str())
            .await?
            .ok_or_else(not_found_user)?;
        Ok(UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            status: status_of(u.first_signed_in_at),
            org_role: role,
            memberships: visible,
        })
    }

    /// R6: adds many emails to one team, all or nothing with respect to seats.
    pub async fn bulk_add_users(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        req: BulkAdd,
    ) -> ServiceResult<BulkAddResult> {
        if req.emails.is_empty() {
            return Err(ServiceError::invalid(
                "emails",
                "must list at least one email",
            ));
        }
        if req.emails.len() > MAX_BULK_EMAILS {
            return Err(ServiceError::invalid(
                "emails",
                format!(
                    "lists {} emails; send at most {MAX_BULK_EMAILS} per request",
                    req.emails.len()
                ),
            ));
        }
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let team = load_team(w.db(), who, &req.team_id).await?;
        let team_id = TeamId::from_db(team.id.clone());
        w.may(Action::ManageMembership(&team_id))?;
        let app_access = app_access_for(&team, req.app_access)?;
        let now = now_ms();

        // Parse, and drop repeats of an email already listed.
        let mut results: Vec<AddResult> = Vec::with_capacity(req.emails.len());
        let mut valid: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for raw in &req.emails {
            let (outcome, reason) = match Email::parse(raw) {
                Ok(e) if seen.insert(e.to_string()) => {
                    valid.push(e.to_string());
                    (AddOutcome::Added, None)
                }
                Ok(_) => (
                    AddOutcome::Invalid,
                    Some("is listed more than once in this request".to_owned()),
                ),
                Err(e) => (AddOutcome::Invalid, Some(format!("email {}", e.reason))),
            };
            results.push(AddResult {
                email: raw.clone(),
                outcome,
                user_id: None,
                reason,
            });
        }

        let mut ids: HashMap<String, String> = people::find_users_by_emails(w.db(), &valid)
            .await?
            .into_iter()
            .collect();
        // Create the users that don't exist yet, then read every id back: a user created by
        // another organization's writer meanwhile is found, not duplicated.
        let new_users: Vec<(String, String, Option<String>)> = valid
            .iter()
            .filter(|e| !ids.contains_key(*e))
            .map(|e| (UserId::generate().to_string(), e.clone(), None))
            .collect();
        if !new_users.is_empty() {
            people::insert_users(w.db(), &new_users, now).await?;
            ids = people::find_users_by_emails(w.db(), &valid)
                .await?
                .into_iter()
                .collect();
        }
        let existing: Vec<String> = ids.values().cloned().collect();
        let already: HashSet<String> =
            people::members_among(w.db(), who.org.as_str(), &team.id, &existing)
                .await?
                .into_iter()
                .collect();
        let to_add: Vec<String> = valid
            .iter()
            .map(|e| ids[e].clone())
            .filter(|id| !already.contains(id))
            .collect();
        if app_access {
            seats::check_team(
                w.db(),
                who.org.as_str(),
                &team.id,
                &team.name,
                to_add.len() as i64,
            )
            .await?;
        }
        people::insert_org_members(w.db(), who.org.as_str(), &to_add, now).await?;
        people::insert_memberships(
            w.db(),
            who.org.as_str(),
            &team.id,
            &to_add,
            role.as_str(),
            app_access,
            now,
        )
        .await?;

        for r in results
            .iter_mut()
            .filter(|r| r.outcome == AddOutcome::Added)
        {
            let email = Email::parse(&r.email).expect("parsed above").to_string();
            let id = ids[&email].clone();
            if already.contains(&id) {
                r.outcome = AddOutcome::AlreadyMember;
            }
            r.user_id = Some(id);
        }
        let count = |o| results.iter().filter(|r| r.outcome == o).count();
        let summary = BulkAddResult {
            added: count(AddOutcome::Added),
            already_member: count(AddOutcome::AlreadyMember),
            invalid: count(AddOutcome::Invalid),
            results,
        };
        if to_add.is_empty() {
            w.unchanged().await?;
            return Ok(summary);
        }
        w.record(AuditEvent::MembersAdded {
            team: team_id,
            team_name: team.name.clone(),
            state: MembershipState {
                team_role: role,
                app_access,
            },
            users: to_add.into_iter().map(UserId::from_db).collect(),
        })
        .await?;
        w.commit().await?;
        Ok(summary)
    }

    /// R5: adds an organization's user to another team.
    pub async fn add_membership(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
        req: AddMembership,
    ) -> ServiceResult<UserView> {
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let (id, org_role, memberships) = load_member(w.db(), who, user).await?;
        let team = load_team(w.db(), who, &req.team_id).await?;
        let team_id = TeamId::from_db(team.id.clone());
        let scope = w.may(Action::ManageMembership(&team_id))?;
        // A Team Admin may only reach users they can see (members of their own teams).
        if scope != Scope::Org && !memberships.iter().any(|m| in_scope(&scope, &m.team_id)) {
            return Err(switchboard_domain::access::NOT_YOUR_ROLE.into());
        }
        w.may(Action::ChangeMembership(
            &team_id,
            MembershipChange {
                target_org_role: org_role,
                removes_last_team: false,
            },
        ))?;
        if memberships.iter().any(|m| m.team_id == team.id) {
            return Err(ServiceError::conflict(
                "already_member",
                format!("The user is already a member of team {}.", team.name),
            ));
        }
        let app_access = app_access_for(&team, req.app_access)?;
        if app_access {
            seats::check_team(w.db(), who.org.as_str(), &team.id, &team.name, 1).await?;
        }
        people::insert_memberships(
            w.db(),
            who.org.as_str(),
            &team.id,
            &[id.to_string()],
            role.as_str(),
            app_access,
            now_ms(),
        )
        .await?;
        let email = people::get_user(w.db(), id.as_str())
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        w.record(AuditEvent::MembershipAdded {
            user: id.clone(),
            email,
            team: team_id,
            team_name: team.name.clone(),
            state: MembershipState {
                team_role: role,
                app_access,
            },
        })
        .await?;
        let view = self.user_in_scope(w.db(), who, &scope, id.as_str()).await?;
        w.commit().await?;
        Ok(view)
    }

    /// Changes a membership's team role or app access; turning access on takes a seat (R13).
    pub async fn update_membership(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
        team: &str,
        req: UpdateMembership,
    ) -> ServiceResult<MembershipView> {
        if req.team_role.is_none() && req.app_access.is_none() {
            return Err(ServiceError::invalid(
                "team_role",
                "send a new team_role or app_access",
            ));
        }
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let t = load_target(&mut w, who, user, team, false).await?;
        let before = t.state();
        let after = MembershipState {
            team_role: role.unwrap_or(before.team_role),
            app_access: match req.app_access {
                Some(a) => app_access_for(&t.team, Some(a))?,
                None => before.app_access,
            },
        };
        if after.app_access && !before.app_access {
            seats::check_team(w.db(), who.org.as_str(), &t.team.id, &t.team.name, 1).await?;
        }
        people::update_membership(
            w.db(),
            who.org.as_str(),
            t.user.as_str(),
            &t.team.id,
            after.team_role.as_str(),
            after.app_access,
        )
        .await?;
        w.record(AuditEvent::MembershipUpdated {
            user: t.user.clone(),
            email: t.email.clone(),
            team: t.team_id(),
            team_name: t.team.name.clone(),
            before,
            after,
        })
        .await?;
        w.commit().await?;
        Ok(MembershipView {
            team_id: t.team.id,
            team_name: t.team.name,
            team_role: after.team_role,
            app_access: after.app_access,
        })
    }

    /// R7: removes one membership; the last one takes the user out of the organization, unless
    /// they are its last Org Admin (R10).
    pub async fn remove_membership(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
        team: &str,
    ) -> ServiceResult<RemovedMembership> {
        let mut w = self.write(who, ctx).await?;
        let t = load_target(&mut w, who, user, team, true).await?;
        let last = t.memberships.len() == 1;
        if last {
            crate::roles::guard_last_admin(w.db(), who.org.as_str(), t.org_role).await?;
            people::delete_org_member(w.db(), who.org.as_str(), t.user.as_str()).await?;
        }
        people::delete_membership(w.db(), who.org.as_str(), t.user.as_str(), &t.team.id).await?;
        w.record(AuditEvent::MembershipRemoved {
            user: t.user.clone(),
            email: t.email.clone(),
            team: t.team_id(),
            team_name: t.team.name.clone(),
            before: t.state(),
            org_role: t.org_role,
            removed_from_org: last,
        })
        .await?;
        w.commit().await?;
        Ok(RemovedMembership {
            removed_from_org: last,
        })
    }

    /// R8: removes every membership and the org role at once.
    pub async fn remove_from_org(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        user: &str,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::RemoveFromOrg)?;
        let (id, role, memberships) = load_member(w.db(), who, user).await?;
        crate::roles::guard_last_admin(w.db(), who.org.as_str(), role).await?;
        people::delete_memberships_of_user(w.db(), who.org.as_str(), id.as_str()).await?;
        people::delete_org_member(w.db(), who.org.as_str(), id.as_str()).await?;
        let email = people::get_user(w.db(), id.as_str())
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        w.record(AuditEvent::RemovedFromOrg {
            user: id,
            email,
            org_role: role,
            teams: memberships
                .iter()
                .map(|m| TeamId::from_db(m.team_id.clone()))
                .collect(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
