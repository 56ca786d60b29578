//! Deleting a team with no members and no devices; never the initial team (R1).

use super::load_team_by_id;
use crate::ProblemCode;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, TeamText};
use switchboard_domain::ids::TeamId;
use switchboard_store::orgs::{self};

impl Services {
    /// Deletes a team with no members. The initial team stays forever (R1).
    pub async fn delete_team(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        let row = load_team_by_id(w.db(), who, team).await?;
        let team_id = row.id.clone();
        w.may(Action::DeleteTeam(&team_id))?;
        // From the organization itself: an API token's standing names no initial team.
        let initial = orgs::get_org(w.db(), &who.org)
            .await?
            .map(|o| o.initial_team_id);
        if initial.as_ref() == Some(&team_id) {
            return Err(ServiceError::conflict(
                ProblemCode::InitialTeam,
                "The organization's initial team can't be deleted.",
            ));
        }
        let members = orgs::member_count(w.db(), &who.org, &row.id).await?;
        let devices = switchboard_store::apps::devices_of_team(w.db(), &who.org, &row.id)
            .await?
            .len();
        if devices > 0 {
            return Err(ServiceError::conflict(
                ProblemCode::TeamNotEmpty,
                format!(
                    "Team {} still has {devices} enrolled {}; remove {} before deleting the team.",
                    row.name,
                    if devices == 1 { "device" } else { "devices" },
                    if devices == 1 { "it" } else { "them" }
                ),
            ));
        }
        if members > 0 {
            return Err(ServiceError::conflict(
                ProblemCode::TeamNotEmpty,
                format!(
                    "Team {} still has {members} {}; remove {} before deleting the team.",
                    row.name,
                    if members == 1 { "member" } else { "members" },
                    if members == 1 { "them" } else { "them all" }
                ),
            ));
        }
        orgs::delete_team(w.db(), &who.org, &row.id).await?;
        w.record(AuditEvent::TeamDeleted {
            team: team_id,
            text: TeamText {
                name: row.name.clone(),
                description: row.description.clone(),
            },
            login_type: row.login_type,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
