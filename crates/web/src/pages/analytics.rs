//! Org analytics in the portal (`/orgs/{org}/analytics`, R26): a period picker (`from`, `to`)
//! and a team filter (`team`), a per-team table with each figure's trend against the previous
//! period of the same length, and charts — call minutes per team, call minutes over time (per
//! day, per week beyond 62 days), minutes per feature — SVG drawn by the server, each with its
//! numbers in a table beside it, so the page reads without JavaScript and with a screen reader.
//! CSV downloads are the API's `format=csv` answers for the same period and team.

use super::browser::{FieldError, FormError, OrgPage, PageResult, page};
use super::charts::{Columns, HBars};
use super::human;
use super::shell::{Section, Shell};
use crate::AppState;
use axum::extract::{Query, State};
use serde::Deserialize;
use switchboard_domain::access::{Action, Scope};
use switchboard_service::analytics::{Interval, TeamAnalytics, period_days};
use switchboard_service::teams::TeamChoice;

/// Periods longer than this are charted per week.
const DAILY_UP_TO: i64 = 62;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
}

/// One figure and how it moved against the previous period.
pub struct Trend {
    pub now: String,
    /// The change as shown ("▲ 12 %", "▼ 4 pts", "new", "no change").
    pub change: String,
    /// `up`, `down` or `flat`: the change's colour.
    pub class: &'static str,
    /// The change in words for screen readers and tooltips ("up 12 % from 1,234").
    pub words: String,
}

/// A count's or an amount's trend, the change as a percentage of the previous value.
fn trend(now: f64, before: f64, show: impl Fn(f64) -> String) -> Trend {
    let (now_s, before_s) = (show(now), show(before));
    let (class, change, words) = if (now - before).abs() < f64::EPSILON || now_s == before_s {
        (
            "flat",
            "no change".to_owned(),
            format!("same as the previous period, {before_s}"),
        )
    } else if before == 0.0 {
        (
            "up",
            "new".to_owned(),
            "none in the previous period".to_owned(),
        )
    } else {
        let pct = ((now - before) / before * 100.0).round().abs() as i64;
        let (class, arrow, dir) = if now > before {
            ("up", "▲", "up")
        } else {
            ("down", "▼", "down")
        };
        (
            class,
            format!("{arrow} {} %", human::count(pct)),
            format!("{dir} {} % from {before_s}", human::count(pct)),
        )
    };
    Trend {
        now: now_s,
        change,
        class,
        words,
    }
}

/// A share's trend (adoption), the change in percentage points.
fn share_trend(now: f64, before: f64) -> Trend {
    let pts = ((now - before) * 100.0).round() as i64;
    let now_s = format!("{} %", (now * 100.0).round() as i64);
    let before_s = format!("{} %", (before * 100.0).round() as i64);
    let (class, change, words) = match pts {
        0 => (
            "flat",
            "no change".to_owned(),
            format!("same as the previous period, {before_s}"),
        ),
        p if p > 0 => (
            "up",
            format!("▲ {p} pts"),
            format!("up {p} points from {before_s}"),
        ),
        p => (
            "down",
            format!("▼ {} pts", -p),
            format!("down {} points from {before_s}", -p),
        ),
    };
    Trend {
        now: now_s,
        change,
        class,
        words,
    }
}

pub struct Row {
    pub name: String,
    pub members: String,
    pub seats: String,
    pub active: Trend,
    pub calls: Trend,
    pub minutes: Trend,
    pub adoption: Trend,
    /// More people were active than hold a seat today: adoption is shown as 100 %.
    pub capped: bool,
}

impl Row {
    /// The counted figures, in column order.
    pub fn counted(&self) -> [&Trend; 3] {
        [&self.active, &self.calls, &self.minutes]
    }
}

fn rows(items: &[&TeamAnalytics]) -> Vec<Row> {
    items
        .iter()
        .map(|t| {
            let n = |v: f64| human::count(v.round() as i64);
            Row {
                name: t.team_name.clone(),
                members: human::count(t.figures.members),
                seats: human::count(t.figures.seats_held),
                active: trend(
                    t.figures.active_users as f64,
                    t.previous.active_users as f64,
                    n,
                ),
                calls: trend(t.figures.calls as f64, t.previous.calls as f64, n),
                minutes: trend(
                    t.figures.call_minutes,
                    t.previous.call_minutes,
                    human::minutes,
                ),
                adoption: share_trend(t.figures.adoption, t.previous.adoption),
                capped: t.figures.adoption_capped,
            }
        })
        .collect()
}

