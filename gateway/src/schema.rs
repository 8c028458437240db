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
        bank_link_id -> Nullable<Text>,
        payee_identity_id -> Nullable<Text>,
        payee_bank_bin -> Nullable<Text>,
        payee_account -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        settled_amount -> Nullable<BigInt>,
        history -> Jsonb,
        driver -> Nullable<Uuid>,
        payment_request_id -> Nullable<Text>,
        cap -> Text,
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
        resource_id -> Nullable<Text>,
        fingerprint_version -> SmallInt,
    }
}

diesel::table! {
    identity_usage (identity_id) {
        identity_id -> Text,
        day -> Date,
        day_total -> BigInt,
        month -> Date,
        month_general -> BigInt,
        month_essential -> BigInt,
    }
}

diesel::table! {
    gateway_instances (id) {
        id -> Uuid,
        started_at -> Timestamptz,
        heartbeat_at -> Timestamptz,
    }
}

diesel::table! {
    citizen_devices (identity_id, device_id) {
        identity_id -> Text,
        device_id -> Text,
        first_used_at -> Timestamptz,
    }
}

diesel::table! {
    replay_markers (marker) {
        marker -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    citizen_sessions (token_hash) {
        token_hash -> Text,
        identity_id -> Text,
        claims -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(bank_links -> identities (identity_id));
diesel::allow_tables_to_appear_in_same_query!(
    identities,
    bank_links,
    payments,
    idempotency_keys,
    identity_usage
);

diesel::table! {
    provider_orders (payment_id) {
        payment_id -> Text,
        provider -> Text,
        provider_reference -> Nullable<Text>,
        redirect_url -> Nullable<Text>,
        amount -> BigInt,
        created_at -> Timestamptz,
        recorded_at -> Nullable<Timestamptz>,
        provider_transaction_id -> Nullable<Text>,
        result_code -> Nullable<Text>,
        queries -> Integer,
    }
}

diesel::table! {
    bill_inquiries (id) {
        id -> Text,
        identity_id -> Text,
        biller_code -> Text,
        bill_ref -> Text,
        customer_code -> Text,
        customer_name -> Text,
        period -> Text,
        amount_due -> BigInt,
        status -> Text,
        details -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    insurance_quotes (id) {
        id -> Text,
        identity_id -> Text,
        scheme -> Text,
        biller_code -> Text,
        monthly_income -> Nullable<BigInt>,
        support_group -> Nullable<Text>,
        member_position -> Nullable<Integer>,
        months -> Integer,
        monthly -> BigInt,
        amount -> BigInt,
        base_salary -> BigInt,
        breakdown -> Text,
        quote_date -> Date,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    biller_payments (identity_id, idempotency_key) {
        identity_id -> Text,
        idempotency_key -> Text,
        kind -> Text,
        bill_id -> Nullable<Text>,
        quote_id -> Nullable<Text>,
        biller_code -> Text,
        claim_key -> Text,
        payment_id -> Nullable<Text>,
        claimed -> Bool,
        biller_transaction_id -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    merchants (id) {
        id -> Text,
        name -> Text,
        tax_code -> Text,
        settlement_bank_bin -> Text,
        settlement_account_number -> Text,
        webhook_url -> Nullable<Text>,
        ledger_account_id -> Text,
        api_key_hash -> Text,
        signing_secret_sealed -> Text,
        webhook_secret_sealed -> Text,
        created_at -> Timestamptz,
        category -> Text,
    }
}

diesel::table! {
    merchant_payment_requests (id) {
        id -> Text,
        merchant_id -> Text,
        amount -> BigInt,
        order_ref -> Text,
        description -> Nullable<Text>,
        capture -> Text,
        status -> Text,
        qr -> Text,
        expires_at -> Timestamptz,
        payment_id -> Nullable<Text>,
        captured_amount -> BigInt,
        refunded_amount -> BigInt,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        return_url -> Nullable<Text>,
        claimed_shard -> Nullable<SmallInt>,
        claimed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    merchant_refunds (id) {
        id -> Text,
        payment_request_id -> Text,
        merchant_id -> Text,
        amount -> BigInt,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    merchant_webhook_events (id) {
        id -> Text,
        merchant_id -> Text,
        event_type -> Text,
        body -> Text,
        created_at -> Timestamptz,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    merchants,
    payments,
    merchant_payment_requests,
    merchant_refunds,
    merchant_webhook_events
);

diesel::table! {
    console_sessions (token_hash) {
        token_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    console_audit (id) {
        id -> BigInt,
        at -> Timestamptz,
        action -> Text,
        subject -> Nullable<Text>,
        detail -> Nullable<Text>,
        session -> Nullable<Text>,
    }
}

diesel::table! {
    reconciliation_runs (id) {
        id -> Text,
        source -> Text,
        business_date -> Date,
        origin -> Text,
        file_name -> Nullable<Text>,
        file_sha256 -> Text,
        lines -> Integer,
        matched -> Integer,
        discrepancies -> Integer,
        their_total -> BigInt,
        our_total -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reconciliation_discrepancies (id) {
        id -> Text,
        run_id -> Text,
        kind -> Text,
        reference -> Text,
        payment_id -> Nullable<Text>,
        their_line -> Nullable<Integer>,
        their_transaction_id -> Nullable<Text>,
        their_amount -> Nullable<BigInt>,
        their_status -> Nullable<Text>,
        our_amount -> Nullable<BigInt>,
        our_status -> Nullable<Text>,
        actions -> Array<Text>,
        resolved_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reconciliation_resolutions (discrepancy_id) {
        discrepancy_id -> Text,
        action -> Text,
        reason -> Text,
        operator -> Text,
        transfer_id -> Nullable<Text>,
        amount -> Nullable<BigInt>,
        payment_status -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// In the catalog, when citizens live on home shards.
    phone_directory (identity_id) {
        identity_id -> Text,
        phone -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    reconciliation_runs,
    reconciliation_discrepancies,
    reconciliation_resolutions
);
