-- R11, R33: a person's sign-in status is per organization ("signed in here"): an organization
-- that adds someone's email learns nothing of their sign-ins elsewhere. Set the first time a
-- credential that reaches this organization is issued to them.
ALTER TABLE org_members ADD COLUMN first_signed_in_at BIGINT;

-- Until now a code session reached every organization of its person, so a sign-in after joining
-- was a sign-in here; a session opened after joining (by code, or by this organization's
-- provider) says the same when the first sign-in came before.
UPDATE org_members SET first_signed_in_at = (
    SELECT u.first_signed_in_at FROM users u
    WHERE u.id = org_members.user_id AND u.first_signed_in_at >= org_members.created_at
);
UPDATE org_members SET first_signed_in_at = (
    SELECT MIN(s.created_at) FROM sessions s
    WHERE s.user_id = org_members.user_id AND s.created_at >= org_members.created_at
      AND (s.org_id IS NULL OR s.org_id = org_members.org_id)
)
WHERE first_signed_in_at IS NULL;
