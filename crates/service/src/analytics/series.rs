//! A metric over time: per day or per week (weeks start on Monday), for the organization or one
//! team — `active_users`, `calls`, `call_minutes`, or `feature_minutes:<catalog key>`. Days
//! without usage are zeros, so a chart has every point.

use super::teams::minutes;
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_domain::usage::FEATURES;
use switchboard_store::usage;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    #[default]
    Day,
    Week,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Point {
    /// The day, or the week's Monday.
    pub start: String,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    pub metric: String,
    pub interval: Interval,
    pub team_id: Option<TeamId>,
    pub from: String,
    pub to: String,
    pub points: Vec<Point>,
}

enum Metric {
    ActiveUsers,
    Calls,
    CallMinutes,
    Feature(String),
}

fn metric(m: &str) -> ServiceResult<Metric> {
    Ok(match m {
        "active_users" => Metric::ActiveUsers,
        "calls" => Metric::Calls,
        "call_minutes" => Metric::CallMinutes,
        f => match f.strip_prefix("feature_minutes:") {
            Some(k) if FEATURES.contains(&k) => Metric::Feature(k.to_owned()),
            _ => {
                return Err(ServiceError::invalid(
                    "metric",
                    format!(
                        "must be active_users, calls, call_minutes or feature_minutes:<key> with a key of {}",
                        FEATURES.join(", ")
                    ),
                ));
            }
        },
    })
}

impl Services {
    #[allow(clippy::too_many_arguments)]
    pub async fn analytics_series(
        &self,
        who: &OrgCaller,
        metric_name: Option<&str>,
        team: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        interval: Interval,
    ) -> ServiceResult<Series> {
        let scope = who.may(Action::ViewAnalytics)?;
        let metric_name = metric_name.ok_or_else(|| {
            ServiceError::invalid(
                "metric",
                "is required: active_users, calls, call_minutes or feature_minutes:<key>",
            )
        })?;
        let m = metric(metric_name)?;
        let mut c = self.store.read().await?;
        let team = match team {
            Some(t) => Some(crate::teams::load_team(&mut c, who, t).await?.id),
            None => None,
        };
        // A Team Admin's series is of one of their teams.
        if team.as_ref().is_none_or(|t| !scope.includes(t))
            && scope != switchboard_domain::access::Scope::Org
        {
            return Err(ServiceError::invalid("team", "name one of your teams"));
        }
        let (f, t) = self.period(who, from, to).await?;
        let (a, b) = (f.to_string(), t.to_string());
        let bucket = |day: &str| -> String {
            match (interval, day.parse::<jiff::civil::Date>()) {
                (Interval::Week, Ok(d)) => {
                    let back = i64::from(d.weekday().to_monday_zero_offset());
                    d.checked_sub(jiff::Span::new().days(back))
                        .unwrap_or(d)
                        .to_string()
                }
                _ => day.to_owned(),
            }
        };
        let mut values: BTreeMap<String, f64> = BTreeMap::new();
        let mut day = f;
        while day <= t {
            values.insert(bucket(&day.to_string()), 0.0);
            day = day
                .tomorrow()
                .map_err(|_| ServiceError::invalid("to", "is too late"))?;
        }
        match &m {
            Metric::ActiveUsers => {
                let mut sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for (d, s) in usage::active_pairs(&mut c, &who.org, team.as_ref(), &a, &b).await? {
                    sets.entry(bucket(&d)).or_default().insert(s);
                }
                for (k, s) in sets {
                    values.insert(k, s.len() as f64);
                }
            }
            Metric::Calls | Metric::CallMinutes => {
                for (d, _, calls, seconds) in
                    usage::daily(&mut c, &who.org, team.as_ref(), &a, &b).await?
                {
                    let v = if matches!(m, Metric::Calls) {
                        calls as f64
                    } else {
                        minutes(seconds)
                    };
                    *values.entry(bucket(&d)).or_default() += v;
                }
            }
            Metric::Feature(k) => {
                for (d, seconds) in
                    usage::feature_daily(&mut c, &who.org, team.as_ref(), k, &a, &b).await?
                {
                    *values.entry(bucket(&d)).or_default() += minutes(seconds);
                }
            }
        }
        Ok(Series {
            metric: metric_name.to_owned(),
            interval,
            team_id: team,
            from: a,
            to: b,
            points: values
                .into_iter()
                .map(|(start, value)| Point {
                    start,
                    value: (value * 10.0).round() / 10.0,
                })
                .collect(),
        })
    }
}
