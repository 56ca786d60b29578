-- R26: a subject's usage days in order, for the user list's `last_active` and its `used_app`
-- filter (one index probe per listed user).
CREATE INDEX usage_subject_days_subject ON usage_subject_days (org_id, subject_id, day);
