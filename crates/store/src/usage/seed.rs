//! Bulk seeding of the usage rollups, for the demo and the benchmarks (never ingest, which adds
//! to rows): subject days and feature days written many to a statement, then the team rollups
//! derived from them.

use crate::{Conn, Result, Sql};
use switchboard_domain::ids::{OrgId, TeamId};

/// A subject's day, for [`insert_rollups`]: team, subject, day, calls, call seconds, app starts.
pub type SubjectDay = (TeamId, String, String, i64, i64, i64);
/// A team's day of one feature, for [`insert_rollups`]: team, day, feature, seconds.
pub type FeatureDay = (TeamId, String, String, i64);

/// Writes rollup rows in bulk, 500 to a statement, leaving any row already there as it is: for
/// seeding (the demo, the benchmarks), never for ingest, which adds to the rows.
pub async fn insert_rollups(
    c: &mut Conn,
    org: &OrgId,
    subjects: &[SubjectDay],
    features: &[FeatureDay],
) -> Result<()> {
    for chunk in subjects.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO usage_subject_days (org_id, team_id, subject_id, day, calls, call_seconds, app_starts) VALUES ",
        );
        for (i, (team, subject, day, calls, seconds, starts)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(org.to_string())
                .push(", ")
                .bind(team.to_string())
                .push(", ");
            q.bind(subject.clone())
                .push(", ")
                .bind(day.clone())
                .push(", ");
            q.bind(*calls)
                .push(", ")
                .bind(*seconds)
                .push(", ")
                .bind(*starts)
                .push(")");
        }
        q.push(" ON CONFLICT (org_id, team_id, subject_id, day) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    for chunk in features.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO usage_feature_days (org_id, team_id, day, feature, seconds) VALUES ",
        );
        for (i, (team, day, feature, seconds)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(org.to_string())
                .push(", ")
                .bind(team.to_string())
                .push(", ");
            q.bind(day.clone())
                .push(", ")
                .bind(feature.clone())
                .push(", ");
            q.bind(*seconds).push(")");
        }
        q.push(" ON CONFLICT (org_id, team_id, day, feature) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    // The team rollups, derived afresh from the subjects' days.
    for statement in [
        "DELETE FROM usage_team_days WHERE org_id = $1",
        "INSERT INTO usage_team_days (org_id, team_id, day, calls, call_seconds, app_starts) \
         SELECT org_id, team_id, day, SUM(calls), SUM(call_seconds), SUM(app_starts) \
         FROM usage_subject_days WHERE org_id = $1 GROUP BY org_id, team_id, day",
        "DELETE FROM usage_team_subjects WHERE org_id = $1",
        "INSERT INTO usage_team_subjects (org_id, team_id, subject_id, first_day, last_day) \
         SELECT org_id, team_id, subject_id, MIN(day), MAX(day) \
         FROM usage_subject_days WHERE org_id = $1 GROUP BY org_id, team_id, subject_id",
    ] {
        sqlx::query(statement).bind(org).execute(&mut *c).await?;
    }
    // The newest call per span (R29), at noon of its last day with calls: seeded figures have
    // days, not times.
    let noon_of_day = if crate::is_sqlite(c) {
        "(CAST(strftime('%s', MAX(d.day)) AS BIGINT) + 43200) * 1000"
    } else {
        "(CAST(EXTRACT(EPOCH FROM CAST(MAX(d.day) AS DATE)) AS BIGINT) + 43200) * 1000"
    };
    sqlx::query(&format!(
        "UPDATE usage_team_subjects SET last_call_at = (SELECT {noon_of_day} \
         FROM usage_subject_days d WHERE d.org_id = usage_team_subjects.org_id \
         AND d.team_id = usage_team_subjects.team_id \
         AND d.subject_id = usage_team_subjects.subject_id AND d.calls > 0) WHERE org_id = $1"
    ))
    .bind(org)
    .execute(&mut *c)
    .await?;
    Ok(())
}
