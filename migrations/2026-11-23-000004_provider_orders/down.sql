DROP TABLE provider_orders;
