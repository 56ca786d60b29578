-- Outgoing mail, written in the transaction of the change that causes it and delivered by a
-- background worker with retries, so a request never waits on SMTP, a mail server's failure or
-- slowness never shows in an answer, and nothing is sent for a change that rolled back.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    -- The organization the mail is about (invitations); NULL for sign-in codes.
    org_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('sign_in_code', 'invitation', 'report')),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- A sign-in code, for the file mailer's JSON lines (what developers and tests read).
    code TEXT,
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    -- While a worker is sending it: no other worker takes it until then.
    lease_until BIGINT,
    last_error TEXT,
    -- Set when delivery was given up; delivered mail is deleted (it may hold a code).
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE failed_at IS NULL;

-- Sign-in starts are counted per email only (per address in memory, before the database):
-- a start counts once it was accepted, never when it was refused.
DROP INDEX sign_in_starts_ip;
ALTER TABLE sign_in_starts DROP COLUMN ip;
