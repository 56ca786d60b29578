//! R3: renaming a team or changing its description.

use super::{UpdateTeam, load_team_by_id, name_taken, team_views};
use crate::ProblemCode;
use crate::views::TeamView;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services, error::on_unique};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, TeamText};
use switchboard_domain::ids::TeamId;
use switchboard_domain::team::{Name, parse_description};
use switchboard_store::orgs::{self};

impl Services {
    pub async fn update_team(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
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
        let row = load_team_by_id(w.db(), who, team).await?;
        let team_id = row.id.clone();
        w.may(Action::EditTeam(&team_id))?;
        let new_name =
            name.unwrap_or_else(|| Name::parse("name", &row.name).expect("stored names are valid"));
        let new_description = description.unwrap_or_else(|| row.description.clone());
        orgs::update_team(
            w.db(),
            &who.org,
            &row.id,
            new_name.as_str(),
            &new_name.key(),
            new_description.as_deref(),
        )
        .await
        .map_err(on_unique(ProblemCode::TeamNameTaken, name_taken(&new_name)))?;
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
        let view = team_views(w.db(), &who.org, vec![updated]).await?.remove(0);
        w.commit().await?;
        Ok(view)
    }
}
