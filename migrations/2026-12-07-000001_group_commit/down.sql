DROP TABLE citizen_devices;
ALTER TABLE provider_orders DROP COLUMN queries;
ALTER TABLE merchant_payment_requests DROP COLUMN return_url;
ALTER TABLE payments ADD CONSTRAINT payments_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id);
ALTER TABLE payments ADD CONSTRAINT payments_payee_identity_id_fkey FOREIGN KEY (payee_identity_id) REFERENCES identities (id);
DROP INDEX merchant_webhook_events_head_idx;
ALTER TABLE merchant_payment_requests ADD COLUMN claimed_payment_id text REFERENCES payments (id);
ALTER TABLE merchants DROP COLUMN category;
DROP TABLE citizen_sessions;
DROP TABLE replay_markers;
DROP TABLE gateway_instances;
DROP TABLE identity_usage;
DROP INDEX idempotency_keys_created_idx;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys DROP COLUMN fingerprint_version;
ALTER TABLE idempotency_keys DROP COLUMN resource_id;
ALTER TABLE payments ADD CONSTRAINT payments_identity_id_idempotency_key_key UNIQUE (identity_id, idempotency_key);
ALTER TABLE payments ADD COLUMN capped boolean NOT NULL DEFAULT false;
UPDATE payments SET capped = (cap = 'general');
ALTER TABLE payments DROP COLUMN cap;
CREATE TABLE merchant_payment_links (
    identity_id        text NOT NULL REFERENCES identities (id),
    idempotency_key    text NOT NULL,
    payment_request_id text NOT NULL REFERENCES merchant_payment_requests (id),
    PRIMARY KEY (identity_id, idempotency_key)
);
INSERT INTO merchant_payment_links
    SELECT identity_id, idempotency_key, payment_request_id FROM payments WHERE payment_request_id IS NOT NULL;
ALTER TABLE payments DROP COLUMN payment_request_id;
ALTER TABLE payments DROP COLUMN driver;
CREATE TABLE payment_events (
    id         bigserial PRIMARY KEY,
    payment_id text NOT NULL REFERENCES payments (id),
    status     text NOT NULL,
    detail     text,
    at         timestamptz NOT NULL
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, id);
INSERT INTO payment_events (payment_id, status, detail, at)
    SELECT p.id, e->>'status', e->>'detail', (e->>'at')::timestamptz
    FROM payments p, jsonb_array_elements(p.history) WITH ORDINALITY AS h(e, n) ORDER BY p.id, n;
ALTER TABLE payments DROP COLUMN history;
