-- Codes bound to the attempt that asked for them: each start is a row of its own (its id is a
-- secret only the browser or app that started holds; stored hashed), so nobody else's guesses
-- burn a person's code and nobody else's starts replace it. Replaces `sign_in_codes` (one code
-- per email) and `sign_in_starts` (the per-email count, now kept in memory).
CREATE TABLE sign_in_attempts (
    attempt_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    -- The client's address (IPv4) or /64 (IPv6) that started it.
    source TEXT NOT NULL,
    -- NULL when no code was sent (no account, or a code reaches none of the person's
    -- organizations): the answer was the same.
    code_hash TEXT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email, source, created_at);
CREATE INDEX sign_in_attempts_expiry ON sign_in_attempts (expires_at);
DROP TABLE sign_in_codes;
DROP TABLE sign_in_starts;
