-- R26: an event counts once per (organization, subject, client-made id). The ids live in their
-- own table so that the raw events may be partitioned by time on PostgreSQL (a partitioned
-- table's unique keys must include the partition key, which would let one id count once per
-- month). Ingest inserts the id first; only an id that was new inserts its event.
CREATE TABLE usage_event_ids (
    org_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (org_id, subject_id, event_id)
);
CREATE INDEX usage_event_ids_at ON usage_event_ids (at);
INSERT INTO usage_event_ids (org_id, subject_id, event_id, at)
    SELECT org_id, subject_id, event_id, at FROM usage_events;
