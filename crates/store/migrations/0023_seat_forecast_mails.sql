-- R30: the mail that tells Org Admins a pool is running out goes at most once per subscription
-- and week (ISO week, `2026-W50`).
CREATE TABLE seat_forecast_mails (
    org_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    week TEXT NOT NULL,
    PRIMARY KEY (org_id, subscription_id, week)
);
