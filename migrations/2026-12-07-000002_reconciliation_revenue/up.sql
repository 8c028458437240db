-- Daily reconciliation against every outside system's settlement file, and revenue
-- per tax key for household businesses.

-- A run matches one file (one system, one business day) against our payments.
CREATE TABLE reconciliation_runs (
    id             text PRIMARY KEY,
    source         text NOT NULL,
    business_date  date NOT NULL,
    -- `fetched` on an operator's request, `uploaded` by an operator, `scheduled` by
    -- the daily job (at most one per system and day, whichever instance runs it).
    origin         text NOT NULL CHECK (origin IN ('fetched', 'uploaded', 'scheduled')),
    file_name      text,
    file_sha256    text NOT NULL,
    lines          integer NOT NULL,
    matched        integer NOT NULL,
    discrepancies  integer NOT NULL,
    their_total    bigint NOT NULL,
    our_total      bigint NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX reconciliation_runs_created_idx ON reconciliation_runs (created_at DESC, id DESC);
CREATE UNIQUE INDEX reconciliation_runs_scheduled_idx
    ON reconciliation_runs (source, business_date) WHERE origin = 'scheduled';

CREATE TABLE reconciliation_discrepancies (
    id                   text PRIMARY KEY,
    run_id               text NOT NULL REFERENCES reconciliation_runs (id),
    kind                 text NOT NULL CHECK (kind IN ('missing_at_us', 'missing_at_them',
                             'amount_mismatch', 'status_mismatch', 'duplicate')),
    reference            text NOT NULL,
    payment_id           text,
    their_line           integer,
    their_transaction_id text,
    their_amount         bigint,
    their_status         text,
    our_amount           bigint,
    our_status           text,
    -- What may resolve it, as decided when it was found.
    actions              text[] NOT NULL,
    resolved_at          timestamptz,
    created_at           timestamptz NOT NULL
);
CREATE INDEX reconciliation_discrepancies_run_idx ON reconciliation_discrepancies (run_id, id);
CREATE INDEX reconciliation_discrepancies_open_idx
    ON reconciliation_discrepancies (created_at) WHERE resolved_at IS NULL;

-- The audit record of a resolution: who, why, what moved. Append-only.
CREATE TABLE reconciliation_resolutions (
    discrepancy_id text PRIMARY KEY REFERENCES reconciliation_discrepancies (id),
    action         text NOT NULL,
    reason         text NOT NULL,
    operator       text NOT NULL,
    transfer_id    text,
    amount         bigint,
    payment_status text,
    created_at     timestamptz NOT NULL
);
CREATE FUNCTION reconciliation_resolutions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reconciliation resolutions are an audit record and never change';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reconciliation_resolutions_append_only
    BEFORE UPDATE OR DELETE ON reconciliation_resolutions
    FOR EACH ROW EXECUTE FUNCTION reconciliation_resolutions_append_only();

-- Our side of a day: only payments that reach an outside system.
CREATE INDEX payments_outside_created_idx ON payments (created_at)
    WHERE kind IN ('topup', 'withdrawal', 'bill', 'insurance') OR payee_bank_bin IS NOT NULL;

-- Revenue per merchant and month (Vietnam time), kept as running totals in the same
-- transaction as the capture or refund, so a report or a threshold check reads at most
-- twelve rows per merchant and year.
CREATE TABLE merchant_revenue (
    merchant_id  text NOT NULL REFERENCES merchants (id),
    month        date NOT NULL,
    gross        bigint NOT NULL DEFAULT 0,
    refunds      bigint NOT NULL DEFAULT 0,
    receipts     integer NOT NULL DEFAULT 0,
    refund_count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month)
);
CREATE INDEX merchants_tax_code_idx ON merchants (tax_code);

-- What is already captured and refunded, dated as well as the rows allow (a capture
-- by the request's last change, a refund by its creation).
INSERT INTO merchant_revenue (merchant_id, month, gross, receipts)
    SELECT merchant_id, date_trunc('month', updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
           sum(captured_amount), count(*)
    FROM merchant_payment_requests WHERE captured_amount > 0
    GROUP BY 1, 2;
INSERT INTO merchant_revenue AS m (merchant_id, month, refunds, refund_count)
    SELECT merchant_id, date_trunc('month', created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
           sum(amount), count(*)
    FROM merchant_refunds WHERE status = 'succeeded'
    GROUP BY 1, 2
    ON CONFLICT (merchant_id, month) DO UPDATE
        SET refunds = m.refunds + excluded.refunds, refund_count = m.refund_count + excluded.refund_count;
