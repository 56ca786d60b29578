-- Core schema: organizations, teams, users, memberships, org roles, subscriptions, sign-in, audit.
-- Portable between SQLite and PostgreSQL: TEXT ids, BIGINT epoch-millisecond times, BIGINT 0/1
-- booleans. Every tenant table leads with org_id in its primary key and indexes (Citus-ready).

CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT,
    established_at BIGINT,
    initial_team_id TEXT NOT NULL,
    -- Bumped as the first statement of every write transaction on the org: it serializes writers of
    -- one organization (row lock on PostgreSQL, the write lock on SQLite) and versions caches.
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    -- lower(email || ' ' || name): what the user list's `q` matches with LIKE on both engines.
    search TEXT NOT NULL,
    first_signed_in_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE subscriptions (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    seats BIGINT NOT NULL,
    status TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX subscriptions_id ON subscriptions (id);

CREATE TABLE teams (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The case-insensitive key of the name (R3), computed in Rust so both engines agree.
    name_key TEXT NOT NULL,
    login_type TEXT NOT NULL,
    description TEXT,
    subscription_id TEXT,
    reserved_seats BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX teams_name ON teams (org_id, name_key);
CREATE INDEX teams_subscription ON teams (org_id, subscription_id);

-- A user's presence in an organization, and their org role (at most one, R9). A row exists exactly
-- while the user has at least one membership in the organization (R7, R8).
CREATE TABLE org_members (
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    org_role TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_role ON org_members (org_id, org_role);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE memberships (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    team_role TEXT NOT NULL,
    app_access BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, user_id)
);
-- Covers "memberships of these users" in (user, team) order, so no engine is tempted to scan the
-- organization through the primary key instead.
CREATE INDEX memberships_user ON memberships (org_id, user_id, team_id);

-- One live sign-in code per email; a new start replaces it. Only a salted hash is kept.
CREATE TABLE sign_in_codes (
    email TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Recent sign-in starts, for throttling per email and per client address.
CREATE TABLE sign_in_starts (
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_starts_email ON sign_in_starts (email, at);
CREATE INDEX sign_in_starts_ip ON sign_in_starts (ip, at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_log_action ON audit_log (org_id, action, seq);
CREATE INDEX audit_log_actor ON audit_log (org_id, actor, seq);
