-- One transaction per batch of payments: what a payment needs to be decided is kept
-- next to it (its history, its running totals), ids derive from the idempotency key,
-- and the markers and sessions that guard money live here rather than only in Redis.

-- A payment's status history travels with its row: one write per change, not two.
ALTER TABLE payments ADD COLUMN history jsonb NOT NULL DEFAULT '[]';
UPDATE payments p SET history = coalesce((
    SELECT jsonb_agg(jsonb_build_object('status', e.status, 'at', e.at, 'detail', e.detail) ORDER BY e.id)
    FROM payment_events e WHERE e.payment_id = p.id), '[]');
ALTER TABLE payments ALTER COLUMN history DROP DEFAULT;
DROP TABLE payment_events;

-- The gateway instance driving the payment through an outside system right now; a
-- payment whose driver is gone may be taken over (see gateway_instances).
ALTER TABLE payments ADD COLUMN driver uuid;

-- The merchant request a merchant payment pays (it was a table of its own).
ALTER TABLE payments ADD COLUMN payment_request_id text REFERENCES merchant_payment_requests (id);
UPDATE payments p SET payment_request_id = l.payment_request_id
    FROM merchant_payment_links l
    WHERE l.identity_id = p.identity_id AND l.idempotency_key = p.idempotency_key;
DROP TABLE merchant_payment_links;

-- Which monthly cap a payment counts toward (Circular 40/2024 art. 26 as amended by
-- Circular 41/2025): the general one, the essential payments' one, or none (top-ups).
ALTER TABLE payments ADD COLUMN cap text NOT NULL DEFAULT 'none'
    CHECK (cap IN ('general', 'essential', 'none'));
UPDATE payments SET cap = CASE
    WHEN capped THEN 'general'
    WHEN kind IN ('bill', 'insurance') THEN 'essential'
    ELSE 'none' END;
ALTER TABLE payments ALTER COLUMN cap DROP DEFAULT;
ALTER TABLE payments DROP COLUMN capped;

-- A payment's id derives from its idempotency key, which makes it unique per key.
ALTER TABLE payments DROP CONSTRAINT payments_identity_id_idempotency_key_key;

-- What a key created (a payment, a payment request, a refund), and which fingerprint
-- the hash is: 1 the body alone (before this migration), 2 method, path and body.
ALTER TABLE idempotency_keys ADD COLUMN resource_id text;
ALTER TABLE idempotency_keys ADD COLUMN fingerprint_version smallint NOT NULL DEFAULT 1;
ALTER TABLE idempotency_keys ALTER COLUMN fingerprint_version SET DEFAULT 2;
UPDATE idempotency_keys k SET resource_id = p.id
    FROM payments p
    WHERE k.principal = 'citizen:' || p.identity_id AND k.key = p.idempotency_key;
-- Kept in creation order and pruned by age: a block range index costs almost nothing.
DROP INDEX idempotency_keys_created_idx;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys USING brin (created_at);

-- What the rules read, kept current in the transaction that changes it: the
-- citizen's totals for the Vietnam day and month they were last counted in.
CREATE TABLE identity_usage (
    identity_id     text PRIMARY KEY REFERENCES identities (id),
    day             date NOT NULL,
    day_total       bigint NOT NULL CHECK (day_total >= 0),
    month           date NOT NULL,
    month_general   bigint NOT NULL CHECK (month_general >= 0),
    month_essential bigint NOT NULL CHECK (month_essential >= 0)
);
INSERT INTO identity_usage (identity_id, day, day_total, month, month_general, month_essential)
SELECT i.id,
       (now() AT TIME ZONE 'UTC' + interval '7 hours')::date,
       coalesce(sum(coalesce(p.settled_amount, p.amount)) FILTER (WHERE
           (p.created_at AT TIME ZONE 'UTC' + interval '7 hours')::date
           = (now() AT TIME ZONE 'UTC' + interval '7 hours')::date), 0),
       date_trunc('month', now() AT TIME ZONE 'UTC' + interval '7 hours')::date,
       coalesce(sum(coalesce(p.settled_amount, p.amount)) FILTER (WHERE p.cap = 'general'
           AND date_trunc('month', p.created_at AT TIME ZONE 'UTC' + interval '7 hours')
             = date_trunc('month', now() AT TIME ZONE 'UTC' + interval '7 hours')), 0),
       coalesce(sum(coalesce(p.settled_amount, p.amount)) FILTER (WHERE p.cap = 'essential'
           AND date_trunc('month', p.created_at AT TIME ZONE 'UTC' + interval '7 hours')
             = date_trunc('month', now() AT TIME ZONE 'UTC' + interval '7 hours')), 0)
FROM identities i
LEFT JOIN payments p ON p.identity_id = i.id
    AND p.status IN ('pending', 'authorized', 'succeeded', 'refunded', 'partially_refunded')
GROUP BY i.id;

-- Running gateway processes and when each last said it was alive. Work a dead one
-- held (a payment it was driving, a lease) can be taken over within seconds.
CREATE TABLE gateway_instances (
    id           uuid PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);

-- Single-use markers that guard money (VNeID assertion ids, merchant request nonces):
-- kept as long as what they mark could be presented, and through any Redis restart.
CREATE TABLE replay_markers (
    marker     text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX replay_markers_expiry_idx ON replay_markers (expires_at);

-- Citizens' sessions, so a Redis restart signs nobody out: Redis holds the hot copy.
CREATE TABLE citizen_sessions (
    token_hash  text PRIMARY KEY,
    identity_id text NOT NULL REFERENCES identities (id),
    claims      text NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX citizen_sessions_expiry_idx ON citizen_sessions (expires_at);

-- What a merchant sells, for the monthly caps: payments to public services, utilities,
-- telecoms, schools, hospitals, insurers and lenders are essential payments.
ALTER TABLE merchants ADD COLUMN category text NOT NULL DEFAULT 'general';

-- A request is now paid in the same transaction that checks it is open: nothing is
-- left claimed between two transactions.
DROP INDEX merchant_payment_requests_live_idx;
ALTER TABLE merchant_payment_requests DROP COLUMN claimed_payment_id;
CREATE INDEX merchant_payment_requests_live_idx
    ON merchant_payment_requests (expires_at) WHERE status IN ('open', 'authorized');

-- The webhook worker takes the oldest undelivered event of each merchant.
CREATE INDEX merchant_webhook_events_head_idx
    ON merchant_webhook_events (merchant_id, created_at, id) WHERE delivered_at IS NULL;

-- The group commit has loaded both citizens of a payment before it writes one; a
-- foreign key would look each up again and lock its row on every payment.
ALTER TABLE payments DROP CONSTRAINT payments_identity_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_payee_identity_id_fkey;

-- Where the hosted checkout page sends the payer once the request is final.
ALTER TABLE merchant_payment_requests ADD COLUMN return_url text;

-- How many times the provider was asked about an order whose callback is late; the
-- next question waits twice as long as the last.
ALTER TABLE provider_orders ADD COLUMN queries integer NOT NULL DEFAULT 0;

-- The devices a citizen has moved money from (Decision 2345/QĐ-NHNN: the first
-- transaction on a new device needs a biometric check).
CREATE TABLE citizen_devices (
    identity_id   text NOT NULL REFERENCES identities (id),
    device_id     text NOT NULL,
    first_used_at timestamptz NOT NULL,
    PRIMARY KEY (identity_id, device_id)
);
