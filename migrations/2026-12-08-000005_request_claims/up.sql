-- A payment request paid by a citizen on another home shard: the request's own shard
-- records which shard's payment claimed it (and when, until that payment is known to
-- have settled), and from then on the request lives on, with its payment, on that
-- shard. A claim whose payment failed is released and the request is open again.
ALTER TABLE merchant_payment_requests
    ADD COLUMN claimed_shard SMALLINT,
    ADD COLUMN claimed_at TIMESTAMPTZ;
CREATE INDEX merchant_payment_requests_claims ON merchant_payment_requests (claimed_at)
    WHERE claimed_at IS NOT NULL;
-- A payment on the payer's shard names a request that, until its claim stands, lives
-- on the merchant's shard only, and the claimed request names a payment on another
-- shard: references across databases, which no foreign key can enforce.
ALTER TABLE payments DROP CONSTRAINT payments_payment_request_id_fkey;
ALTER TABLE merchant_payment_requests DROP CONSTRAINT merchant_payment_requests_payment_id_fkey;
