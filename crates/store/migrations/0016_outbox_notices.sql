-- Notices (a domain lapsed, and later seat and event notices) go through the outbox too. The
-- kind's CHECK was written inline, which SQLite can't alter: the table is rebuilt with the new
-- list, on both engines alike, keeping every row and the index.
CREATE TABLE outbox_next (
    id TEXT PRIMARY KEY,
    org_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('sign_in_code', 'invitation', 'report', 'notice')),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    code TEXT,
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
INSERT INTO outbox_next (id, org_id, kind, recipient, subject, body, code, attempts,
    next_attempt_at, lease_until, last_error, failed_at, created_at)
SELECT id, org_id, kind, recipient, subject, body, code, attempts, next_attempt_at, lease_until,
    last_error, failed_at, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE failed_at IS NULL;
