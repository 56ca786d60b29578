//! Users of an organization and their team memberships (R4–R8, R11): the filtered user list,
//! user details, bulk add, adding to another team, editing and removing a membership, removing a
//! user from the organization. Seat holders are created only through [`crate::seats`].

use crate::audit::record;
use crate::seats;
use crate::teams::{in_scope, load_team};
use crate::views::{MembershipView, Page, UserView, membership_view, parse_org_role, status_of};
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use switchboard_domain::access::{Action, Scope};
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

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Substring of email or name, case-insensitive.
    pub q: Option<String>,
    /// Only members of this team.
    pub team: Option<String>,
    /// `member` or `team_admin` (with `team`, in that team).
    pub team_role: Option<String>,
    /// `org_admin`, `org_analyst` or `none`.
    pub org_role: Option<String>,
    /// `signed_in` or `not_signed_in`.
    pub status: Option<String>,
    /// `true` or `false` (with `team`, in that team).
    pub app_access: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAdd {
    pub team_id: String,
    /// `member` or `team_admin`.
    pub team_role: String,
    /// 1 to 1,000 emails.
    pub emails: Vec<String>,
    /// Default: on for an email team covered by a subscription, off otherwise.
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
    pub team_id: String,
    pub team_role: String,
    pub app_access: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMembership {
    pub team_role: Option<String>,
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

/// The membership of `user` in `team` that a change is about, with the user's org role and all
/// their memberships: 404 for a missing user, team or membership; 403 unless the caller manages
/// the team.
async fn load_membership(
    c: &mut Conn,
    who: &OrgCaller,
    user: &str,
    team: &str,
) -> ServiceResult<(
    UserId,
    Option<OrgRole>,
    Vec<MembershipRow>,
    TeamRow,
    MembershipRow,
)> {
    let (id, role, memberships) = load_member(c, who, user).await?;
    let team = load_team(c, who, team).await?;
    who.may(Action::ManageMembership(&TeamId::from_db(team.id.clone())))?;
    let m = memberships
        .iter()
        .find(|m| m.team_id == team.id)
        .cloned()
        .ok_or(ServiceError::NotFound { what: "membership" })?;
    Ok((id, role, memberships, team, m))
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
    let team_role = q
        .team_role
        .as_deref()
        .map(TeamRole::parse)
        .transpose()?
        .map(|r| r.as_str().to_owned());
    let org_role = match q.org_role.as_deref() {
        None => None,
        Some("none") => Some("none".to_owned()),
        Some(r) => Some(OrgRole::parse(r)?.as_str().to_owned()),
    };
    let signed_in = q
        .status
        .as_deref()
        .map(UserStatus::parse)
        .transpose()?
        .map(|s| s == UserStatus::SignedIn);
    // An id that can't be a team matches no one, like a team of another organization.
    let team = q.team.as_deref().map(|t| {
        TeamId::parse(t)
            .map(|t| t.to_string())
            .unwrap_or_else(|| "team_none".into())
    });
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
    Ok(UserFilter {
        q: needle,
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
            return Err(switchboard_domain::access::Denied.into());
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
        let role = TeamRole::parse(&req.team_role)?;
        let (mut tx, _) = self.store.write_org(&who.org).await?;
        let team = load_team(&mut tx, who, &req.team_id).await?;
        who.may(Action::ManageMembership(&TeamId::from_db(team.id.clone())))?;
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

        let mut ids: HashMap<String, String> = people::find_users_by_emails(&mut tx, &valid)
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
            people::insert_users(&mut tx, &new_users, now).await?;
            ids = people::find_users_by_emails(&mut tx, &valid)
                .await?
                .into_iter()
                .collect();
        }
        let existing: Vec<String> = ids.values().cloned().collect();
        let already: HashSet<String> =
            people::members_among(&mut tx, who.org.as_str(), &team.id, &existing)
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
                &mut tx,
                who.org.as_str(),
                &team.id,
                &team.name,
                to_add.len() as i64,
            )
            .await?;
        }
        people::insert_org_members(&mut tx, who.org.as_str(), &to_add, now).await?;
        people::insert_memberships(
            &mut tx,
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
        if !to_add.is_empty() {
            let after = json!({"team_role": role, "app_access": app_access, "user_ids": to_add});
            record(
                &mut tx,
                who,
                ctx,
                "membership.bulk_add",
                &team.id,
                json!(null),
                after,
            )
            .await?;
        }
        tx.commit().await?;
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
        let role = TeamRole::parse(&req.team_role)?;
        let (mut tx, _) = self.store.write_org(&who.org).await?;
        let (id, _, memberships) = load_member(&mut tx, who, user).await?;
        let team = load_team(&mut tx, who, &req.team_id).await?;
        let scope = who.may(Action::ManageMembership(&TeamId::from_db(team.id.clone())))?;
        // A Team Admin may only reach users they can see (members of their own teams).
        if scope != Scope::Org && !memberships.iter().any(|m| in_scope(&scope, &m.team_id)) {
            return Err(switchboard_domain::access::Denied.into());
        }
        if memberships.iter().any(|m| m.team_id == team.id) {
            return Err(ServiceError::conflict(
                "already_member",
                format!("The user is already a member of team {}.", team.name),
            ));
        }
        let app_access = app_access_for(&team, req.app_access)?;
        if app_access {
            seats::check_team(&mut tx, who.org.as_str(), &team.id, &team.name, 1).await?;
        }
        people::insert_memberships(
            &mut tx,
            who.org.as_str(),
            &team.id,
            &[id.to_string()],
            role.as_str(),
            app_access,
            now_ms(),
        )
        .await?;
        let after =
            json!({"user_id": id, "team_id": team.id, "team_role": role, "app_access": app_access});
        record(
            &mut tx,
            who,
            ctx,
            "membership.add",
            id.as_str(),
            json!(null),
            after,
        )
        .await?;
        let view = self
            .user_in_scope(&mut tx, who, &scope, id.as_str())
            .await?;
        tx.commit().await?;
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
        let role = req.team_role.as_deref().map(TeamRole::parse).transpose()?;
        let (mut tx, _) = self.store.write_org(&who.org).await?;
        let (id, _, _, team, m) = load_membership(&mut tx, who, user, team).await?;
        let was_on = m.app_access != 0;
        let new_role =
            role.unwrap_or_else(|| TeamRole::parse(&m.team_role).unwrap_or(TeamRole::Member));
        let new_access = match req.app_access {
            Some(a) => app_access_for(&team, Some(a))?,
            None => was_on,
        };
        if new_access && !was_on {
            seats::check_team(&mut tx, who.org.as_str(), &team.id, &team.name, 1).await?;
        }
        people::update_membership(
            &mut tx,
            who.org.as_str(),
            id.as_str(),
            &team.id,
            new_role.as_str(),
            new_access,
        )
        .await?;
        let before = json!({"user_id": id, "team_id": team.id, "team_role": m.team_role, "app_access": was_on});
        let after = json!({"user_id": id, "team_id": team.id, "team_role": new_role, "app_access": new_access});
        record(
            &mut tx,
            who,
            ctx,
            "membership.update",
            id.as_str(),
            before,
            after,
        )
        .await?;
        tx.commit().await?;
        Ok(MembershipView {
            team_id: team.id,
            team_name: team.name,
            team_role: new_role,
            app_access: new_access,
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
        let (mut tx, _) = self.store.write_org(&who.org).await?;
        let (id, role, memberships, team, m) = load_membership(&mut tx, who, user, team).await?;
        let last = memberships.len() == 1;
        if last {
            crate::roles::guard_last_admin(&mut tx, who.org.as_str(), role).await?;
            people::delete_org_member(&mut tx, who.org.as_str(), id.as_str()).await?;
        }
        people::delete_membership(&mut tx, who.org.as_str(), id.as_str(), &team.id).await?;
        let before = json!({"user_id": id, "team_id": team.id, "team_role": m.team_role, "app_access": m.app_access != 0, "org_role": role});
        let after = json!({"removed_from_org": last});
        record(
            &mut tx,
            who,
            ctx,
            "membership.remove",
            id.as_str(),
            before,
            after,
        )
        .await?;
        tx.commit().await?;
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
        who.may(Action::RemoveFromOrg)?;
        let (mut tx, _) = self.store.write_org(&who.org).await?;
        let (id, role, memberships) = load_member(&mut tx, who, user).await?;
        crate::roles::guard_last_admin(&mut tx, who.org.as_str(), role).await?;
        people::delete_memberships_of_user(&mut tx, who.org.as_str(), id.as_str()).await?;
        people::delete_org_member(&mut tx, who.org.as_str(), id.as_str()).await?;
        let teams: Vec<&str> = memberships.iter().map(|m| m.team_id.as_str()).collect();
        record(
            &mut tx,
            who,
            ctx,
            "user.remove_from_org",
            id.as_str(),
            json!({"org_role": role, "team_ids": teams}),
            json!(null),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
