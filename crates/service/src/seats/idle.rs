//! R29: the seats that are idle, or will be within the notice window, as the release job sees
//! them now — for `GET …/seats/idle` and the users pages. Org Admins and Org Analysts see every
//! team; Team Admins their own.

use super::release::{IdleSeat, due_in, ruled_teams};
use crate::teams::load_team_by_id;
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_store::{now_ms, usage};

impl Services {
    /// Idle seats and those idle within 7 days, soonest release first; `team` narrows to one.
    pub async fn idle_seats(
        &self,
        who: &OrgCaller,
        team: Option<&TeamId>,
    ) -> ServiceResult<Vec<IdleSeat>> {
        // Last calls are usage figures: the analytics readers (not SCIM tokens).
        let scope = who.may(Action::ViewAnalytics)?;
        let mut c = self.store.read().await?;
        if let Some(team) = team {
            let t = load_team_by_id(&mut c, who, team).await?;
            if !scope.includes(&t.id) {
                return Err(ServiceError::NotFound { what: "team" });
            }
        }
        let tz = usage::zone(&mut c, &who.org).await?;
        let at = now_ms();
        let mut out = Vec::new();
        for t in ruled_teams(&mut c, &who.org).await? {
            if !scope.includes(&t.team.id) || team.is_some_and(|x| *x != t.team.id) {
                continue;
            }
            let due = due_in(&mut c, &who.org, &t, at, &tz).await?;
            out.extend(due.into_iter().map(|d| d.seat));
        }
        out.sort_by(|a, b| (&a.release_on, &a.email).cmp(&(&b.release_on, &b.email)));
        Ok(out)
    }
}
