//! The gateway's own tables as diesel sees them (see `migrations/`).

diesel::table! {
    identities (id) {
        id -> Text,
        cccd -> Text,
        full_name -> Text,
        birth_date -> Date,
        phone -> Text,
        vneid_level -> SmallInt,
        wallet_account_id -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    bank_links (id) {
        id -> Text,
        identity_id -> Text,
        bank_bin -> Text,
        account_number -> Text,
        bank_name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        identity_id -> Text,
        idempotency_key -> Text,
        kind -> Text,
        amount -> BigInt,
        fee -> BigInt,
        status -> Text,
        failure_code -> Nullable<Text>,
        capped -> Bool,
        bank_link_id -> Nullable<Text>,
        payee_identity_id -> Nullable<Text>,
        payee_bank_bin -> Nullable<Text>,
        payee_account -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    payment_events (id) {
        id -> BigInt,
        payment_id -> Text,
        status -> Text,
        detail -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (principal, key) {
        principal -> Text,
        key -> Text,
        request_hash -> Binary,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(bank_links -> identities (identity_id));
diesel::joinable!(payment_events -> payments (payment_id));
diesel::allow_tables_to_appear_in_same_query!(
    identities,
    bank_links,
    payments,
    payment_events,
    idempotency_keys
);
