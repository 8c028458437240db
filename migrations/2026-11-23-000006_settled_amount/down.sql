ALTER TABLE payments DROP COLUMN settled_amount;
