DROP TABLE merchant_webhook_events;
DROP TABLE merchant_refunds;
DROP TABLE merchant_payment_links;
DROP TABLE merchant_payment_requests;
DROP TABLE merchants;
