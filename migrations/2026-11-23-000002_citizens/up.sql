-- Citizens, their bank links, payments and the idempotency records of their requests.

CREATE TABLE identities (
    id                text PRIMARY KEY,
    -- The full personal identification number: the key to the citizen. Responses and
    -- logs only ever show it masked.
    cccd              text NOT NULL UNIQUE,
    full_name         text NOT NULL,
    birth_date        date NOT NULL,
    phone             text NOT NULL,
    vneid_level       smallint NOT NULL CHECK (vneid_level IN (1, 2)),
    wallet_account_id text NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX identities_phone_idx ON identities (phone);

CREATE TABLE bank_links (
    id             text PRIMARY KEY,
    identity_id    text NOT NULL REFERENCES identities (id),
    bank_bin       text NOT NULL,
    account_number text NOT NULL,
    bank_name      text NOT NULL,
    created_at     timestamptz NOT NULL,
    UNIQUE (identity_id, bank_bin, account_number)
);

CREATE TABLE payments (
    id                text PRIMARY KEY,
    identity_id       text NOT NULL REFERENCES identities (id),
    idempotency_key   text NOT NULL,
    kind              text NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    fee               bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
    status            text NOT NULL,
    failure_code      text,
    -- Counts toward the monthly cap on wallet outflows (bills and insurance do not).
    capped            boolean NOT NULL,
    bank_link_id      text REFERENCES bank_links (id),
    payee_identity_id text REFERENCES identities (id),
    payee_bank_bin    text,
    payee_account     text,
    note              text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (identity_id, idempotency_key)
);
CREATE INDEX payments_identity_created_idx ON payments (identity_id, created_at DESC, id DESC);
CREATE INDEX payments_unsettled_idx ON payments (updated_at) WHERE status = 'pending';

CREATE TABLE payment_events (
    id         bigserial PRIMARY KEY,
    payment_id text NOT NULL REFERENCES payments (id),
    status     text NOT NULL,
    detail     text,
    at         timestamptz NOT NULL
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, id);

-- The durable half of idempotency: the request's hash and, once finished, its response.
-- (The other half, a lock while the first request runs, lives in Redis.)
CREATE TABLE idempotency_keys (
    principal       text NOT NULL,
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    response_status integer,
    response_body   text,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
