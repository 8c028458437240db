# Sourced by the end-to-end benchmarks: the gateway's and simulators' settings for a
# run on loopback, with secrets fresh for each run.
export GATEWAY_ADDR=127.0.0.1:18080 SIMULATOR_ADDR=127.0.0.1:18081
GATEWAY_ADMIN_TOKEN="adm_bench_$(openssl rand -hex 16)"
VNEID_JWT_KEY="bench-vneid-$(openssl rand -hex 16)"
export GATEWAY_ADMIN_TOKEN VNEID_JWT_KEY
export MERCHANT_SECRETS_KEY=bench-merchant-secrets
export GATEWAY_QR_BANK_BIN=970436 GATEWAY_QR_ACCOUNT=0011001234567
export VNPAY_TMN_CODE=BENCH001 VNPAY_HASH_SECRET=bench-vnpay
export MOMO_PARTNER_CODE=MOMO MOMO_ACCESS_KEY=bench MOMO_SECRET_KEY=bench-momo
export ZALOPAY_APP_ID=2553 ZALOPAY_KEY1=bench-zalo-1 ZALOPAY_KEY2=bench-zalo-2
export SESSION_TTL_SECONDS=7200 RUST_LOG=warn
