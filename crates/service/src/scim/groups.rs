//! SCIM groups are the organization's email-login teams; their members are memberships with the
//! role member. Creating a group creates a team; replacing one renames it and brings its
//! memberships to the members given — someone left with no team goes to the initial team (a
//! SCIM user with no group belongs there); deleting one (never the initial team, R1) moves its
//! members the same way first. A member gets app access where they are active and the team has a
//! subscription with a free seat (R14).

use super::group_members::set_members;
use super::{ScimPage, check_version};
use crate::{OrgCaller, ProblemCode, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, TeamText};
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::now_ms;
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::scim::{self as store, ScimGroupRow};

/// A group (team) as SCIM answers it.
#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub id: TeamId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<UserId>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a group list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    /// displayName, case-insensitive.
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<TeamId>,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound { what: "group" }
}

impl Services {
    pub async fn scim_groups(
        &self,
        who: &OrgCaller,
        q: &GroupQuery,
        start: i64,
        count: i64,
    ) -> ServiceResult<ScimPage<ScimGroup>> {
        who.may(Action::ViewTeams)?;
        let mut c = self.store.read().await?;
        let scim = store::groups(&mut c, &who.org).await?;
        let mut teams: Vec<TeamRow> = orgs::list_teams(&mut c, &who.org)
            .await?
            .into_iter()
            .filter(|t| t.login_type == LoginType::Email)
            .filter(|t| q.id.as_ref().is_none_or(|id| *id == t.id))
            .filter(|t| {
                q.display_name
                    .as_ref()
                    .is_none_or(|n| n.eq_ignore_ascii_case(&t.name))
            })
            .collect();
        if let Some(e) = &q.external_id {
            teams.retain(|t| {
                scim.iter()
                    .any(|g| g.team_id == t.id && g.external_id.as_deref() == Some(e))
            });
        }
        let total = teams.len() as i64;
        let members = store::team_members(&mut c, &who.org).await?;
        let items = teams
            .into_iter()
            .skip((start - 1).max(0) as usize)
            .take(count.max(0) as usize)
            .map(|t| {
                let row = scim.iter().find(|g| g.team_id == t.id);
                ScimGroup {
                    members: members
                        .iter()
                        .filter(|(team, _)| *team == t.id)
                        .map(|(_, u)| u.clone())
                        .collect(),
                    external_id: row.and_then(|g| g.external_id.clone()),
                    version: row.map_or(0, |g| g.version),
                    updated_at: row.map_or(t.created_at, |g| g.updated_at),
                    created_at: t.created_at,
                    display_name: t.name,
                    id: t.id,
                }
            })
            .collect();
        Ok(ScimPage {
            total,
            start,
            items,
        })
    }

    pub async fn scim_group(&self, who: &OrgCaller, id: &TeamId) -> ServiceResult<ScimGroup> {
        let q = GroupQuery {
            id: Some(id.clone()),
            ..GroupQuery::default()
        };
        self.scim_groups(who, &q, 1, 1)
            .await?
            .items
            .pop()
            .ok_or_else(not_found)
    }

