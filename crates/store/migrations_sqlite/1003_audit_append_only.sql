-- R25: the audit log is append-only. An UPDATE or DELETE of an entry aborts (PostgreSQL's 1005
-- does the same); changing it takes dropping these triggers first, which `audit verify` then
-- catches through the hash chain and the head kept on the organization's row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (R25)'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (R25)'); END;
