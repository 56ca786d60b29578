//! SCIM users: list and read (every user of the organization, with what the IdP said of those it
//! provisioned), create (into the initial team, app access if active and a seat is free),
//! replace (active moves app access everywhere; off also ends sessions and app tokens), delete
//! (out of the organization, never its last Org Admin: R8, R10).

use super::{ScimPage, UserFacts, check_version};
use crate::memberships::{self, Access, Noted, Person};
use crate::write::Write;
use crate::{OrgCaller, ProblemCode, RequestInfo, ServiceError, ServiceResult, Services};
use serde_json::{Value, json};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, MembershipState};
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::{Presence, TeamRole};
use switchboard_domain::team::LoginType;
use switchboard_store::scim::{self as store, MemberWithScim, ScimUserRow, UserQuery};
use switchboard_store::{apps, now_ms, orgs, people, signin};

/// A user as SCIM answers them.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub id: UserId,
    pub email: String,
    /// What the identity provider said (answered back exactly), or, for a user it did not
    /// provision, their email and name.
    pub attrs: Value,
    /// Whether the identity provider wants them to hold app access (`active` and `appAccess`).
    pub active: bool,
    /// Whether they may run the app in some team now.
    pub app_access: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn user_of(m: MemberWithScim, app_access: bool) -> ScimUser {
    let attrs = m
        .attrs_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| {
            let mut a = json!({
                "userName": m.email,
                "emails": [{"value": m.email, "type": "work", "primary": true}],
                "active": true,
            });
            if let Some(n) = &m.name {
                a["displayName"] = json!(n);
            }
            a
        });
    ScimUser {
        active: m.active.is_none_or(|a| a != 0),
        version: m.version.unwrap_or(0),
        created_at: m.created_at.unwrap_or(m.user_created_at),
        updated_at: m.updated_at.unwrap_or(m.user_created_at),
        id: m.user_id,
        email: m.email,
        attrs,
        app_access,
    }
}

fn conflict(detail: String) -> ServiceError {
    ServiceError::conflict(ProblemCode::UserNameTaken, detail)
}

async fn initial_team(
    c: &mut switchboard_store::Conn,
    org: &OrgId,
) -> ServiceResult<orgs::TeamRow> {
    let o = orgs::get_org(c, org).await?.ok_or(ServiceError::NotFound {
        what: "organization",
    })?;
    orgs::get_team(c, org, &o.initial_team_id)
        .await?
        .ok_or(ServiceError::NotFound { what: "team" })
}

