//! R30: the seat history and the forecast drawn from it. A snapshot records, per subscription
//! and team, the state as it is when taken under the local day of the time given (the hourly job
//! passes now; `switchboard seats snapshot --at` any time); a day's first snapshot stays. The
//! forecast is a least-squares line through the last 28 days of seats held
//! ([`switchboard_domain::forecast`]).

use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use serde::Serialize;
use switchboard_domain::access::Action;
use switchboard_domain::forecast::{self, BASIS_DAYS, Forecast};
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId};
use switchboard_domain::usage::day_of;
use switchboard_store::seat_history::{self as store, HistoryRow};
use switchboard_store::{Conn, billing, orgs, usage};

/// Days of history kept.
pub const KEEP_DAYS: i64 = 400;

/// One day of a team, or with `team_id` null of the whole subscription.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryDay {
    pub day: String,
    pub team_id: Option<TeamId>,
    pub pool: i64,
    pub reserved: i64,
    pub used: i64,
    pub active_7d: i64,
    pub active_28d: i64,
    pub pending_invitations: i64,
    pub never_used: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeatHistory {
    pub items: Vec<HistoryDay>,
}

fn shifted(day: &str, days: i64) -> String {
    day.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .map_or_else(|| day.to_owned(), |d| d.to_string())
}

/// The UTC day `days` from now.
pub(crate) fn days_from_now(days: i64) -> String {
    day_of(switchboard_store::now_ms() + days * 86_400_000, "UTC")
}

/// The forecast of a subscription from its history: nothing when the history stopped more than
/// a day before `today` (the organization's day), since a stale line says nothing of now.
pub(crate) async fn forecast_of(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
    pool: i64,
) -> ServiceResult<Forecast> {
    let tz = usage::zone(c, org).await?;
    let today = day_of(switchboard_store::now_ms(), &tz);
    let nothing = || forecast::forecast(jiff::civil::date(2000, 1, 1), &[], pool);
    let Some(last) = store::last_day(c, org, sub).await? else {
        return Ok(nothing());
    };
    if last < shifted(&today, -1) {
        return Ok(nothing());
    }
    let corrupt = |d: &str| {
        ServiceError::Store(switchboard_store::StoreError::Corrupt {
            what: "seat history",
            reason: format!("{d:?} is not a day"),
        })
    };
    let last_day: jiff::civil::Date = last.parse().map_err(|_| corrupt(&last))?;
    let from = shifted(&last, -(BASIS_DAYS as i64 - 1));
    let mut points = Vec::new();
    for r in store::rows(c, org, sub, &from, &last).await? {
        if !r.team_id.is_empty() {
            continue;
        }
        let d: jiff::civil::Date = r.day.parse().map_err(|_| corrupt(&r.day))?;
        let offset = i64::from((d - last_day).get_days());
        points.push((offset, r.used));
    }
    Ok(forecast::forecast_points(last_day, &points, pool))
}

impl Services {
    /// Records today's row (in each organization's time zone, as of `at`) for every
    /// subscription and team that has none yet, and drops rows past [`KEEP_DAYS`]. Answers
    /// how many rows were written.
    pub async fn snapshot_seats(&self, at: i64, only: Option<&OrgId>) -> ServiceResult<u64> {
        let orgs = match only {
            Some(o) => vec![o.clone()],
            None => orgs::all_ids(&mut *self.store.read().await?).await?,
        };
        let mut written = 0;
        for org in orgs {
            match self.snapshot_org(&org, at).await {
                Ok(n) => written += n,
                Err(e) if only.is_some() => return Err(e),
                Err(e) => tracing::error!(org = %org, error = %e, "seat snapshot failed"),
            }
        }
        Ok(written)
    }

    async fn snapshot_org(&self, org: &OrgId, at: i64) -> ServiceResult<u64> {
        // Counted on a read connection; the write's first statement writes (on SQLite a
        // transaction that reads first can't wait for another process's writer).
        let mut tx = self.store.read().await?;
        let tz = usage::zone(&mut tx, org).await?;
        let day = day_of(at, &tz);
        let (since_7d, since_28d) = (shifted(&day, -6), shifted(&day, -27));
        let mut rows = Vec::new();
        for sub in billing::list_subscriptions(&mut tx, org).await? {
            let mut whole = HistoryRow {
                org_id: org.clone(),
                subscription_id: sub.id.clone(),
                day: day.clone(),
                team_id: String::new(),
                pool: sub.seats,
                reserved: 0,
                used: 0,
                active_7d: 0,
                active_28d: 0,
                pending_invitations: 0,
                never_used: 0,
            };
            for t in orgs::teams_of_subscription(&mut tx, org, &sub.id).await? {
                let f = store::team_figures(&mut tx, org, &t.id, &since_7d, &since_28d).await?;
                let row = HistoryRow {
                    team_id: t.id.to_string(),
                    reserved: t.reserved_seats.unwrap_or(0),
                    used: t.seats_used,
                    active_7d: f.active_7d,
                    active_28d: f.active_28d,
                    pending_invitations: f.pending_invitations,
                    never_used: f.never_used,
                    ..whole.clone()
                };
                whole.reserved += row.reserved;
                whole.used += row.used;
                whole.active_7d += row.active_7d;
                whole.active_28d += row.active_28d;
                whole.pending_invitations += row.pending_invitations;
                whole.never_used += row.never_used;
                rows.push(row);
            }
            rows.push(whole);
        }
        drop(tx);
        let mut tx = self.store.write().await?;
        let written = store::insert_day(&mut tx, &rows).await?;
        // Retention counts from today, whatever day `at` names.
        let today = day_of(switchboard_store::now_ms(), &tz);
        store::prune(&mut tx, org, &shifted(&today, -KEEP_DAYS)).await?;
        tx.commit().await?;
        self.mail_running_out(org, &day).await?;
        Ok(written)
    }

