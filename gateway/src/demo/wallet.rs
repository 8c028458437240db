//! The first demo citizen's wallet, funded at start-up through the gateway's own API
//! (a session from the VNeID simulator, a link to their bank account at the NAPAS
//! simulator, a top-up), so the hosted checkout's "Pay with my VNeID wallet" can be
//! clicked through at once.

use serde_json::{json, Value};

use super::DEMO_CITIZENS;
use crate::config::Config;

/// What start-up puts in the wallet: well under the step-up threshold.
pub const DEMO_WALLET_TOPUP: i64 = 2_000_000;

async fn call(
    request: reqwest::RequestBuilder,
    what: &str,
    expected: u16,
) -> Result<Value, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("funding the demo wallet ({what}): {e}"))?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status != expected {
        return Err(format!(
            "funding the demo wallet ({what}) answered {status}: {body}"
        ));
    }
    Ok(body)
}

/// Signs the first demo citizen in, links their bank account and tops the wallet up.
pub async fn fund(client: &reqwest::Client, config: &Config, gateway: &str) -> Result<(), String> {
    let (cccd, name, birth_date, phone, bin, account, _) = DEMO_CITIZENS[0];
    let assertion = call(
        client
            .post(format!("http://{}/vneid/assertions", config.simulator_addr))
            .json(&json!({
                "cccd": cccd, "name": name, "birth_date": birth_date, "phone": phone,
                "level": 2, "auth": "password",
            })),
        "VNeID assertion",
        201,
    )
    .await?;
    let session = call(
        client
            .post(format!("{gateway}/v1/sessions"))
            .json(&json!({ "assertion": assertion["assertion"] })),
        "session",
        201,
    )
    .await?;
    let token = session["access_token"]
        .as_str()
        .ok_or("funding the demo wallet: no access token")?;
    let link = call(
        client
            .post(format!("{gateway}/v1/me/bank-links"))
            .bearer_auth(token)
            .json(&json!({ "bank_bin": bin, "account_number": account })),
        "bank link",
        201,
    )
    .await?;
    call(
        client
            .post(format!("{gateway}/v1/me/topups"))
            .bearer_auth(token)
            .header(
                "Idempotency-Key",
                format!("demo-wallet-{}", hex::encode(rand::random::<[u8; 8]>())),
            )
            .json(&json!({
                "amount": DEMO_WALLET_TOPUP,
                "source": { "bank_link_id": link["id"] },
            })),
        "top-up",
        201,
    )
    .await?;
    Ok(())
}
