-- Bills looked up at billers, insurance quotes, and what ties a bill or insurance
-- payment to the bill or quote it pays.

-- A bill as the biller answered an inquiry. A payment takes its amount from here,
-- never from the client.
CREATE TABLE bill_inquiries (
    id            text PRIMARY KEY,
    identity_id   text NOT NULL REFERENCES identities (id),
    biller_code   text NOT NULL,
    -- The biller's own id of the bill, what the biller is paid against.
    bill_ref      text NOT NULL,
    customer_code text NOT NULL,
    customer_name text NOT NULL,
    period        text NOT NULL,
    amount_due    bigint NOT NULL CHECK (amount_due > 0),
    status        text NOT NULL CHECK (status IN ('unpaid', 'paid')),
    -- The biller's priced tariff lines, as JSON.
    details       text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX bill_inquiries_identity_idx ON bill_inquiries (identity_id, created_at DESC);

-- A priced insurance contribution for the citizen (the insured person), payable until
-- it expires.
CREATE TABLE insurance_quotes (
    id              text PRIMARY KEY,
    identity_id     text NOT NULL REFERENCES identities (id),
    scheme          text NOT NULL CHECK (scheme IN ('bhxh_voluntary', 'bhyt_household')),
    biller_code     text NOT NULL,
    monthly_income  bigint,
    support_group   text,
    member_position integer,
    months          integer NOT NULL CHECK (months IN (1, 3, 6, 12)),
    monthly         bigint NOT NULL CHECK (monthly > 0),
    amount          bigint NOT NULL CHECK (amount > 0),
    base_salary     bigint NOT NULL,
    -- The quote's lines, as JSON.
    breakdown       text NOT NULL,
    quote_date      date NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    CHECK ((scheme = 'bhxh_voluntary') = (monthly_income IS NOT NULL AND support_group IS NOT NULL)),
    CHECK ((scheme = 'bhyt_household') = (member_position IS NOT NULL))
);

-- What a bill or insurance payment pays. Keyed like the payment itself (the citizen and
-- the request's idempotency key), so it is written before the payment exists and the
-- payment's steps find it.
CREATE TABLE biller_payments (
    identity_id           text NOT NULL REFERENCES identities (id),
    idempotency_key       text NOT NULL,
    kind                  text NOT NULL CHECK (kind IN ('bill', 'insurance')),
    bill_id               text REFERENCES bill_inquiries (id),
    quote_id              text REFERENCES insurance_quotes (id),
    biller_code           text NOT NULL,
    -- What may be paid at most once: the biller's bill (whoever inquired it) or a quote.
    claim_key             text NOT NULL,
    payment_id            text REFERENCES payments (id),
    -- Set while the payment's money is held or moved for the claim; cleared when it fails.
    claimed               boolean NOT NULL DEFAULT false,
    biller_transaction_id text,
    confirmed_at          timestamptz,
    created_at            timestamptz NOT NULL,
    PRIMARY KEY (identity_id, idempotency_key),
    CHECK ((kind = 'bill') = (bill_id IS NOT NULL AND quote_id IS NULL)),
    CHECK ((kind = 'insurance') = (quote_id IS NOT NULL AND bill_id IS NULL)),
    CHECK (NOT claimed OR payment_id IS NOT NULL)
);
-- The database's own guarantee that two racing payments cannot both pay one bill.
CREATE UNIQUE INDEX biller_payments_one_claim_idx ON biller_payments (claim_key) WHERE claimed;
CREATE UNIQUE INDEX biller_payments_payment_idx ON biller_payments (payment_id);
