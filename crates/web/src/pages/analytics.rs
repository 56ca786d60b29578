//! Org analytics in the portal (`/orgs/{org}/analytics`, R26): a period picker (`from`, `to`),
//! a per-team table with each figure's trend against the previous period of the same length,
//! and a chart of call minutes per team — SVG drawn by the server from the same numbers, with the
//! table beside it, so it reads without JavaScript and with a screen reader.

use super::browser::{FieldError, FormError, OrgPage, PageResult, page};
use super::shell::{Section, Shell};
use crate::AppState;
use axum::extract::{Query, State};
use serde::Deserialize;
use switchboard_service::analytics::{TeamAnalytics, TeamsAnalytics};

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// One figure and how it moved.
pub struct Trend {
    pub now: String,
    pub before: String,
    /// "▲", "▼" or "–".
    pub arrow: &'static str,
    /// Words for the arrow (screen readers, tooltips).
    pub words: &'static str,
}

fn trend(now: f64, before: f64, show: impl Fn(f64) -> String) -> Trend {
    let (arrow, words) = if now > before {
        ("▲", "up from")
    } else if now < before {
        ("▼", "down from")
    } else {
        ("–", "same as")
    };
    Trend {
        now: show(now),
        before: show(before),
        arrow,
        words,
    }
}

pub struct Row {
    pub name: String,
    pub members: i64,
    pub seats: i64,
    pub active: Trend,
    pub calls: Trend,
    pub minutes: Trend,
    pub adoption: Trend,
    /// The bar's width in the chart (0–100).
    pub bar: f64,
    pub bar_label: String,
}

fn rows(a: &TeamsAnalytics) -> Vec<Row> {
    let most = a
        .items
        .iter()
        .map(|t| t.figures.call_minutes)
        .fold(0.0_f64, f64::max);
    a.items
        .iter()
        .map(|t: &TeamAnalytics| {
            let n = |v: f64| format!("{v:.0}");
            let m = |v: f64| format!("{v:.1}");
            let pct = |v: f64| format!("{:.0}%", v * 100.0);
            Row {
                name: t.team_name.clone(),
                members: t.figures.members,
                seats: t.figures.seats_held,
                active: trend(
                    t.figures.active_users as f64,
                    t.previous.active_users as f64,
                    n,
                ),
                calls: trend(t.figures.calls as f64, t.previous.calls as f64, n),
                minutes: trend(t.figures.call_minutes, t.previous.call_minutes, m),
                adoption: trend(t.figures.adoption, t.previous.adoption, pct),
                bar: if most > 0.0 && t.figures.call_minutes > 0.0 {
                    (t.figures.call_minutes / most * 100.0).max(0.5)
                } else {
                    0.0
                },
                bar_label: format!("{:.1} call minutes", t.figures.call_minutes),
            }
        })
        .collect()
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
    rows: Vec<Row>,
    error: Option<FormError>,
}

/// `/orgs/{org}/analytics?from=…&to=…` (default: the last 30 days).
pub async fn show(
    State(state): State<AppState>,
    p: OrgPage,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (from, to) = (blank(q.from), blank(q.to));
    let shell = Shell::for_org(&state, &p, "Analytics", Section::Analytics).await?;
    let (data, error) = match state
        .services
        .team_analytics(&p.who, from.as_deref(), to.as_deref())
        .await
    {
        Ok(a) => (a, None),
        Err(e) => {
            let error = FormError::from_service(e)?;
            (
                state.services.team_analytics(&p.who, None, None).await?,
                Some(error),
            )
        }
    };
    Ok(page(
        &p.browser,
        &AnalyticsPage {
            shell,
            org: p.who.org.to_string(),
            from: from.unwrap_or_else(|| data.from.clone()),
            to: to.unwrap_or_else(|| data.to.clone()),
            previous: format!("{} to {}", data.previous_from, data.previous_to),
            shown: format!("{} to {}", data.from, data.to),
            rows: rows(&data),
            error,
        },
    ))
}
