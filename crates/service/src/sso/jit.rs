//! R24a: just-in-time membership. A person the provider vouched for, with an allowed domain and
//! no membership in the policy's teams, joins the policy's just-in-time team as a member with app
//! access — seat-checked under the organization's write lock like every seat (R14, R17), and in
//! the same transaction as their session, so a refusal leaves nothing half-created.

use super::finish::SsoOutcome;
use super::policy::SignInPolicy;
use crate::memberships::{self, Access, Person};
use crate::write::Actor;
use crate::{ProblemCode, RequestInfo, ServiceError, ServiceResult, Services, seats};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::email::Email;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_domain::team::LoginType;
use switchboard_sso::{Check, Failure};
use switchboard_store::sso::{self as store, FlowRow};
use switchboard_store::sso_links::Account;
use switchboard_store::{Conn, now_ms, orgs, people};

/// A seat refusal as the sign-in's Seat check; anything else unchanged.
fn as_seat_failure(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Conflict {
            code: ProblemCode::SeatLimitReached,
            detail,
        } => ServiceError::Sso(Failure::new(Check::Seat, detail)),
        other => other,
    }
}

impl Services {
    /// The team people join just in time: the policy's choice, or its first team.
    fn jit_team(policy: &SignInPolicy) -> ServiceResult<TeamId> {
        policy
            .options
            .jit
            .team_id
            .clone()
            .filter(|t| policy.teams.contains(t))
            .or_else(|| policy.teams.first().cloned())
            .ok_or_else(|| {
                ServiceError::Sso(Failure::new(
                    Check::Account,
                    "just-in-time membership has no team: the policy applies to none",
                ))
            })
    }

    /// The just-in-time team, an email-login team of the policy.
    async fn jit_team_row(
        &self,
        c: &mut Conn,
        policy: &SignInPolicy,
    ) -> ServiceResult<orgs::TeamRow> {
        let team_id = Self::jit_team(policy)?;
        orgs::get_team(c, &policy.org, &team_id)
            .await?
            .filter(|t| t.login_type == LoginType::Email)
            .ok_or_else(|| {
                ServiceError::Sso(Failure::new(
                    Check::Account,
                    "the just-in-time team no longer exists",
                ))
            })
    }

    /// Whether a seat is free for a person joining just in time (Test connection; no change).
    pub(crate) async fn jit_seat_free(&self, policy: &SignInPolicy) -> ServiceResult<()> {
        let mut c = self.store.read().await?;
        let team = self.jit_team_row(&mut c, policy).await?;
        seats::check(&mut c, &team, 1)
            .await
            .map_err(as_seat_failure)
    }

    /// Joins the person to the just-in-time team and signs them in, in one transaction.
    pub(crate) async fn join_just_in_time(
        &self,
        flow: &FlowRow,
        policy: &SignInPolicy,
        email: &Email,
        account: Option<&Account>,
        ctx: &RequestInfo,
    ) -> ServiceResult<SsoOutcome> {
        let known = {
            let mut c = self.store.read().await?;
            people::find_user_by_email(&mut c, email.as_str())
                .await?
                .map(|u| u.id)
        };
        let id = known.unwrap_or_else(UserId::generate);
        let actor = Actor::User {
            id: id.clone(),
            email: email.to_string(),
        };
        let mut w = self.write_as(&policy.org, actor, ctx).await?;
        let now = now_ms();
        let id = people::ensure_user(w.db(), &id, email.as_str(), now).await?;
        // Under the lock: joined meanwhile (a second tab, another instance)? Then just sign in.
        let teams = store::email_teams_of_user(w.db(), &id).await?;
        if teams
            .iter()
            .any(|t| t.org_id == policy.org && policy.teams.contains(&t.team_id))
        {
            // Nothing to join (and so nothing to record): sign in as an existing member does.
            drop(w);
            let mut tx = self.store.write().await?;
            super::link::link(&mut tx, policy, &id, account, now).await?;
            let outcome = self.grant(&mut tx, flow, policy, &id, now).await?;
            tx.commit().await?;
            return Ok(outcome);
        }
        let mut team = self.jit_team_row(w.db(), policy).await?;
        let person = Person {
            id: id.clone(),
            email: email.to_string(),
        };
        let joined = AuditEvent::JoinedJustInTime {
            user: id.clone(),
            email: email.to_string(),
            team: team.id.clone(),
            team_name: team.name.clone(),
            policy: policy.id.clone(),
        };
        let presence = people::presence(w.db(), &policy.org, &id).await?;
        memberships::join(
            &mut w,
            &mut team,
            &person,
            presence,
            TeamRole::Member,
            Access::Holder,
            |_| joined,
        )
        .await
        .map_err(as_seat_failure)?;
        super::link::link(w.db(), policy, &id, account, now).await?;
        let outcome = self.grant(w.db(), flow, policy, &id, now).await?;
        w.commit().await?;
        Ok(outcome)
    }
}
