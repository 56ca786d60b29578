-- R29: idle seats are released by rule. A membership remembers since when it holds app access
-- (set when access turns on, cleared when it turns off), and each subject's span in a team its
-- newest call (kept by ingest beside the span's days), so the idle set is read from these two
-- rows per member, never from the events.
ALTER TABLE memberships ADD COLUMN access_since BIGINT;
UPDATE memberships SET access_since = created_at WHERE app_access = 1;
ALTER TABLE usage_team_subjects ADD COLUMN last_call_at BIGINT;
UPDATE usage_team_subjects SET last_call_at = (
    SELECT MAX(e.at) FROM usage_events e
    WHERE e.org_id = usage_team_subjects.org_id AND e.team_id = usage_team_subjects.team_id
      AND e.subject_id = usage_team_subjects.subject_id AND e.kind = 'call');
-- One notice per idle stretch: a stretch is named by the moment it began (the last call, or
-- the grant of access when there was none), so a new stretch after a call gets its own notice.
CREATE TABLE seat_release_notices (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    idle_from BIGINT NOT NULL,
    noticed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, user_id, idle_from)
);
-- One digest a day per admin and organization.
CREATE TABLE seat_release_digests (
    org_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (org_id, recipient, day)
);