/// Minutes per feature over the shown teams, largest first.
fn feature_bars(items: &[&TeamAnalytics]) -> HBars {
    let mut sums: std::collections::BTreeMap<&str, f64> = Default::default();
    for t in items {
        for (k, v) in &t.figures.feature_minutes {
            *sums.entry(k.as_str()).or_default() += v;
        }
    }
    let mut pairs: Vec<(String, f64)> = sums
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        // Feature keys are the settings catalog's keys: named by its labels.
        .map(|(k, v)| {
            let label = switchboard_domain::settings::spec(k).map_or(k, |s| s.label.as_str());
            (label.to_owned(), v)
        })
        .collect();
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
    HBars::new(pairs, "Minutes", human::minutes)
}

#[derive(askama::Template)]
#[template(path = "portal/analytics.html")]
struct AnalyticsPage {
    shell: Shell,
    org: String,
    from: String,
    to: String,
    previous: String,
    /// The period the figures are for (the default one when the asked one is refused).
    shown: String,
    teams: Vec<TeamChoice>,
    /// The chosen team's id (blank: every team the caller sees).
    team: String,
    /// What the charts cover: "all teams" or the team's name.
    scope: String,
    rows: Vec<Row>,
    /// Some row's adoption is capped at 100 % (the page says why).
    any_capped: bool,
    per_team: HBars,
    over_time: Columns,
    /// "day" or "week".
    interval: &'static str,
    features: HBars,
    /// The query for the CSV links: the shown period, and with the team the charts are of.
    period: String,
    with_team: String,
    error: Option<FormError>,
}

/// `/orgs/{org}/analytics?from=…&to=…&team=…` (default: the last 30 days, every team).
pub async fn show(
    State(state): State<AppState>,
    p: OrgPage,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (from, to, asked_team) = (blank(q.from), blank(q.to), blank(q.team));
    let shell = Shell::for_org(&state, &p, "Analytics", Section::Analytics).await?;
    let teams = state.services.team_choices(&p.who).await?;
    let mut error = None;
    let team = match asked_team {
        Some(t) if !teams.iter().any(|c| c.id == t) => {
            error = Some(FormError::new(
                Some("team"),
                "Choose one of the teams in the list.",
            ));
            None
        }
        t => t,
    };
    let data = match state
        .services
        .team_analytics(&p.who, from.as_deref(), to.as_deref())
        .await
    {
        Ok(a) => a,
        Err(e) => {
            error = error.or(Some(FormError::from_service(e)?));
            state.services.team_analytics(&p.who, None, None).await?
        }
    };
    let shown: Vec<&TeamAnalytics> = data
        .items
        .iter()
        .filter(|t| team.as_ref().is_none_or(|id| t.team_id.as_str() == id))
        .collect();
    // A Team Admin's charts over time are of one of their teams: the chosen one, else the first.
    let series_team = team.clone().or_else(|| {
        (p.who.may(Action::ViewAnalytics).ok() != Some(Scope::Org))
            .then(|| teams.first().map(|t| t.id.clone()))
            .flatten()
    });
    let interval = if period_days(&data.from, &data.to) > DAILY_UP_TO {
        Interval::Week
    } else {
        Interval::Day
    };
    let series = state
        .services
        .analytics_series(
            &p.who,
            Some("call_minutes"),
            series_team.as_deref(),
            Some(&data.from),
            Some(&data.to),
            interval,
        )
        .await?;
    let scope = match &series_team {
        Some(id) => teams
            .iter()
            .find(|t| &t.id == id)
            .map_or_else(String::new, |t| t.name.clone()),
        None => "all teams".into(),
    };
    let period = form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &data.from)
        .append_pair("to", &data.to)
        .finish();
    let with_team = match &series_team {
        Some(t) => format!("{period}&team={t}"),
        None => period.clone(),
    };
    Ok(page(
        &p.browser,
        &AnalyticsPage {
            shell,
            org: p.who.org.to_string(),
            from: from.unwrap_or_else(|| data.from.clone()),
            to: to.unwrap_or_else(|| data.to.clone()),
            previous: format!(
                "{} to {}",
                human::day(&data.previous_from).text,
                human::day(&data.previous_to).text
            ),
            shown: format!(
                "{} to {}",
                human::day(&data.from).text,
                human::day(&data.to).text
            ),
            team: team.unwrap_or_default(),
            scope,
            per_team: HBars::new(
                shown
                    .iter()
                    .map(|t| (t.team_name.clone(), t.figures.call_minutes))
                    .collect(),
                "Call minutes",
                human::minutes,
            ),
            over_time: Columns::new(
                series
                    .points
                    .iter()
                    .map(|pt| (pt.start.clone(), pt.value))
                    .collect(),
                "Call minutes",
                if interval == Interval::Week {
                    "Week of"
                } else {
                    "Day"
                },
                human::minutes,
            ),
            interval: if interval == Interval::Week {
                "week"
            } else {
                "day"
            },
            features: feature_bars(&shown),
            any_capped: shown.iter().any(|t| t.figures.adoption_capped),
            rows: rows(&shown),
            teams,
            period,
            with_team,
            error,
        },
    ))
}
