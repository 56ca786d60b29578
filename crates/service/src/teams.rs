//! Teams (R2, R3): list, read, create (the first creation by the initial team's admin establishes
//! the organization), edit, delete when empty.

use crate::views::{OrgView, TeamView, rfc3339};
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services, error::on_unique};
use serde::Deserialize;
use std::collections::HashMap;
use switchboard_domain::access::{Action, Scope};
use switchboard_domain::audit::event::{AuditEvent, TeamText};
use switchboard_domain::ids::TeamId;
use switchboard_domain::role::OrgRole;
use switchboard_domain::team::{LoginType, Name, parse_description};
use switchboard_store::billing;
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::{Conn, now_ms, people};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100)]
    pub name: String,
    /// `email` or `device`; fixed for the team's life.
    pub login_type: LoginType,
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub description: Option<String>,
    /// Required when this creation establishes the organization (R2); ignored afterwards.
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub organization_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateTeam {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    /// A new description; an empty string clears it.
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub description: Option<String>,
}

fn name_taken(name: &Name) -> impl FnOnce() -> String + '_ {
    move || {
        format!(
            "A team named {:?} already exists in this organization (names ignore case). Choose another name.",
            name.as_str()
        )
    }
}

async fn team_views(c: &mut Conn, org: &str, rows: Vec<TeamRow>) -> ServiceResult<Vec<TeamView>> {
    let org_row = orgs::get_org(c, org).await?.ok_or(ServiceError::NotFound {
        what: "organization",
    })?;
    let subs = billing::list_subscriptions(c, org).await?;
    // One team (create, edit, read): count its members only, not the whole organization's.
    let counts: HashMap<String, i64> = match rows.as_slice() {
        [one] => HashMap::from([(one.id.clone(), orgs::member_count(c, org, &one.id).await?)]),
        _ => orgs::member_counts(c, org).await?.into_iter().collect(),
    };
    Ok(rows
        .into_iter()
        .map(|t| TeamView {
            seats_used: t.seats_used,
            member_count: counts.get(&t.id).copied().unwrap_or(0),
            plan: t
                .subscription_id
                .as_ref()
                .and_then(|s| subs.iter().find(|x| &x.id == s))
                .map(|s| s.plan.clone()),
            is_initial_team: t.id == org_row.initial_team_id,
            login_type: LoginType::parse(&t.login_type).unwrap_or(LoginType::Email),
            id: t.id,
            name: t.name,
            description: t.description,
            subscription_id: t.subscription_id,
            reserved_seats: t.reserved_seats,
            created_at: rfc3339(t.created_at),
        })
        .collect())
}

/// Loads a team of the caller's organization, or 404.
pub(crate) async fn load_team(c: &mut Conn, who: &OrgCaller, team: &str) -> ServiceResult<TeamRow> {
    let not_found = || ServiceError::NotFound { what: "team" };
    let id = TeamId::parse(team).ok_or_else(not_found)?;
    orgs::get_team(c, who.org.as_str(), id.as_str())
        .await?
        .ok_or_else(not_found)
}

impl Services {
    pub async fn get_org(&self, who: &OrgCaller) -> ServiceResult<OrgView> {
        who.may(Action::ViewOrg)?;
        let mut c = self.store.read().await?;
        let o = orgs::get_org(&mut c, who.org.as_str())
            .await?
            .ok_or(ServiceError::NotFound {
                what: "organization",
            })?;
        Ok(OrgView {
            id: o.id,
            name: o.name,
            established: o.established_at.is_some(),
            initial_team_id: o.initial_team_id,
            created_at: rfc3339(o.created_at),
        })
    }

    /// Teams the caller may see: all of them, or a Team Admin's own.
    pub async fn list_teams(&self, who: &OrgCaller) -> ServiceResult<Vec<TeamView>> {
        let scope = who.may(Action::ViewTeams)?;
        let mut c = self.store.read().await?;
        let rows: Vec<TeamRow> = orgs::list_teams(&mut c, who.org.as_str())
            .await?
            .into_iter()
            .filter(|t| scope.includes(&TeamId::from_db(t.id.clone())))
            .collect();
        team_views(&mut c, who.org.as_str(), rows).await
    }

    pub async fn get_team(&self, who: &OrgCaller, team: &str) -> ServiceResult<TeamView> {
        let mut c = self.store.read().await?;
        let row = load_team(&mut c, who, team).await?;
        who.may(Action::ViewTeam(&TeamId::from_db(row.id.clone())))?;
        Ok(team_views(&mut c, who.org.as_str(), vec![row])
            .await?
            .remove(0))
    }

