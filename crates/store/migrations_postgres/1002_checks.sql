-- The database refuses what the domain can't hold: closed sets of words, non-negative counters,
-- and references between an organization's rows. Foreign keys are checked at commit
-- (DEFERRABLE INITIALLY DEFERRED), so a use case may write its rows in any order within its
-- transaction. SQLite gets the same checks as triggers (its 1002); its foreign keys stay off,
-- since SQLite can't add them to existing tables.

ALTER TABLE teams ADD CONSTRAINT teams_login_type CHECK (login_type IN ('email', 'device'));
ALTER TABLE teams ADD CONSTRAINT teams_seats_used CHECK (seats_used >= 0);
ALTER TABLE teams ADD CONSTRAINT teams_reserved_seats CHECK (reserved_seats IS NULL OR reserved_seats >= 0);
ALTER TABLE memberships ADD CONSTRAINT memberships_team_role CHECK (team_role IN ('member', 'team_admin'));
ALTER TABLE memberships ADD CONSTRAINT memberships_app_access CHECK (app_access IN (0, 1));
ALTER TABLE org_members ADD CONSTRAINT org_members_org_role CHECK (org_role IS NULL OR org_role IN ('org_admin', 'org_analyst'));
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status CHECK (status IN ('active', 'past_due', 'canceled'));
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_period CHECK (period IN ('monthly', 'annual'));
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_seats CHECK (seats >= 0);
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_price CHECK (unit_price_cents >= 0);
ALTER TABLE invoices ADD CONSTRAINT invoices_status CHECK (status IN ('open', 'paid', 'void'));
ALTER TABLE invoices ADD CONSTRAINT invoices_total CHECK (total_cents >= 0);
ALTER TABLE policies ADD CONSTRAINT policies_kind CHECK (kind IN ('setting', 'sso'));
ALTER TABLE policy_teams ADD CONSTRAINT policy_teams_kind CHECK (kind IN ('setting', 'sso'));
ALTER TABLE enrollment_keys ADD CONSTRAINT enrollment_keys_uses CHECK (uses >= 0 AND (max_uses IS NULL OR max_uses >= 1));

ALTER TABLE teams ADD CONSTRAINT teams_org FOREIGN KEY (org_id) REFERENCES orgs (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE teams ADD CONSTRAINT teams_subscription FOREIGN KEY (org_id, subscription_id) REFERENCES subscriptions (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE org_members ADD CONSTRAINT org_members_org FOREIGN KEY (org_id) REFERENCES orgs (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE org_members ADD CONSTRAINT org_members_user FOREIGN KEY (user_id) REFERENCES users (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE memberships ADD CONSTRAINT memberships_team FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE memberships ADD CONSTRAINT memberships_member FOREIGN KEY (org_id, user_id) REFERENCES org_members (org_id, user_id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_org FOREIGN KEY (org_id) REFERENCES orgs (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE invoices ADD CONSTRAINT invoices_subscription FOREIGN KEY (org_id, subscription_id) REFERENCES subscriptions (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE policies ADD CONSTRAINT policies_org FOREIGN KEY (org_id) REFERENCES orgs (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE policy_teams ADD CONSTRAINT policy_teams_policy FOREIGN KEY (org_id, policy_id) REFERENCES policies (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE policy_teams ADD CONSTRAINT policy_teams_team FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE enrollment_keys ADD CONSTRAINT enrollment_keys_team FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE devices ADD CONSTRAINT devices_team FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE team_settings ADD CONSTRAINT team_settings_team FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    DEFERRABLE INITIALLY DEFERRED;
