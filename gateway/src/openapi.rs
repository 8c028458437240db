//! The OpenAPI document, generated from the real handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The operator's admin token (GATEWAY_ADMIN_TOKEN)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "citizen",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A citizen's access token from POST /v1/sessions"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "merchant",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A merchant's API key. Every POST also carries X-Timestamp (Unix \
seconds, within 300 s), X-Nonce (never reused) and X-Signature: lowercase hex \
HMAC-SHA256(signing secret, METHOD \\n path_with_query \\n timestamp \\n nonce \\n \
hex(SHA-256(body)))",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vietnam ID-linked payment gateway",
        version = "1.0.0",
        description = "Payments and e-wallets keyed by the 12-digit CCCD personal identification \
number and VNeID, on a double-entry ledger. Amounts are integers in dong. Errors are \
`{\"error\": {\"code\", \"message\", \"details\"}}` with a stable snake_case code."
    ),
    paths(
        routes::health::health,
        routes::health::ready,
        routes::health::metrics,
        routes::ledger::get_account,
        routes::ledger::list_entries,
        routes::ledger::trial_balance,
        routes::ledger::verify,
        routes::shards::trial_balance,
        routes::shards::verify,
        routes::shards::clearing,
        routes::sessions::create_session,
        routes::sessions::end_session,
        routes::me::get_me,
        routes::me::create_bank_link,
        routes::me::create_topup,
        routes::me::create_withdrawal,
        routes::me::list_payments,
        routes::payments::create_payment,
        routes::payments::confirm_payment,
        routes::payments::get_payment,
        routes::admin_payments::list_all_payments,
        routes::bills::list_billers,
        routes::bills::inquire_bill,
        routes::insurance::create_quote,
        routes::callbacks::vnpay_ipn,
        routes::callbacks::momo_ipn,
        routes::callbacks::zalopay_callback,
        routes::merchants::create_merchant,
        routes::merchant_requests::create_request,
        routes::merchant_requests::get_request,
        routes::merchant_requests::capture_request,
        routes::merchant_requests::void_request,
        routes::merchant_requests::create_refund,
        routes::revenue::merchant_revenue,
        routes::revenue::admin_revenue,
        routes::reconciliation::create_run,
        routes::reconciliation::list_runs,
        routes::reconciliation::get_run,
        routes::reconciliation::list_discrepancies,
        routes::reconciliation::resolve_discrepancy,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorObject,
        crate::bills::receipts::Receipt,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "ledger", description = "Accounts, entries and the journal's integrity"),
        (name = "shards", description = "The sharded ledger, on a gateway started with SHARD_URLS and CATALOG_URL: the trial balance per shard and in total, every chain with the cross-shard checkpoints, and the clearing report between every pair of shards"),
        (name = "citizens", description = "VNeID sessions, the wallet, bank links, top-ups and withdrawals"),
        (name = "payments", description = "Transfers and other payments, step-up confirmation"),
        (name = "bills", description = "Billers, bill inquiries and insurance quotes; pay them with POST /v1/payments"),
        (name = "callbacks", description = "Wallet providers' signed callbacks, answered in each provider's own format"),
        (name = "reconciliation", description = "Daily reconciliation with NAPAS 247, VNPay, MoMo, ZaloPay, EVN, the water companies and VSS: runs, their differences (missing_at_us, missing_at_them, amount_mismatch, status_mismatch, duplicate) and resolutions through the ledger with an audit record. A run of the previous day is made for every system each day at RECONCILIATION_HOUR (Vietnam time)"),
        (name = "merchants", description = "Merchant onboarding, payment requests with dynamic VietQR, capture, void, refunds. Webhooks: POST to the merchant's webhook_url with body {\"id\": \"evt_...\", \"type\", \"created_at\", \"data\"} and header X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA512(webhook secret, t + \".\" + body)>, retried with exponential backoff until a 2xx"),
    )
)]
pub struct ApiDoc;

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|mut s| {
        s.push('\n');
        s
    })
}