    /// Creates a team. The first creation by the initial team's admin establishes the
    /// organization under `organization_name` and makes the creator its first Org Admin (R2).
    pub async fn create_team(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        req: CreateTeam,
    ) -> ServiceResult<TeamView> {
        let name = Name::parse("name", &req.name)?;
        let login = req.login_type;
        let description = parse_description(req.description.as_deref())?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::CreateTeam)?;
        let established = w.standing().is_some_and(|s| s.org_established);
        // Checked whenever given, used only when this creation establishes the organization.
        let given = req
            .organization_name
            .as_deref()
            .map(|n| Name::parse("organization_name", n))
            .transpose()?;
        let org_name = match (given, established) {
            (Some(n), false) => Some(n),
            (None, false) => {
                return Err(ServiceError::invalid(
                    "organization_name",
                    "is required: creating a second team establishes the organization, which needs a name",
                ));
            }
            (_, true) => None,
        };
        let now = now_ms();
        let row = TeamRow {
            org_id: who.org.to_string(),
            id: TeamId::generate().to_string(),
            name: name.as_str().to_owned(),
            login_type: login.as_str().into(),
            description,
            subscription_id: None,
            reserved_seats: None,
            seats_used: 0,
            created_at: now,
        };
        orgs::insert_team(w.db(), &row, &name.key())
            .await
            .map_err(on_unique("team_name_taken", name_taken(&name)))?;
        if let Some(org_name) = &org_name {
            orgs::establish_org(w.db(), who.org.as_str(), org_name.as_str(), now).await?;
            people::set_org_role(
                w.db(),
                who.org.as_str(),
                who.user.as_str(),
                Some(OrgRole::OrgAdmin.as_str()),
            )
            .await?;
            w.record(AuditEvent::OrgEstablished {
                org: who.org.clone(),
                name: org_name.as_str().to_owned(),
                first_org_admin: who.user.clone(),
            })
            .await?;
        }
        w.record(AuditEvent::TeamCreated {
            team: TeamId::from_db(row.id.clone()),
            text: TeamText {
                name: row.name.clone(),
                description: row.description.clone(),
            },
            login_type: login,
        })
        .await?;
        let view = team_views(w.db(), who.org.as_str(), vec![row])
            .await?
            .remove(0);
        w.commit().await?;
        Ok(view)
    }

    pub async fn update_team(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        team: &str,
        req: UpdateTeam,
    ) -> ServiceResult<TeamView> {
        if req.name.is_none() && req.description.is_none() {
            return Err(ServiceError::invalid(
                "name",
                "send a new name or description",
            ));
        }
        let name = req
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?;
        let description = req
            .description
            .as_deref()
            .map(|d| parse_description(Some(d)))
            .transpose()?;
        let mut w = self.write(who, ctx).await?;
        let row = load_team(w.db(), who, team).await?;
        let team_id = TeamId::from_db(row.id.clone());
        w.may(Action::EditTeam(&team_id))?;
        let new_name = name
            .unwrap_or_else(|| Name::parse("name", &row.name).expect("stored names are valid"));
        let new_description = description.unwrap_or_else(|| row.description.clone());
        orgs::update_team(
            w.db(),
            who.org.as_str(),
            &row.id,
            new_name.as_str(),
            &new_name.key(),
            new_description.as_deref(),
        )
        .await
        .map_err(on_unique("team_name_taken", name_taken(&new_name)))?;
        w.record(AuditEvent::TeamUpdated {
            team: team_id,
            before: TeamText {
                name: row.name.clone(),
                description: row.description.clone(),
            },
            after: TeamText {
                name: new_name.as_str().to_owned(),
                description: new_description.clone(),
            },
        })
        .await?;
        let mut updated = row;
        updated.name = new_name.as_str().to_owned();
        updated.description = new_description;
        let view = team_views(w.db(), who.org.as_str(), vec![updated])
            .await?
            .remove(0);
        w.commit().await?;
        Ok(view)
    }

    /// Deletes a team with no members. The initial team stays forever (R1).
    pub async fn delete_team(&self, who: &OrgCaller, ctx: &Ctx, team: &str) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        let row = load_team(w.db(), who, team).await?;
        let team_id = TeamId::from_db(row.id.clone());
        w.may(Action::DeleteTeam(&team_id))?;
        if w
            .standing()
            .and_then(|s| s.initial_team.as_ref())
            .is_some_and(|t| *t == team_id)
        {
            return Err(ServiceError::conflict(
                "initial_team",
                "The organization's initial team can't be deleted.",
            ));
        }
        let members = orgs::member_count(w.db(), who.org.as_str(), &row.id).await?;
        let devices = switchboard_store::apps::devices_of_team(w.db(), who.org.as_str(), &row.id)
            .await?
            .len();
        if devices > 0 {
            return Err(ServiceError::conflict(
                "team_not_empty",
                format!(
                    "Team {} still has {devices} enrolled device(s); remove them before deleting the team.",
                    row.name
                ),
            ));
        }
        if members > 0 {
            return Err(ServiceError::conflict(
                "team_not_empty",
                format!(
                    "Team {} still has {members} member(s); remove them before deleting the team.",
                    row.name
                ),
            ));
        }
        orgs::delete_team(w.db(), who.org.as_str(), &row.id).await?;
        w.record(AuditEvent::TeamDeleted {
            team: team_id,
            text: TeamText {
                name: row.name.clone(),
                description: row.description.clone(),
            },
            login_type: LoginType::parse(&row.login_type)?,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}

/// Whether the scope lets the caller see this team (a Team Admin sees only their own).
pub(crate) fn in_scope(scope: &Scope, team_id: &str) -> bool {
    scope.includes(&TeamId::from_db(team_id.to_owned()))
}
