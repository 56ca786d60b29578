//! R1: provisioning a customer, and the plan catalog.

use super::{ProvisionRequest, Provisioned};
use crate::memberships::{self, Access, Person};
use crate::write::Actor;
use crate::{RequestInfo, ServiceResult, Services};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::billing::Period;
use switchboard_domain::email::Email;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::plan::{self, Plan};
use switchboard_domain::role::{Presence, TeamRole};
use switchboard_domain::team::{Name, parse_description};
use switchboard_store::billing;
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::{now_ms, people};

impl Services {
    /// R1: one organization (not yet established), its initial team, a subscription covering it,
    /// and the first Team Admin, in one transaction.
    pub async fn provision_customer(
        &self,
        ctx: &RequestInfo,
        req: ProvisionRequest,
    ) -> ServiceResult<Provisioned> {
        let name = Name::parse("team.name", &req.team.name)?;
        let login = req.team.login_type;
        let description = parse_description(req.team.description.as_deref())?;
        let email = Email::parse(&req.admin_email)?;
        let plan = plan::find(&req.subscription.plan)?;
        let seats = plan::parse_seats("subscription.seats", req.subscription.seats)?;
        if !plan.allows(login) {
            return Err(crate::ServiceError::invalid(
                "team.login_type",
                format!(
                    "plan {} does not allow {}-login teams",
                    plan.name,
                    login.as_str()
                ),
            ));
        }
        let (org, team) = (OrgId::generate(), TeamId::generate());
        let now = now_ms();
        let mut w = self
            .write_new_org(&org, &team, Actor::Operator, ctx)
            .await?;
        let sub_row = crate::billing::operator::new_subscription(
            &org,
            plan,
            seats,
            &plan.label,
            Period::Monthly,
            plan.unit_price_cents,
            now,
        );
        let sub = sub_row.id.clone();
        billing::insert_subscription(w.db(), &sub_row).await?;
        let team_row = TeamRow {
            org_id: org.clone(),
            id: team.clone(),
            name: name.as_str().to_owned(),
            login_type: login,
            description,
            subscription_id: Some(sub.clone()),
            reserved_seats: None,
            seats_used: 0,
            created_at: now,
        };
        let mut team_row = team_row;
        orgs::insert_team(w.db(), &team_row, &name.key()).await?;
        let user = people::ensure_user(w.db(), &UserId::generate(), email.as_str(), now).await?;
        let admin = Person {
            id: user.clone(),
            email: email.to_string(),
        };
        // The admin of an email team takes a seat when there is one; a device team's seats are
        // devices. The organization's entry says it all.
        memberships::join(
            &mut w,
            &mut team_row,
            &admin,
            Presence::Outside,
            TeamRole::TeamAdmin,
            Access::IfSeatFree,
            |_| AuditEvent::OrgProvisioned {
                org: org.clone(),
                team: team.clone(),
                team_name: name.as_str().to_owned(),
                login_type: login,
                subscription: sub.clone(),
                plan: plan.name.clone(),
                seats,
                admin: user.clone(),
                admin_email: email.to_string(),
            },
        )
        .await?;
        w.commit().await?;
        Ok(Provisioned {
            org_id: org.clone().into(),
            team_id: team.to_string(),
            subscription_id: sub.to_string(),
            admin_user_id: user.into(),
        })
    }

    pub fn plans(&self) -> &'static [Plan] {
        plan::catalog()
    }
}
