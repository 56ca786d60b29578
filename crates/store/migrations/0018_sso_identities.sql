-- R33: the provider account a person is linked to, per SSO policy, on first use: the OIDC issuer
-- and subject, or the SAML IdP's entity id and NameID. A later assertion for the same person
-- with another account is refused; an account linked to one person can't sign in another.
CREATE TABLE sso_identities (
    org_id TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, policy_id, user_id)
);
CREATE UNIQUE INDEX sso_identities_subject ON sso_identities (org_id, policy_id, issuer, subject);
CREATE INDEX sso_identities_user ON sso_identities (org_id, user_id);