    /// Tells the Org Admins when a pool is full within 14 days at the present pace, or over
    /// 90 % held: at most once per subscription and week.
    async fn mail_running_out(&self, org: &OrgId, day: &str) -> ServiceResult<()> {
        let (due, admins) = {
            let mut c = self.store.read().await?;
            let mut due = Vec::new();
            for sub in billing::list_subscriptions(&mut c, org).await? {
                let used = crate::seats::pool_of(&mut c, &sub).await?.used_total();
                let f = forecast_of(&mut c, org, &sub.id, sub.seats).await?;
                let soon = f
                    .exhausted_on
                    .as_deref()
                    .filter(|d| *d <= shifted(day, 14).as_str());
                if soon.is_some() || used * 10 > sub.seats * 9 {
                    let when = soon.map_or_else(
                        || format!("{used} of its {} seats are held", sub.seats),
                        |d| format!("at the present pace it is full on {d}"),
                    );
                    due.push((sub.id.clone(), sub.name.clone(), when));
                }
            }
            if due.is_empty() {
                return Ok(());
            }
            let admins: Vec<String> = switchboard_store::people::list_org_roles(&mut c, org)
                .await?
                .into_iter()
                .filter(|a| a.org_role == switchboard_domain::role::OrgRole::OrgAdmin)
                .map(|a| a.email)
                .collect();
            (due, admins)
        };
        let week = day
            .parse::<jiff::civil::Date>()
            .map(|d| {
                let w = d.iso_week_date();
                format!("{}-W{:02}", w.year(), w.week())
            })
            .unwrap_or_else(|_| day.to_owned());
        // The note writes first (on SQLite a transaction that reads first can't wait for
        // another process's writer).
        let mut tx = self.store.write().await?;
        for (sub, name, when) in due {
            if !store::note_forecast_mail(&mut tx, org, &sub, &week).await? {
                continue;
            }
            for to in &admins {
                let mail = crate::mail::Mail {
                    to: to.clone(),
                    subject: format!("The {name} subscription is running out of seats"),
                    body: format!(
                        "The {name} subscription is running out of seats: {when}.\n\nAdd seats, or look at the idle seats and pending invitations on its page, before new people can't get one.\n"
                    ),
                    code: None,
                };
                crate::outbox::queue(&mut tx, crate::outbox::MailKind::Notice, Some(org), mail)
                    .await?;
            }
        }
        tx.commit().await?;
        self.wake_mailer();
        Ok(())
    }

    /// The history of a subscription, day by day (default: the last 30 days).
    pub async fn seat_history(
        &self,
        who: &OrgCaller,
        sub: &SubscriptionId,
        from: Option<&str>,
        to: Option<&str>,
    ) -> ServiceResult<SeatHistory> {
        who.may(Action::ViewSeatHistory)?;
        // The analytics' period: default the 30 days ending today in the organization's zone,
        // `to` not before `from`, at most 400 days; a blank value means none.
        let (from, to) = (
            from.filter(|s| !s.trim().is_empty()),
            to.filter(|s| !s.trim().is_empty()),
        );
        let (from, to) = self.period(who, from, to).await?;
        let (from, to) = (from.to_string(), to.to_string());
        let mut c = self.store.read().await?;
        crate::billing::load_subscription(&mut c, &who.org, sub).await?;
        let items = store::rows(&mut c, &who.org, sub, &from, &to)
            .await?
            .into_iter()
            .map(|r| HistoryDay {
                day: r.day,
                team_id: TeamId::parse(&r.team_id),
                pool: r.pool,
                reserved: r.reserved,
                used: r.used,
                active_7d: r.active_7d,
                active_28d: r.active_28d,
                pending_invitations: r.pending_invitations,
                never_used: r.never_used,
            })
            .collect();
        Ok(SeatHistory { items })
    }
}
