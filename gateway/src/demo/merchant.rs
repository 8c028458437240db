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
