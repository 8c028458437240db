DROP TABLE idempotency_keys;
DROP TABLE payment_events;
DROP TABLE payments;
DROP TABLE bank_links;
DROP TABLE identities;
