//! Org analytics (R26): per-team figures over a period of calendar days, each beside the same
//! figures for the previous period of the same length. Org Admins and Org Analysts see every
//! team; a Team Admin their own.

mod report;
mod series;
mod teams;
mod time_zone;
mod users;

pub use series::{Interval, Point, Series};
pub use teams::{TeamAnalytics, TeamFigures, TeamsAnalytics};
pub use time_zone::UpdateOrg;
pub use users::{UserUsage, UsersUsage};

use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use jiff::civil::Date;
use switchboard_store::usage;

/// The longest period one request may ask for, in days.
pub const MAX_DAYS: i32 = 400;

fn date(field: &'static str, s: &str) -> ServiceResult<Date> {
    s.parse::<Date>()
        .map_err(|_| ServiceError::invalid(field, "must be a calendar day like 2026-11-30"))
}

/// How many days `from..=to` holds (0 when either is not a day).
pub fn period_days(from: &str, to: &str) -> i64 {
    match (from.parse::<Date>(), to.parse::<Date>()) {
        (Ok(f), Ok(t)) => i64::from((t - f).get_days()) + 1,
        _ => 0,
    }
}

impl Services {
    /// A period `from..=to` (default: the 30 days ending today in the organization's time zone),
    /// checked: `to` not before `from`, at most [`MAX_DAYS`] days.
    pub(crate) async fn period(
        &self,
        who: &OrgCaller,
        from: Option<&str>,
        to: Option<&str>,
    ) -> ServiceResult<(Date, Date)> {
        let t = match to {
            Some(to) => date("to", to)?,
            None => {
                let mut c = self.store.read().await?;
                let tz = usage::time_zone(&mut c, &who.org)
                    .await?
                    .unwrap_or_else(|| "UTC".into());
                date(
                    "to",
                    &switchboard_domain::usage::day_of(switchboard_store::now_ms(), &tz),
                )?
            }
        };
        let f = match from {
            Some(from) => date("from", from)?,
            None => t
                .checked_sub(jiff::Span::new().days(29))
                .map_err(|_| ServiceError::invalid("to", "is too early"))?,
        };
        let days = (t - f).get_days() + 1;
        if days < 1 {
            return Err(ServiceError::invalid("to", "must be on or after from"));
        }
        if days > MAX_DAYS {
            return Err(ServiceError::invalid(
                "to",
                format!("a period is at most {MAX_DAYS} days"),
            ));
        }
        Ok((f, t))
    }
}
