-- Invitations: when a user was last invited to the organization (mailed through the outbox), so
-- the users list can say "Invited" with the date until their first sign-in, and resending can be
-- throttled without another table.
ALTER TABLE org_members ADD COLUMN invited_at BIGINT;
