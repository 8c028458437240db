-- Merchants, their payment requests, refunds, and the outbox of their webhooks.

CREATE TABLE merchants (
    id                        text PRIMARY KEY,
    name                      text NOT NULL,
    -- The full tax code; a household business's is the owner's CCCD number, which
    -- responses and logs only ever show masked.
    tax_code                  text NOT NULL,
    settlement_bank_bin       text NOT NULL,
    settlement_account_number text NOT NULL,
    webhook_url               text,
    ledger_account_id         text NOT NULL UNIQUE,
    -- SHA-256 of the API key: the key itself is shown once and never stored.
    api_key_hash              text NOT NULL UNIQUE,
    -- AES-256-GCM under a key from configuration: the signature and webhook checks
    -- need the secrets themselves, so they are sealed rather than hashed.
    signing_secret_sealed     text NOT NULL,
    webhook_secret_sealed     text NOT NULL,
    created_at                timestamptz NOT NULL
);

CREATE TABLE merchant_payment_requests (
    id                 text PRIMARY KEY,
    merchant_id        text NOT NULL REFERENCES merchants (id),
    amount             bigint NOT NULL CHECK (amount > 0),
    order_ref          text NOT NULL,
    description        text,
    capture            text NOT NULL CHECK (capture IN ('automatic', 'manual')),
    status             text NOT NULL,
    qr                 text NOT NULL,
    expires_at         timestamptz NOT NULL,
    -- The citizen payment moving money for it right now (a request is paid once:
    -- a second payer finds it taken); released if that payment fails.
    claimed_payment_id text REFERENCES payments (id),
    payment_id         text REFERENCES payments (id),
    captured_amount    bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
    refunded_amount    bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK (captured_amount <= amount),
    CHECK (refunded_amount <= captured_amount)
);
CREATE INDEX merchant_payment_requests_merchant_idx
    ON merchant_payment_requests (merchant_id, created_at DESC);
CREATE INDEX merchant_payment_requests_live_idx
    ON merchant_payment_requests (expires_at) WHERE status IN ('open', 'authorized');

-- Which request a citizen's merchant payment pays, keyed as the payment itself is
-- (the citizen and the idempotency key), so the link exists before the payment does.
CREATE TABLE merchant_payment_links (
    identity_id        text NOT NULL REFERENCES identities (id),
    idempotency_key    text NOT NULL,
    payment_request_id text NOT NULL REFERENCES merchant_payment_requests (id),
    PRIMARY KEY (identity_id, idempotency_key)
);

CREATE TABLE merchant_refunds (
    id                 text PRIMARY KEY,
    payment_request_id text NOT NULL REFERENCES merchant_payment_requests (id),
    merchant_id        text NOT NULL REFERENCES merchants (id),
    amount             bigint NOT NULL CHECK (amount > 0),
    -- `pending` reserves its amount against the captured total until the ledger
    -- answers; then `succeeded` or `failed`.
    status             text NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX merchant_refunds_request_idx ON merchant_refunds (payment_request_id, created_at);
CREATE INDEX merchant_refunds_pending_idx ON merchant_refunds (updated_at) WHERE status = 'pending';

-- Webhooks to deliver, written in the same transaction as the change they announce
-- and kept until a 2xx: at least once, in order of creation.
CREATE TABLE merchant_webhook_events (
    id              text PRIMARY KEY,
    merchant_id     text NOT NULL REFERENCES merchants (id),
    event_type      text NOT NULL,
    -- The exact body sent on every attempt.
    body            text NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX merchant_webhook_events_due_idx
    ON merchant_webhook_events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX merchant_webhook_events_merchant_idx
    ON merchant_webhook_events (merchant_id, created_at);
