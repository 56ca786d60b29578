//! Reading the organization and its teams (a Team Admin sees their own).

use super::{TeamChoice, load_team_by_id, team_views};
use crate::views::{OrgView, TeamView, rfc3339};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_store::orgs::{self, TeamRow};

impl Services {
    pub async fn get_org(&self, who: &OrgCaller) -> ServiceResult<OrgView> {
        who.may(Action::ViewOrg)?;
        let mut c = self.store.read().await?;
        let o = orgs::get_org(&mut c, &who.org)
            .await?
            .ok_or(ServiceError::NotFound {
                what: "organization",
            })?;
        let time_zone = switchboard_store::usage::time_zone(&mut c, &who.org)
            .await?
            .unwrap_or_else(|| "UTC".into());
        Ok(OrgView {
            time_zone,
            id: o.id.into(),
            name: o.name,
            established: o.established_at.is_some(),
            initial_team_id: o.initial_team_id.into(),
            created_at: rfc3339(o.created_at),
        })
    }

    /// Teams the caller may see: all of them, or a Team Admin's own.
    pub async fn list_teams(&self, who: &OrgCaller) -> ServiceResult<Vec<TeamView>> {
        let scope = who.may(Action::ViewTeams)?;
        let mut c = self.store.read().await?;
        let rows: Vec<TeamRow> = orgs::list_teams(&mut c, &who.org)
            .await?
            .into_iter()
            .filter(|t| scope.includes(&t.id.clone()))
            .collect();
        team_views(&mut c, &who.org, rows).await
    }

    /// The teams the caller may see, without their member counts (which cost a pass over every
    /// membership): for pickers and filters.
    pub async fn team_choices(&self, who: &OrgCaller) -> ServiceResult<Vec<TeamChoice>> {
        let scope = who.may(Action::ViewTeams)?;
        let mut c = self.store.read().await?;
        Ok(orgs::list_teams(&mut c, &who.org)
            .await?
            .into_iter()
            .filter(|t| scope.includes(&t.id))
            .map(|t| TeamChoice {
                id: t.id.into(),
                name: t.name,
                login_type: t.login_type,
                seats_used: t.seats_used,
            })
            .collect())
    }

    pub async fn get_team(&self, who: &OrgCaller, team: &TeamId) -> ServiceResult<TeamView> {
        let mut c = self.store.read().await?;
        let row = load_team_by_id(&mut c, who, team).await?;
        who.may(Action::ViewTeam(&row.id.clone()))?;
        Ok(team_views(&mut c, &who.org, vec![row]).await?.remove(0))
    }
}
