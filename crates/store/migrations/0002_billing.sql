-- Billing: seat counters, subscription periods and payment methods, invoices.

-- Seat holders per team, kept by the store functions that change memberships (and devices), so
-- the seat check reads a handful of team rows instead of counting memberships.
ALTER TABLE teams ADD COLUMN seats_used BIGINT NOT NULL DEFAULT 0;

ALTER TABLE subscriptions ADD COLUMN period_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN period_end BIGINT NOT NULL DEFAULT 0;
-- Only what a payment provider hands back is stored: its token, brand, last four digits, expiry.
ALTER TABLE subscriptions ADD COLUMN pm_provider_token TEXT;
ALTER TABLE subscriptions ADD COLUMN pm_brand TEXT;
ALTER TABLE subscriptions ADD COLUMN pm_last4 TEXT;
ALTER TABLE subscriptions ADD COLUMN pm_exp_month BIGINT;
ALTER TABLE subscriptions ADD COLUMN pm_exp_year BIGINT;

CREATE TABLE invoices (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    -- Gapless per deployment: taken from `counters` in the transaction that writes the invoice.
    number BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    lines_json TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX invoices_number ON invoices (number);
-- A period closes into one invoice, however often closing runs.
CREATE UNIQUE INDEX invoices_period ON invoices (org_id, subscription_id, period_start);

-- Deployment-wide sequences (invoice numbers).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('invoice_number', 0);
