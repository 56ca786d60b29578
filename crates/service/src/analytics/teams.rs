//! Per-team analytics for a period (`from..=to`, days in the organization's time zone) and the
//! period of the same length just before it: members, seats held, active users (at least one
//! event), calls, call minutes, minutes per feature, adoption (active users / seats held, at
//! most 100 %). Members and seats are today's (they are not kept per day), so when seats were
//! freed during the period more people may have been active than hold a seat now: adoption is
//! then 100 % and `adoption_capped` says why.

use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use serde::Serialize;
use std::collections::BTreeMap;
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_store::{orgs, usage};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TeamFigures {
    pub members: i64,
    pub seats_held: i64,
    pub active_users: i64,
    pub calls: i64,
    pub call_minutes: f64,
    /// Catalog key → minutes.
    pub feature_minutes: BTreeMap<String, f64>,
    /// Active users / seats held today, at most 1 (0 without seats).
    pub adoption: f64,
    /// More people were active in the period than hold a seat today (seats were freed during
    /// it): adoption is shown as 1.
    pub adoption_capped: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamAnalytics {
    pub team_id: TeamId,
    pub team_name: String,
    #[serde(flatten)]
    pub figures: TeamFigures,
    /// The same figures for the previous period of the same length.
    pub previous: TeamFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamsAnalytics {
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub items: Vec<TeamAnalytics>,
}

/// Active users over seats held, at most 1, to three decimals; 0 without seats.
pub(crate) fn adoption(active: i64, seats: i64) -> f64 {
    if seats <= 0 {
        return 0.0;
    }
    ((active.min(seats) as f64 / seats as f64) * 1000.0).round() / 1000.0
}

pub(crate) fn minutes(seconds: i64) -> f64 {
    (seconds as f64 / 6.0).round() / 10.0
}

impl Services {
    pub async fn team_analytics(
        &self,
        who: &OrgCaller,
        from: Option<&str>,
        to: Option<&str>,
    ) -> ServiceResult<TeamsAnalytics> {
        let scope = who.may(Action::ViewAnalytics)?;
        let (f, t) = self.period(who, from, to).await?;
        let days = (t - f).get_days() + 1;
        let prev_to = f
            .yesterday()
            .map_err(|_| ServiceError::invalid("from", "is too early"))?;
        let prev_from = prev_to
            .checked_sub(jiff::Span::new().days(days - 1))
            .map_err(|_| ServiceError::invalid("from", "is too early"))?;
        let mut c = self.store.read().await?;
        let teams: Vec<orgs::TeamRow> = orgs::list_teams(&mut c, &who.org)
            .await?
            .into_iter()
            .filter(|team| scope.includes(&team.id))
            .collect();
        let period = |a: jiff::civil::Date, b: jiff::civil::Date| (a.to_string(), b.to_string());
        let (now_from, now_to) = period(f, t);
        let (was_from, was_to) = period(prev_from, prev_to);
        let mut figures = Vec::new();
        for (a, b) in [(&now_from, &now_to), (&was_from, &was_to)] {
            let totals = usage::team_totals(&mut c, &who.org, a, b).await?;
            let features = usage::feature_totals(&mut c, &who.org, a, b).await?;
            figures.push((totals, features));
        }
        let counts = orgs::member_counts(&mut c, &who.org).await?;
        let mut items = Vec::new();
        for team in teams {
            let members = counts
                .iter()
                .find(|(t, _)| *t == team.id)
                .map_or(0, |(_, n)| *n);
            let of = |i: usize| {
                let (totals, features) = &figures[i];
                let (active, calls, seconds) = totals
                    .iter()
                    .find(|(id, ..)| *id == team.id)
                    .map_or((0, 0, 0), |(_, a, c, s)| (*a, *c, *s));
                TeamFigures {
                    members,
                    seats_held: team.seats_used,
                    active_users: active,
                    calls,
                    call_minutes: minutes(seconds),
                    feature_minutes: features
                        .iter()
                        .filter(|(id, ..)| *id == team.id)
                        .map(|(_, k, s)| (k.clone(), minutes(*s)))
                        .collect(),
                    adoption: adoption(active, team.seats_used),
                    adoption_capped: team.seats_used > 0 && active > team.seats_used,
                }
            };
            items.push(TeamAnalytics {
                figures: of(0),
                previous: of(1),
                team_id: team.id,
                team_name: team.name,
            });
        }
        Ok(TeamsAnalytics {
            from: now_from,
            to: now_to,
            previous_from: was_from,
            previous_to: was_to,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn adoption_never_passes_one_and_is_zero_without_seats() {
        assert_eq!(super::adoption(186, 7), 1.0);
        assert_eq!(super::adoption(3, 4), 0.75);
        assert_eq!(super::adoption(5, 0), 0.0);
        assert_eq!(super::adoption(0, 10), 0.0);
    }
}
