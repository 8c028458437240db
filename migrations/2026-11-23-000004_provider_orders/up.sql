-- Top-up orders created with a wallet provider (VNPay, MoMo, ZaloPay), settled by the
-- provider's signed callback. The row is written with the payment (the provider
-- chosen); reference and redirect URL once the provider has created the order.
CREATE TABLE provider_orders (
    payment_id              text PRIMARY KEY REFERENCES payments (id),
    provider                text NOT NULL,
    provider_reference      text,
    redirect_url            text,
    amount                  bigint NOT NULL,
    created_at              timestamptz NOT NULL,
    -- Set once, by the first callback that settled the order.
    recorded_at             timestamptz,
    provider_transaction_id text,
    result_code             text,
    UNIQUE (provider, provider_reference)
);
