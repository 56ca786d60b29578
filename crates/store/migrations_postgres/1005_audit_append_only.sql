-- R25: the audit log is append-only. An UPDATE or DELETE of an entry raises (SQLite's 1003 does
-- the same); changing it takes dropping this trigger first, which `audit verify` then catches
-- through the hash chain and the head kept on the organization's row.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (R25)';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
