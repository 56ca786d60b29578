-- The database refuses what the domain can't hold: closed sets of words and non-negative
-- counters (PostgreSQL's 1002 adds them as CHECK constraints, with foreign keys). SQLite can't
-- add a CHECK to an existing table, so each is a pair of triggers that abort the statement.

CREATE TRIGGER teams_login_type_insert BEFORE INSERT ON teams
WHEN NOT (NEW.login_type IN ('email', 'device'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_login_type'); END;
CREATE TRIGGER teams_login_type_update BEFORE UPDATE ON teams
WHEN NOT (NEW.login_type IN ('email', 'device'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_login_type'); END;
CREATE TRIGGER teams_seats_used_insert BEFORE INSERT ON teams
WHEN NOT (NEW.seats_used >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_seats_used'); END;
CREATE TRIGGER teams_seats_used_update BEFORE UPDATE ON teams
WHEN NOT (NEW.seats_used >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_seats_used'); END;
CREATE TRIGGER teams_reserved_seats_insert BEFORE INSERT ON teams
WHEN NOT (NEW.reserved_seats IS NULL OR NEW.reserved_seats >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_reserved_seats'); END;
CREATE TRIGGER teams_reserved_seats_update BEFORE UPDATE ON teams
WHEN NOT (NEW.reserved_seats IS NULL OR NEW.reserved_seats >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams_reserved_seats'); END;
CREATE TRIGGER memberships_team_role_insert BEFORE INSERT ON memberships
WHEN NOT (NEW.team_role IN ('member', 'team_admin'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: memberships_team_role'); END;
CREATE TRIGGER memberships_team_role_update BEFORE UPDATE ON memberships
WHEN NOT (NEW.team_role IN ('member', 'team_admin'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: memberships_team_role'); END;
CREATE TRIGGER memberships_app_access_insert BEFORE INSERT ON memberships
WHEN NOT (NEW.app_access IN (0, 1))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: memberships_app_access'); END;
CREATE TRIGGER memberships_app_access_update BEFORE UPDATE ON memberships
WHEN NOT (NEW.app_access IN (0, 1))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: memberships_app_access'); END;
CREATE TRIGGER org_members_org_role_insert BEFORE INSERT ON org_members
WHEN NOT (NEW.org_role IS NULL OR NEW.org_role IN ('org_admin', 'org_analyst'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: org_members_org_role'); END;
CREATE TRIGGER org_members_org_role_update BEFORE UPDATE ON org_members
WHEN NOT (NEW.org_role IS NULL OR NEW.org_role IN ('org_admin', 'org_analyst'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: org_members_org_role'); END;
CREATE TRIGGER subscriptions_status_insert BEFORE INSERT ON subscriptions
WHEN NOT (NEW.status IN ('active', 'past_due', 'canceled'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_status'); END;
CREATE TRIGGER subscriptions_status_update BEFORE UPDATE ON subscriptions
WHEN NOT (NEW.status IN ('active', 'past_due', 'canceled'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_status'); END;
CREATE TRIGGER subscriptions_period_insert BEFORE INSERT ON subscriptions
WHEN NOT (NEW.period IN ('monthly', 'annual'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_period'); END;
CREATE TRIGGER subscriptions_period_update BEFORE UPDATE ON subscriptions
WHEN NOT (NEW.period IN ('monthly', 'annual'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_period'); END;
CREATE TRIGGER subscriptions_seats_insert BEFORE INSERT ON subscriptions
WHEN NOT (NEW.seats >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_seats'); END;
CREATE TRIGGER subscriptions_seats_update BEFORE UPDATE ON subscriptions
WHEN NOT (NEW.seats >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_seats'); END;
CREATE TRIGGER subscriptions_price_insert BEFORE INSERT ON subscriptions
WHEN NOT (NEW.unit_price_cents >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_price'); END;
CREATE TRIGGER subscriptions_price_update BEFORE UPDATE ON subscriptions
WHEN NOT (NEW.unit_price_cents >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_price'); END;
CREATE TRIGGER invoices_status_insert BEFORE INSERT ON invoices
WHEN NOT (NEW.status IN ('open', 'paid', 'void'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: invoices_status'); END;
CREATE TRIGGER invoices_status_update BEFORE UPDATE ON invoices
WHEN NOT (NEW.status IN ('open', 'paid', 'void'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: invoices_status'); END;
CREATE TRIGGER invoices_total_insert BEFORE INSERT ON invoices
WHEN NOT (NEW.total_cents >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: invoices_total'); END;
CREATE TRIGGER invoices_total_update BEFORE UPDATE ON invoices
WHEN NOT (NEW.total_cents >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: invoices_total'); END;
CREATE TRIGGER policies_kind_insert BEFORE INSERT ON policies
WHEN NOT (NEW.kind IN ('setting', 'sso'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policies_kind'); END;
CREATE TRIGGER policies_kind_update BEFORE UPDATE ON policies
WHEN NOT (NEW.kind IN ('setting', 'sso'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policies_kind'); END;
CREATE TRIGGER policy_teams_kind_insert BEFORE INSERT ON policy_teams
WHEN NOT (NEW.kind IN ('setting', 'sso'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policy_teams_kind'); END;
CREATE TRIGGER policy_teams_kind_update BEFORE UPDATE ON policy_teams
WHEN NOT (NEW.kind IN ('setting', 'sso'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policy_teams_kind'); END;
CREATE TRIGGER enrollment_keys_uses_insert BEFORE INSERT ON enrollment_keys
WHEN NOT (NEW.uses >= 0 AND (NEW.max_uses IS NULL OR NEW.max_uses >= 1))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: enrollment_keys_uses'); END;
CREATE TRIGGER enrollment_keys_uses_update BEFORE UPDATE ON enrollment_keys
WHEN NOT (NEW.uses >= 0 AND (NEW.max_uses IS NULL OR NEW.max_uses >= 1))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: enrollment_keys_uses'); END;
