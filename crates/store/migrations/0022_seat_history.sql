-- R30: one row per subscription, team and calendar day (the organization's time zone): the pool,
-- reservations, seats held, people active with a call in the last 7 and 28 days, invitations
-- not yet taken up, and seat holders who never used the app. `team_id` is '' for the whole
-- subscription. Written once a day (a day's first snapshot stays), kept 400 days.
CREATE TABLE seat_history (
    org_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team_id TEXT NOT NULL,
    pool BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    used BIGINT NOT NULL,
    active_7d BIGINT NOT NULL,
    active_28d BIGINT NOT NULL,
    pending_invitations BIGINT NOT NULL,
    never_used BIGINT NOT NULL,
    PRIMARY KEY (org_id, subscription_id, day, team_id)
);