    /// Creates a team for the group, with its members.
    pub async fn scim_create_group(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        display_name: &str,
        external_id: Option<String>,
        members: Vec<String>,
    ) -> ServiceResult<ScimGroup> {
        let name = Name::parse("displayName", display_name)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::CreateTeam)?;
        let now = now_ms();
        let team = TeamRow {
            org_id: who.org.clone(),
            id: TeamId::generate(),
            name: name.as_str().to_owned(),
            login_type: LoginType::Email,
            description: None,
            subscription_id: None,
            reserved_seats: None,
            seats_used: 0,
            created_at: now,
        };
        orgs::insert_team(w.db(), &team, &name.key())
            .await
            .map_err(crate::error::on_unique(ProblemCode::TeamNameTaken, || {
                format!("A team named {:?} already exists.", name.as_str())
            }))?;
        let group = ScimGroupRow {
            team_id: team.id.clone(),
            external_id,
            version: 1,
            updated_at: now,
        };
        store::put_group(w.db(), &who.org, &group).await?;
        w.record(AuditEvent::TeamCreated {
            team: team.id.clone(),
            text: TeamText {
                name: team.name.clone(),
                description: None,
            },
            login_type: LoginType::Email,
        })
        .await?;
        set_members(&mut w, &who.org, &team, &parse_members(&members)?).await?;
        w.commit().await?;
        self.scim_group(who, &team.id).await
    }

    /// Renames the group's team, sets its external id, and brings its members to `members`.
    #[allow(clippy::too_many_arguments)]
    pub async fn scim_replace_group(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &TeamId,
        display_name: &str,
        external_id: Option<String>,
        members: Vec<String>,
        if_match: Option<i64>,
    ) -> ServiceResult<ScimGroup> {
        let name = Name::parse("displayName", display_name)?;
        let wanted = parse_members(&members)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::EditTeam(id))?;
        let team = orgs::get_team(w.db(), &who.org, id)
            .await?
            .filter(|t| t.login_type == LoginType::Email)
            .ok_or_else(not_found)?;
        let row = store::groups(w.db(), &who.org)
            .await?
            .into_iter()
            .find(|g| g.team_id == *id);
        let version = row.as_ref().map_or(0, |g| g.version);
        check_version(if_match, version)?;
        if name.as_str() != team.name {
            orgs::update_team(
                w.db(),
                &who.org,
                id,
                name.as_str(),
                &name.key(),
                team.description.as_deref(),
            )
            .await
            .map_err(crate::error::on_unique(ProblemCode::TeamNameTaken, || {
                format!("A team named {:?} already exists.", name.as_str())
            }))?;
            w.record(AuditEvent::TeamUpdated {
                team: id.clone(),
                before: TeamText {
                    name: team.name.clone(),
                    description: team.description.clone(),
                },
                after: TeamText {
                    name: name.as_str().to_owned(),
                    description: team.description.clone(),
                },
            })
            .await?;
        }
        let now = now_ms();
        // Every replacement is recorded (the IdP's request), whatever it changed.
        w.record(AuditEvent::ScimGroupUpdated {
            team: id.clone(),
            team_name: name.as_str().to_owned(),
            external_id: external_id.clone(),
        })
        .await?;
        store::put_group(
            w.db(),
            &who.org,
            &ScimGroupRow {
                team_id: id.clone(),
                external_id,
                version: version + 1,
                updated_at: now,
            },
        )
        .await?;
        set_members(&mut w, &who.org, &team, &wanted).await?;
        w.commit().await?;
        self.scim_group(who, id).await
    }

    /// Deletes the group's team, its members moved first (never the initial team).
    pub async fn scim_delete_group(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &TeamId,
        if_match: Option<i64>,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        w.may(Action::DeleteTeam(id))?;
        let team = orgs::get_team(w.db(), &who.org, id)
            .await?
            .filter(|t| t.login_type == LoginType::Email)
            .ok_or_else(not_found)?;
        let version = store::groups(w.db(), &who.org)
            .await?
            .into_iter()
            .find(|g| g.team_id == *id)
            .map_or(0, |g| g.version);
        check_version(if_match, version)?;
        let org = orgs::get_org(w.db(), &who.org)
            .await?
            .ok_or_else(not_found)?;
        if org.initial_team_id == *id {
            return Err(ServiceError::conflict(
                ProblemCode::InitialTeam,
                "The organization's initial team can't be deleted.",
            ));
        }
        set_members(&mut w, &who.org, &team, &[]).await?;
        orgs::delete_team(w.db(), &who.org, id).await?;
        store::delete_group(w.db(), &who.org, id).await?;
        w.record(AuditEvent::TeamDeleted {
            team: id.clone(),
            text: TeamText {
                name: team.name,
                description: team.description,
            },
            login_type: LoginType::Email,
        })
        .await?;
        w.commit().await
    }
}

fn parse_members(members: &[String]) -> ServiceResult<Vec<UserId>> {
    let mut out: Vec<UserId> = Vec::new();
    for m in members {
        let id = UserId::parse(m).ok_or_else(|| {
            ServiceError::invalid(
                "members",
                format!("{m:?} is not a user of this organization"),
            )
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}
