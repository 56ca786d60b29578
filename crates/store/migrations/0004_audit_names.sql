-- Audit entries carry the actor's and the target's names at the time (an email, a team's name)
-- beside their ids, so the log reads on its own after renames and removals. Both are covered by
-- the entry's hash when present.
ALTER TABLE audit_log ADD COLUMN actor_name TEXT;
ALTER TABLE audit_log ADD COLUMN target_name TEXT;
