//! Analytics reads of the usage rollups (R26): per team over a period, per day, per feature,
//! per subject, and last active days.

use crate::{Conn, Result};
use switchboard_domain::ids::{OrgId, TeamId};

/// Per team over the days `from..=to`: active subjects, calls, call seconds. Sums come from the
/// teams' days; a subject counts as active from its span of days in the team — inside the
/// period at either end means active, and only a span reaching past both ends needs a look at
/// its days. Some thousands of rows for an organization of thousands, whatever the period.
pub async fn team_totals(
    c: &mut Conn,
    org: &OrgId,
    from: &str,
    to: &str,
) -> Result<Vec<(TeamId, i64, i64, i64)>> {
    let sums: Vec<(TeamId, i64, i64)> = sqlx::query_as(
        "SELECT team_id, CAST(SUM(calls) AS BIGINT), CAST(SUM(call_seconds) AS BIGINT) \
         FROM usage_team_days WHERE org_id = $1 AND day >= $2 AND day <= $3 GROUP BY team_id",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    let active: Vec<(TeamId, i64)> = sqlx::query_as(
        "SELECT s.team_id, CAST(COUNT(*) AS BIGINT) FROM usage_team_subjects s \
         WHERE s.org_id = $1 AND s.first_day <= $3 AND s.last_day >= $2 \
         AND (s.first_day >= $2 OR s.last_day <= $3 OR EXISTS (SELECT 1 FROM usage_subject_days d \
           WHERE d.org_id = s.org_id AND d.team_id = s.team_id AND d.subject_id = s.subject_id \
           AND d.day >= $2 AND d.day <= $3)) \
         GROUP BY s.team_id",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    let active: std::collections::HashMap<TeamId, i64> = active.into_iter().collect();
    Ok(sums
        .into_iter()
        .map(|(team, calls, seconds)| {
            let n = active.get(&team).copied().unwrap_or(0);
            (team, n, calls, seconds)
        })
        .collect())
}

/// Per team and feature over the days `from..=to`: seconds.
pub async fn feature_totals(
    c: &mut Conn,
    org: &OrgId,
    from: &str,
    to: &str,
) -> Result<Vec<(TeamId, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT team_id, feature, CAST(SUM(seconds) AS BIGINT) FROM usage_feature_days \
         WHERE org_id = $1 AND day >= $2 AND day <= $3 GROUP BY team_id, feature",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?)
}

/// Per day over `from..=to` (optionally one team): active subjects, calls, call seconds.
pub async fn daily(
    c: &mut Conn,
    org: &OrgId,
    team: Option<&TeamId>,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT day, CAST(COUNT(DISTINCT subject_id) AS BIGINT), CAST(SUM(calls) AS BIGINT), \
         CAST(SUM(call_seconds) AS BIGINT) FROM usage_subject_days \
         WHERE org_id = $1 AND day >= $2 AND day <= $3 AND ($4 = '' OR team_id = $4) GROUP BY day ORDER BY day",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(team.map(|t| t.to_string()).unwrap_or_default())
    .fetch_all(c)
    .await?)
}

/// The (day, subject) pairs with activity over `from..=to` (for distinct counts over weeks).
pub async fn active_pairs(
    c: &mut Conn,
    org: &OrgId,
    team: Option<&TeamId>,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT day, subject_id FROM usage_subject_days \
         WHERE org_id = $1 AND day >= $2 AND day <= $3 AND ($4 = '' OR team_id = $4)",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(team.map(|t| t.to_string()).unwrap_or_default())
    .fetch_all(c)
    .await?)
}

/// Per day over `from..=to` (optionally one team): seconds of one feature.
pub async fn feature_daily(
    c: &mut Conn,
    org: &OrgId,
    team: Option<&TeamId>,
    feature: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT day, CAST(SUM(seconds) AS BIGINT) FROM usage_feature_days \
         WHERE org_id = $1 AND day >= $2 AND day <= $3 AND feature = $4 AND ($5 = '' OR team_id = $5) \
         GROUP BY day ORDER BY day",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(feature)
    .bind(team.map(|t| t.to_string()).unwrap_or_default())
    .fetch_all(c)
    .await?)
}

/// Per subject over `from..=to` (optionally in one team): calls and call seconds.
pub async fn per_subject(
    c: &mut Conn,
    org: &OrgId,
    team: Option<&TeamId>,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT subject_id, CAST(SUM(calls) AS BIGINT), CAST(SUM(call_seconds) AS BIGINT) \
         FROM usage_subject_days WHERE org_id = $1 AND day >= $2 AND day <= $3 \
         AND ($4 = '' OR team_id = $4) GROUP BY subject_id",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(team.map(|t| t.to_string()).unwrap_or_default())
    .fetch_all(c)
    .await?)
}

pub async fn last_active(c: &mut Conn, org: &OrgId) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT subject_id, MAX(day) FROM usage_subject_days WHERE org_id = $1 GROUP BY subject_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// The last day a subject used the app, if ever.
pub async fn subject_last_active(
    c: &mut Conn,
    org: &OrgId,
    subject: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(day) FROM usage_subject_days WHERE org_id = $1 AND subject_id = $2",
    )
    .bind(org)
    .bind(subject)
    .fetch_one(c)
    .await?)
}
