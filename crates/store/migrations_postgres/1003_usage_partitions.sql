-- R26 on PostgreSQL: raw usage events partitioned by calendar month (UTC) of `at` (epoch ms),
-- declaratively. `usage_events_ensure_month(at)` creates the month holding `at` if missing —
-- moving any rows the default partition caught for it — and the background job calls it for
-- this month and the next, ahead of time. `usage_events_drop_months_before(ms)` drops whole
-- months older than the retention window (a DROP, not a DELETE). Uniqueness of an event lives
-- in usage_event_ids (0012), so the primary key here may include `at`.
ALTER TABLE usage_events RENAME TO usage_events_unpartitioned;
ALTER TABLE usage_events_unpartitioned RENAME CONSTRAINT usage_events_pkey TO usage_events_unpartitioned_pkey;
ALTER INDEX usage_events_at RENAME TO usage_events_unpartitioned_at;

CREATE TABLE usage_events (
    org_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    duration_s BIGINT NOT NULL,
    features_json TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, subject_id, event_id, at)
) PARTITION BY RANGE (at);
CREATE INDEX usage_events_at ON usage_events (org_id, at);
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

CREATE FUNCTION usage_events_ensure_month(any_at BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    lo TIMESTAMP := date_trunc('month', to_timestamp(any_at / 1000.0) AT TIME ZONE 'UTC');
    lo_ms BIGINT := (extract(epoch FROM lo) * 1000)::BIGINT;
    hi_ms BIGINT := (extract(epoch FROM lo + INTERVAL '1 month') * 1000)::BIGINT;
    part TEXT := 'usage_events_' || to_char(lo, 'YYYY_MM');
BEGIN
    -- One creator at a time, across instances.
    PERFORM pg_advisory_xact_lock(hashtext('usage_events_partitions'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS)', part);
    -- No event may land in the default partition between the move and the attach.
    LOCK TABLE usage_events_default IN ACCESS EXCLUSIVE MODE;
    EXECUTE format(
        'WITH moved AS (DELETE FROM usage_events_default WHERE at >= %s AND at < %s RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved', lo_ms, hi_ms, part);
    EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
        part, lo_ms, hi_ms);
    RETURN TRUE;
END;
$$;

CREATE FUNCTION usage_events_drop_months_before(before_ms BIGINT) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    part TEXT;
    dropped INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('usage_events_partitions'));
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_\d{4}_\d{2}$'
    LOOP
        IF (extract(epoch FROM (to_date(substr(part, 14), 'YYYY_MM') + INTERVAL '1 month'))
                * 1000)::BIGINT <= before_ms THEN
            EXECUTE format('DROP TABLE %I', part);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END;
$$;

INSERT INTO usage_events SELECT * FROM usage_events_unpartitioned;
DROP TABLE usage_events_unpartitioned;
SELECT usage_events_ensure_month(m) FROM (
    SELECT MIN(at) AS m FROM usage_events_default
        GROUP BY date_trunc('month', to_timestamp(at / 1000.0) AT TIME ZONE 'UTC')
    UNION SELECT (extract(epoch FROM now()) * 1000)::BIGINT
    UNION SELECT (extract(epoch FROM now() + INTERVAL '1 month') * 1000)::BIGINT
) AS months;
