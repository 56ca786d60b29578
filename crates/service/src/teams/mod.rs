//! Teams (R2, R3): list, read, create (the first creation by the initial team's admin establishes
//! the organization), edit, delete when empty.

mod create;
mod delete;
mod read;
mod update;

use crate::views::{TeamView, rfc3339};
use crate::{OrgCaller, ServiceError, ServiceResult};
use serde::Deserialize;
use std::collections::HashMap;
use switchboard_domain::access::Scope;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::TeamId;
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::Conn;
use switchboard_store::billing;
use switchboard_store::orgs::{self, TeamRow};
use utoipa::ToSchema;

/// A team as a picker shows it.
#[derive(Debug, Clone)]
pub struct TeamChoice {
    pub id: String,
    pub name: String,
    pub login_type: LoginType,
    /// Seat holders in the team.
    pub seats_used: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `email` or `device`; fixed for the team's life.
    pub login_type: LoginType,
    #[schema(max_length = 500, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub description: Option<String>,
    /// Required when this creation establishes the organization (R2); ignored afterwards.
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub organization_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct UpdateTeam {
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub name: Option<String>,
    /// A new description; an empty string clears it.
    #[schema(max_length = 500, nullable = false)]
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

async fn team_views(c: &mut Conn, org: &OrgId, rows: Vec<TeamRow>) -> ServiceResult<Vec<TeamView>> {
    let org_row = orgs::get_org(c, org).await?.ok_or(ServiceError::NotFound {
        what: "organization",
    })?;
    let subs = billing::list_subscriptions(c, org).await?;
    // One team (create, edit, read): count its members only, not the whole organization's.
    let counts: HashMap<TeamId, i64> = match rows.as_slice() {
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
            login_type: t.login_type,
            id: t.id.into(),
            name: t.name,
            description: t.description,
            subscription_id: t.subscription_id.map(Into::into),
            reserved_seats: t.reserved_seats,
            created_at: rfc3339(t.created_at),
        })
        .collect())
}

/// Loads a team of the caller's organization, or 404.
pub(crate) async fn load_team(c: &mut Conn, who: &OrgCaller, team: &str) -> ServiceResult<TeamRow> {
    let id = TeamId::parse(team).ok_or(ServiceError::NotFound { what: "team" })?;
    load_team_by_id(c, who, &id).await
}

/// The team of the caller's organization; 404 if there is none.
pub(crate) async fn load_team_by_id(
    c: &mut Conn,
    who: &OrgCaller,
    team: &TeamId,
) -> ServiceResult<TeamRow> {
    orgs::get_team(c, &who.org, team)
        .await?
        .ok_or(ServiceError::NotFound { what: "team" })
}

/// Whether the scope lets the caller see this team (a Team Admin sees only their own).
pub(crate) fn in_scope(scope: &Scope, team_id: &TeamId) -> bool {
    scope.includes(team_id)
}
