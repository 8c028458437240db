-- The double-entry ledger. Ids are u128 stored as uuid (big-endian bytes, so uuid
-- order is numeric order); amounts and balances are bigint, never above i64::MAX.

CREATE TABLE ledger_accounts (
    id              uuid PRIMARY KEY,
    debits_pending  bigint NOT NULL CHECK (debits_pending >= 0),
    debits_posted   bigint NOT NULL CHECK (debits_posted >= 0),
    credits_pending bigint NOT NULL CHECK (credits_pending >= 0),
    credits_posted  bigint NOT NULL CHECK (credits_posted >= 0),
    user_data_128   uuid NOT NULL,
    user_data_64    bigint NOT NULL,
    user_data_32    bigint NOT NULL,
    ledger          bigint NOT NULL,
    code            integer NOT NULL,
    flags           integer NOT NULL,
    "timestamp"     bigint NOT NULL,
    -- The limit flags are enforced again here, so no bug above can overdraw a wallet.
    CONSTRAINT debits_must_not_exceed_credits
        CHECK (flags & 2 = 0 OR debits_pending + debits_posted <= credits_posted),
    CONSTRAINT credits_must_not_exceed_debits
        CHECK (flags & 4 = 0 OR credits_pending + credits_posted <= debits_posted)
);

-- The journal: append-only and hash-chained in `seq` order.
CREATE TABLE ledger_transfers (
    seq               bigint PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    debit_account_id  uuid NOT NULL,
    credit_account_id uuid NOT NULL,
    amount            bigint NOT NULL CHECK (amount >= 0),
    pending_id        uuid NOT NULL,
    user_data_128     uuid NOT NULL,
    user_data_64      bigint NOT NULL,
    user_data_32      bigint NOT NULL,
    timeout           bigint NOT NULL,
    ledger            bigint NOT NULL,
    code              integer NOT NULL,
    flags             integer NOT NULL,
    "timestamp"       bigint NOT NULL,
    hash              bytea NOT NULL
);
CREATE INDEX ledger_transfers_debit_idx ON ledger_transfers (debit_account_id, "timestamp");
CREATE INDEX ledger_transfers_credit_idx ON ledger_transfers (credit_account_id, "timestamp");

CREATE FUNCTION ledger_refuse_journal_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger journal is append-only: % refused on ledger_transfers', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_transfers_append_only
    BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_journal_change();
CREATE TRIGGER ledger_transfers_no_truncate
    BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_journal_change();

-- Pending holds until they are posted, voided or expire (status 0 pending, 1 posted,
-- 2 voided, 3 expired).
CREATE TABLE ledger_pending_holds (
    id                uuid PRIMARY KEY,
    debit_account_id  uuid NOT NULL,
    credit_account_id uuid NOT NULL,
    amount            bigint NOT NULL,
    expires_at        bigint,
    status            smallint NOT NULL
);
CREATE INDEX ledger_pending_holds_lapse_idx ON ledger_pending_holds (expires_at)
    WHERE status = 0 AND expires_at IS NOT NULL;

-- Transfer ids that failed for a transient reason: a retry gets id_already_failed.
CREATE TABLE ledger_failed_transfers (
    id     uuid PRIMARY KEY,
    result integer NOT NULL
);

-- Balances after every change, for accounts with the history flag.
CREATE TABLE ledger_account_balances (
    account_id      uuid NOT NULL,
    "timestamp"     bigint NOT NULL,
    debits_pending  bigint NOT NULL,
    debits_posted   bigint NOT NULL,
    credits_pending bigint NOT NULL,
    credits_posted  bigint NOT NULL,
    PRIMARY KEY (account_id, "timestamp")
);

-- One row: the head of the hash chain and the ledger clock. Every batch locks it,
-- which orders batches and keeps the chain linear.
CREATE TABLE ledger_head (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq       bigint NOT NULL,
    last_hash      bytea NOT NULL,
    last_timestamp bigint NOT NULL
);
INSERT INTO ledger_head (singleton, last_seq, last_hash, last_timestamp)
VALUES (true, 0, decode(repeat('00', 32), 'hex'), 0);
