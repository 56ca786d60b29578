-- R34: an organization's email domains. A domain is claimed (pending) with a random token the
-- organization publishes as a DNS TXT record, verified when the record is found (or by the
-- operator), and lapses when the record has been gone 7 days. Stored in one canonical form:
-- ASCII (IDNA A-labels), lower case, no trailing dot.
CREATE TABLE org_domains (
    org_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    -- The random part of `switchboard-verify=<token>`.
    token TEXT NOT NULL,
    -- pending | verified | lapsed
    status TEXT NOT NULL,
    -- dns | operator (null while pending)
    verified_by TEXT,
    verified_at BIGINT,
    -- The last daily check, and the last time the record was there.
    last_checked_at BIGINT,
    last_seen_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, domain)
);

-- A domain is verified by at most one organization: two organizations verifying at once, each
-- under its own lock, meet here.
CREATE UNIQUE INDEX org_domains_verified ON org_domains (domain) WHERE status = 'verified';
CREATE INDEX org_domains_due ON org_domains (status, last_checked_at);