impl Services {
    /// A page of the organization's users (`start` is 1-based).
    pub async fn scim_users(
        &self,
        who: &OrgCaller,
        q: &UserQuery,
        start: i64,
        count: i64,
    ) -> ServiceResult<ScimPage<ScimUser>> {
        who.may(Action::ViewUsers)?;
        let mut c = self.store.read().await?;
        let (total, rows) = store::member_page(&mut c, &who.org, q, start - 1, count).await?;
        let ids: Vec<UserId> = rows.iter().map(|r| r.user_id.clone()).collect();
        let memberships = people::memberships_of_users(&mut c, &who.org, &ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let access = memberships
                    .iter()
                    .any(|m| m.user_id == r.user_id && m.app_access != 0);
                user_of(r, access)
            })
            .collect();
        Ok(ScimPage {
            total,
            start,
            items,
        })
    }

    pub async fn scim_user(&self, who: &OrgCaller, id: &UserId) -> ServiceResult<ScimUser> {
        let q = UserQuery {
            id: Some(id.clone()),
            ..UserQuery::default()
        };
        self.scim_users(who, &q, 1, 1)
            .await?
            .items
            .pop()
            .ok_or(ServiceError::NotFound { what: "user" })
    }

    /// Provisions a user into the initial team; app access (a seat) when active.
    pub async fn scim_create_user(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        attrs: Value,
    ) -> ServiceResult<ScimUser> {
        let facts = UserFacts::of(&attrs)?;
        let mut w = self.write(who, ctx).await?;
        let mut team = initial_team(w.db(), &who.org).await?;
        w.may(Action::ManageMembership(&team.id))?;
        if store::user_by_name(w.db(), &who.org, &facts.user_name)
            .await?
            .is_some()
        {
            return Err(conflict(format!(
                "Another user has userName {:?}.",
                facts.user_name
            )));
        }
        let now = now_ms();
        if let Some(u) = people::find_user_by_email(w.db(), facts.email.as_str()).await?
            && people::presence(w.db(), &who.org, &u.id).await?.is_member()
        {
            return Err(conflict(format!(
                "{} is already a user of the organization.",
                facts.email
            )));
        }
        let id =
            people::ensure_user(w.db(), &UserId::generate(), facts.email.as_str(), now).await?;
        let person = Person {
            id: id.clone(),
            email: facts.email.to_string(),
        };
        // Active: a seat wherever the initial team's people hold seats (never in a device-login
        // team, whose seats are devices).
        let access = if facts.app_access {
            Access::Holder
        } else {
            Access::Off
        };
        let event = memberships::added(&person, &team);
        memberships::join(
            &mut w,
            &mut team,
            &person,
            Presence::Outside,
            TeamRole::Member,
            access,
            event,
        )
        .await?;
        let row = ScimUserRow {
            user_id: id.clone(),
            user_name: facts.user_name.clone(),
            external_id: facts.external_id.clone(),
            active: i64::from(facts.app_access),
            attrs_json: attrs.to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        store::put_user(w.db(), &who.org, &row).await?;
        w.commit().await?;
        self.scim_user(who, &id).await
    }

    /// Replaces what the IdP says of a user; `active` moves app access in every team.
    pub async fn scim_replace_user(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
        attrs: Value,
        if_match: Option<i64>,
    ) -> ServiceResult<ScimUser> {
        let facts = UserFacts::of(&attrs)?;
        let not_found = || ServiceError::NotFound { what: "user" };
        let mut w = self.write(who, ctx).await?;
        let team = initial_team(w.db(), &who.org).await?;
        w.may(Action::ManageMembership(&team.id))?;
        let member = people::org_member(w.db(), &who.org, id)
            .await?
            .ok_or_else(not_found)?;
        let person = Person {
            id: id.clone(),
            email: member.email,
        };
        let current = store::user(w.db(), &who.org, id).await?;
        let (version, was_active, created) =
            current.as_ref().map_or((0, true, member.created_at), |r| {
                (r.version, r.active != 0, r.created_at)
            });
        check_version(if_match, version)?;
        if let Some(other) = store::user_by_name(w.db(), &who.org, &facts.user_name).await?
            && other != *id
        {
            return Err(conflict(format!(
                "Another user has userName {:?}.",
                facts.user_name
            )));
        }
        if facts.app_access != was_active {
            set_app_access(&mut w, &who.org, &person, facts.app_access).await?;
        }
        let now = now_ms();
        let row = ScimUserRow {
            user_id: id.clone(),
            user_name: facts.user_name,
            external_id: facts.external_id,
            active: i64::from(facts.app_access),
            attrs_json: attrs.to_string(),
            version: version + 1,
            created_at: created,
            updated_at: now,
        };
        store::put_user(w.db(), &who.org, &row).await?;
        w.record(AuditEvent::ScimUserUpdated {
            user: id.clone(),
            email: person.email,
            active_before: was_active,
            active_after: facts.app_access,
        })
        .await?;
        w.commit().await?;
        self.scim_user(who, id).await
    }

    /// Removes a user from the organization (never its last Org Admin).
    pub async fn scim_delete_user(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
        if_match: Option<i64>,
    ) -> ServiceResult<()> {
        let not_found = || ServiceError::NotFound { what: "user" };
        let mut w = self.write(who, ctx).await?;
        w.may(Action::RemoveFromOrg)?;
        let Presence::Member(role) = people::presence(w.db(), &who.org, id).await? else {
            return Err(not_found());
        };
        let version = store::user(w.db(), &who.org, id)
            .await?
            .map_or(0, |r| r.version);
        check_version(if_match, version)?;
        let teams: Vec<TeamId> =
            people::memberships_of_users(w.db(), &who.org, std::slice::from_ref(id))
                .await?
                .into_iter()
                .map(|m| m.team_id)
                .collect();
        let email = people::get_user(w.db(), id)
            .await?
            .ok_or_else(not_found)?
            .email;
        store::delete_user(w.db(), &who.org, id).await?;
        apps::delete_user_tokens_in_org(w.db(), &who.org, id).await?;
        memberships::leave_org(
            &mut w,
            &Person {
                id: id.clone(),
                email,
            },
            role,
            teams,
        )
        .await?;
        w.commit().await
    }
}

/// `active` off: app access off in every team (seats freed), sessions and the organization's app
/// tokens ended. On: app access in every email team with a subscription, each seat-checked.
async fn set_app_access(
    w: &mut Write,
    org: &OrgId,
    person: &Person,
    on: bool,
) -> ServiceResult<()> {
    let memberships =
        people::memberships_of_users(w.db(), org, std::slice::from_ref(&person.id)).await?;
    for m in memberships {
        let before = memberships::state_of(&m);
        let after = MembershipState {
            app_access: on,
            ..before
        };
        if before == after || (on && m.login_type != LoginType::Email) {
            continue;
        }
        let Some(mut team) = orgs::get_team(w.db(), org, &m.team_id).await? else {
            continue;
        };
        if on && team.subscription_id.is_none() {
            continue;
        }
        memberships::set_access(w, &mut team, person, before, after, Noted::Within).await?;
    }
    if !on {
        signin::delete_sessions_in_org(w.db(), org, &person.id).await?;
        apps::delete_user_tokens_in_org(w.db(), org, &person.id).await?;
    }
    Ok(())
}
