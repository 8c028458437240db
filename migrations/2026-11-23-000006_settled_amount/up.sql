-- What a payment finally moved when that is less than its amount (a merchant's partial
-- capture): limits count this, not the amount first authorized.
ALTER TABLE payments ADD COLUMN settled_amount bigint CHECK (settled_amount >= 0);
