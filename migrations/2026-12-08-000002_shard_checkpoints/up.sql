-- The sweeper of cross-shard legs asks each shard for the open holds debiting its
-- inbound clearing accounts; without this it would read every hold ever placed.
CREATE INDEX ledger_pending_holds_open_debits_idx
    ON ledger_pending_holds (debit_account_id) WHERE status = 0;

-- Cross-shard checkpoints: a Merkle root over every shard's chain head, chained to the
-- previous checkpoint's root, stored on every shard and in the catalog so that
-- rewriting one shard's history contradicts what the others hold.
CREATE TABLE ledger_checkpoints (
    number BIGINT PRIMARY KEY,
    previous_root BYTEA NOT NULL,
    head_seqs BIGINT[] NOT NULL,
    head_hashes BYTEA[] NOT NULL,
    root BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
