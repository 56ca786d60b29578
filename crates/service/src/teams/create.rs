//! R2, R3: creating a team; the first creation by the initial team's admin establishes the organization.

use super::{CreateTeam, name_taken, team_views};
use crate::ProblemCode;
use crate::views::TeamView;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services, error::on_unique};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::{AuditEvent, TeamText};
use switchboard_domain::ids::TeamId;
use switchboard_domain::role::OrgRole;
use switchboard_domain::team::{Name, parse_description};
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::{now_ms, people};

impl Services {
    /// Creates a team. The first creation by the initial team's admin establishes the
    /// organization under `organization_name` and makes the creator its first Org Admin (R2).
    pub async fn create_team(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
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
            org_id: who.org.clone(),
            id: TeamId::generate(),
            name: name.as_str().to_owned(),
            login_type: login,
            description,
            subscription_id: None,
            reserved_seats: None,
            seats_used: 0,
            created_at: now,
        };
        orgs::insert_team(w.db(), &row, &name.key())
            .await
            .map_err(on_unique(ProblemCode::TeamNameTaken, name_taken(&name)))?;
        if let Some(org_name) = &org_name {
            orgs::establish_org(w.db(), &who.org, org_name.as_str(), now).await?;
            people::set_org_role(w.db(), &who.org, &who.user, Some(OrgRole::OrgAdmin)).await?;
            w.record(AuditEvent::OrgEstablished {
                org: who.org.clone(),
                name: org_name.as_str().to_owned(),
                first_org_admin: who.user.clone(),
            })
            .await?;
        }
        w.record(AuditEvent::TeamCreated {
            team: row.id.clone(),
            text: TeamText {
                name: row.name.clone(),
                description: row.description.clone(),
            },
            login_type: login,
        })
        .await?;
        let view = team_views(w.db(), &who.org, vec![row]).await?.remove(0);
        w.commit().await?;
        Ok(view)
    }
}
