-- SCIM 2.0 provisioning: what an identity provider said about a user or a group (team) of one
-- organization, kept to answer it back exactly (RFC 7643 attributes as JSON), with the few
-- values filters need as columns, and a version for ETags.
CREATE TABLE scim_users (
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- userName as given, and lowercased for the case-insensitive filter
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    active INTEGER NOT NULL,
    attrs_json TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE UNIQUE INDEX scim_users_name ON scim_users (org_id, user_name_key);
CREATE INDEX scim_users_external ON scim_users (org_id, external_id);

CREATE TABLE scim_groups (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    external_id TEXT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id)
);
