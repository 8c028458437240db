//! The ledger's tables as diesel sees them (see `migrations/`).

diesel::table! {
    ledger_accounts (id) {
        id -> Uuid,
        debits_pending -> BigInt,
        debits_posted -> BigInt,
        credits_pending -> BigInt,
        credits_posted -> BigInt,
        user_data_128 -> Uuid,
        user_data_64 -> BigInt,
        user_data_32 -> BigInt,
        ledger -> BigInt,
        code -> Integer,
        flags -> Integer,
        timestamp -> BigInt,
    }
}

diesel::table! {
    ledger_transfers (seq) {
        seq -> BigInt,
        id -> Uuid,
        debit_account_id -> Uuid,
        credit_account_id -> Uuid,
        amount -> BigInt,
        pending_id -> Uuid,
        user_data_128 -> Uuid,
        user_data_64 -> BigInt,
        user_data_32 -> BigInt,
        timeout -> BigInt,
        ledger -> BigInt,
        code -> Integer,
        flags -> Integer,
        timestamp -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    ledger_pending_holds (id) {
        id -> Uuid,
        debit_account_id -> Uuid,
        credit_account_id -> Uuid,
        amount -> BigInt,
        expires_at -> Nullable<BigInt>,
        status -> SmallInt,
    }
}

diesel::table! {
    ledger_failed_transfers (id) {
        id -> Uuid,
        result -> Integer,
    }
}

diesel::table! {
    ledger_account_balances (account_id, timestamp) {
        account_id -> Uuid,
        timestamp -> BigInt,
        debits_pending -> BigInt,
        debits_posted -> BigInt,
        credits_pending -> BigInt,
        credits_posted -> BigInt,
    }
}

diesel::table! {
    ledger_head (singleton) {
        singleton -> Bool,
        last_seq -> BigInt,
        last_hash -> Binary,
        last_timestamp -> BigInt,
    }
}

diesel::table! {
    ledger_checkpoints (number) {
        number -> BigInt,
        previous_root -> Binary,
        head_seqs -> Array<BigInt>,
        head_hashes -> Array<Binary>,
        root -> Binary,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    shard_map (vshard) {
        vshard -> SmallInt,
        shard -> SmallInt,
    }
}
