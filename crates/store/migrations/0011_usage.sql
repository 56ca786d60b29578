-- Usage from the apps (R26). Raw events, once per (organization, subject, client-made id); and
-- rollups kept in step in the same transaction: per organization, team, subject (user or
-- device) and calendar day in the organization's time zone, and per feature. Every table leads
-- with org_id (docs/scaling.md).
ALTER TABLE orgs ADD COLUMN time_zone TEXT;

CREATE TABLE usage_events (
    org_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    duration_s BIGINT NOT NULL,
    features_json TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, subject_id, event_id)
);
CREATE INDEX usage_events_at ON usage_events (org_id, at);

CREATE TABLE usage_subject_days (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    day TEXT NOT NULL,
    calls BIGINT NOT NULL,
    call_seconds BIGINT NOT NULL,
    app_starts BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, subject_id, day)
);

CREATE TABLE usage_feature_days (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    day TEXT NOT NULL,
    feature TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, day, feature)
);
