-- Every instance keeps entitlement answers in memory, each tagged with its organization's
-- version. Whenever a version moves, this trigger notifies channel sb_org_version with
-- "<org id> <version>"; PostgreSQL delivers it after the commit, to every listening instance.
-- A lost notification is caught up by each instance's periodic version poll.
CREATE FUNCTION orgs_version_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sb_org_version', NEW.id || ' ' || NEW.version);
    RETURN NULL;
END;
$$;

CREATE TRIGGER orgs_version_notify AFTER UPDATE OF version ON orgs
    FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version)
    EXECUTE FUNCTION orgs_version_notify();
