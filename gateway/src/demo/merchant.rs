//! The demo merchant, onboarded through the gateway's own `POST /v1/admin/merchants`
//! with the operator token, exactly as an operator would.

use serde_json::json;

use super::post;
use crate::config::Config;

/// The demo merchant and the credentials it was shown once.
#[derive(Debug, Clone)]
pub struct DemoMerchant {
    pub id: String,
    pub api_key: String,
    pub signing_secret: String,
    pub webhook_secret: String,
    pub ledger_account_id: String,
}

/// Onboards a new demo merchant (an enterprise, settled to a Vietcombank account).
pub async fn onboard(
    client: &reqwest::Client,
    config: &Config,
    gateway: &str,
) -> Result<DemoMerchant, String> {
    let body = json!({
        "name": "Cửa hàng Demo",
        "tax_code": "0101234567",
        "settlement": { "bank_bin": "970436", "account_number": "0011009999999" },
    });
    let (status, created) = post(
        client,
        &format!("{gateway}/v1/admin/merchants"),
        Some(config.admin_token.expose()),
        &body,
    )
    .await?;
    if status.as_u16() != 201 {
        return Err(format!(
            "onboarding the demo merchant answered {status}: {created}"
        ));
    }
    let field = |name: &str| {
        created[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("onboarding the demo merchant: no {name} in {created}"))
    };
    Ok(DemoMerchant {
        id: field("id")?,
        api_key: field("api_key")?,
        signing_secret: field("signing_secret")?,
        webhook_secret: field("webhook_secret")?,
        ledger_account_id: field("ledger_account_id")?,
    })
}

/// A payment request of the demo merchant, made with a signed `POST
/// /v1/merchant/payment-requests` as the merchant's server would: answers its hosted
/// checkout page, for the walk-through to open in a browser. It lives a day.
pub async fn sample_request(
    client: &reqwest::Client,
    merchant: &DemoMerchant,
    gateway: &str,
) -> Result<String, String> {
    const PATH: &str = "/v1/merchant/payment-requests";
    let order = format!(
        "DEMO-{}",
        hex::encode(rand::random::<[u8; 3]>()).to_uppercase()
    );
    let body = json!({
        "amount": 150_000, "order_ref": order, "description": "Phở bò tái",
        "capture": "automatic", "expires_in_seconds": 86_400,
    })
    .to_string();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let signature = crate::merchants::signature::sign(
        merchant.signing_secret.as_bytes(),
        "POST",
        PATH,
        &timestamp,
        &nonce,
        body.as_bytes(),
    );
    let response = client
        .post(format!("{gateway}{PATH}"))
        .bearer_auth(&merchant.api_key)
        .header("Idempotency-Key", order.as_str())
        .header("X-Timestamp", timestamp)
        .header("X-Nonce", nonce)
        .header("X-Signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("the demo payment request: {e}"))?;
    let status = response.status().as_u16();
    let created: serde_json::Value = response.json().await.unwrap_or_default();
    match (status, created["checkout_url"].as_str()) {
        (201, Some(url)) => Ok(url.to_string()),
        _ => Err(format!(
            "the demo payment request answered {status}: {created}"
        )),
    }
}
