ALTER TABLE merchant_payment_requests ADD CONSTRAINT merchant_payment_requests_payment_id_fkey
    FOREIGN KEY (payment_id) REFERENCES payments (id);
ALTER TABLE payments ADD CONSTRAINT payments_payment_request_id_fkey
    FOREIGN KEY (payment_request_id) REFERENCES merchant_payment_requests (id);
DROP INDEX merchant_payment_requests_claims;
ALTER TABLE merchant_payment_requests DROP COLUMN claimed_shard, DROP COLUMN claimed_at;
