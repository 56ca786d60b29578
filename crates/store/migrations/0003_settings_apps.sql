-- Settings, policies, and what the apps use: enrollment keys, devices, app tokens.

-- R20: only the values a team set explicitly.
CREATE TABLE team_settings (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, key)
);

-- Setting policies (kind 'setting': values_json) and SSO policies (kind 'sso': the provider).
CREATE TABLE policies (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    values_json TEXT NOT NULL,
    issuer TEXT,
    client_id TEXT,
    -- Encrypted with SWITCHBOARD_SECRET_KEY (XChaCha20-Poly1305); never returned.
    client_secret_enc TEXT,
    allowed_domains_json TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE policy_teams (
    org_id TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (org_id, policy_id, team_id)
);
CREATE INDEX policy_teams_team ON policy_teams (org_id, team_id);
-- R24: a team has at most one SSO policy.
CREATE UNIQUE INDEX policy_teams_one_sso ON policy_teams (org_id, team_id) WHERE kind = 'sso';

CREATE TABLE enrollment_keys (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX enrollment_keys_hash ON enrollment_keys (key_hash);

-- Enrolled workstations of device-login teams: each holds a seat.
CREATE TABLE devices (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    name TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX devices_team ON devices (org_id, team_id);

-- Tokens of the apps: bound to a user (and, once chosen, a team) or to a device.
CREATE TABLE app_tokens (
    token_hash TEXT PRIMARY KEY,
    org_id TEXT,
    team_id TEXT,
    user_id TEXT,
    device_id TEXT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_tokens_device ON app_tokens (org_id, device_id);
