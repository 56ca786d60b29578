-- R29: spans whose calls are older than the raw events kept (90 days) get their newest call
-- from the days rolled up: noon of the last day with calls (days hold no times).
UPDATE usage_team_subjects SET last_call_at = (
    SELECT (CAST(strftime('%s', MAX(d.day)) AS BIGINT) + 43200) * 1000
    FROM usage_subject_days d
    WHERE d.org_id = usage_team_subjects.org_id AND d.team_id = usage_team_subjects.team_id
      AND d.subject_id = usage_team_subjects.subject_id AND d.calls > 0)
WHERE last_call_at IS NULL;
