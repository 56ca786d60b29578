-- R26: the team summary reads per-team rollups, whatever the head count: calls and call
-- seconds per team and day, and each subject's span of active days in a team (a subject whose
-- span has an end inside a period was active in it; only a span reaching past both ends needs
-- a look at its days). Kept in step by ingest in the same transaction; filled here from the
-- subjects' days.
CREATE TABLE usage_team_days (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    day TEXT NOT NULL,
    calls BIGINT NOT NULL,
    call_seconds BIGINT NOT NULL,
    app_starts BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, day)
);
CREATE TABLE usage_team_subjects (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    PRIMARY KEY (org_id, team_id, subject_id)
);
INSERT INTO usage_team_days (org_id, team_id, day, calls, call_seconds, app_starts)
    SELECT org_id, team_id, day, SUM(calls), SUM(call_seconds), SUM(app_starts)
    FROM usage_subject_days GROUP BY org_id, team_id, day;
INSERT INTO usage_team_subjects (org_id, team_id, subject_id, first_day, last_day)
    SELECT org_id, team_id, subject_id, MIN(day), MAX(day)
    FROM usage_subject_days GROUP BY org_id, team_id, subject_id;
