-- R25: the audit chain's head — the newest entry's sequence number and hash — kept on the
-- organization's row and moved in the same transaction as every entry, so deleting the newest
-- entries shows: `switchboard audit verify` compares the chain's end with it (and prints it, for
-- keeping elsewhere). Organizations that already have entries start from their newest one.
ALTER TABLE orgs ADD COLUMN audit_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN audit_head TEXT NOT NULL DEFAULT '';
UPDATE orgs SET
    audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a WHERE a.org_id = orgs.id), 0),
    audit_head = COALESCE((SELECT a.hash FROM audit_log a WHERE a.org_id = orgs.id
                           ORDER BY a.seq DESC LIMIT 1), '');
