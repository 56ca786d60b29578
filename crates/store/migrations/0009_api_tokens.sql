-- Organization API tokens (§1): a secret shown once and kept only as its SHA-256; scopes are
-- the words `read`, `write`, `scim` separated by spaces. Revoked tokens stay for the record.
CREATE TABLE api_tokens (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- the secret's first characters, to tell tokens apart in lists and logs
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
