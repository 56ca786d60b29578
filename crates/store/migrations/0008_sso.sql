-- Single sign-on (R24): a policy's protocol and options, sign-ins in flight, SAML assertions
-- already used, the app's one-time codes, and sessions that idle out and may be limited to the
-- organization whose provider opened them.

-- SsoOptions as JSON (protocol, jit, break-glass emails, SAML metadata...).
ALTER TABLE policies ADD COLUMN sso_json TEXT;

-- A sign-in sent to a provider and not yet back: found by the hash of its `state` (OIDC) or of
-- its RelayState (SAML); single use, short-lived.
CREATE TABLE sso_flows (
    state_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    -- 'portal', 'app' or 'test' (an Org Admin's Test connection)
    purpose TEXT NOT NULL,
    nonce TEXT,
    -- sealed with the server's key
    pkce_verifier_enc TEXT,
    saml_request_id TEXT,
    next_path TEXT,
    app_redirect_uri TEXT,
    app_code_challenge TEXT,
    app_state TEXT,
    -- who runs a Test connection
    user_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- SAML assertion ids seen, kept until the assertion would have expired anyway (replay).
CREATE TABLE saml_assertions (
    assertion_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The one-time code an app receives on its loopback redirect (RFC 8252), exchanged with PKCE.
CREATE TABLE app_sso_codes (
    code_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Idle timeout; and the organization an SSO session is limited to (NULL: an emailed code).
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
ALTER TABLE sessions ADD COLUMN org_id TEXT;
-- An app token opened through an organization's provider may run in that organization's SSO teams.
ALTER TABLE app_tokens ADD COLUMN sso_org_id TEXT;
