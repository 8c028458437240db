//! Demo mode: the simulators of every outside system, demo data in them and in the
//! gateway, and a printed walk-through, so an integrator can try the API at once.

mod announce;
mod bills;
mod merchant;
mod wallet;

use std::net::SocketAddr;

use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::config::Config;

pub use announce::announce;
pub use bills::{DemoBill, DEMO_ELECTRICITY_CODE, DEMO_WATER_CODE};
pub use merchant::DemoMerchant;
pub use wallet::DEMO_WALLET_TOPUP;

/// The demo citizens: (CCCD, name, birth date, phone, bank BIN, account, bank balance).
pub const DEMO_CITIZENS: [(&str, &str, &str, &str, &str, &str, i64); 2] = [
    (
        "001090000001",
        "Nguyễn Văn An",
        "1990-03-15",
        "0900000001",
        "970436",
        "0011000000001",
        200_000_000,
    ),
    (
        "079301000002",
        "Trần Thị Bình",
        "2001-07-02",
        "0800000002",
        "970415",
        "1011000000002",
        50_000_000,
    ),
];

/// What seeding made for this run, for [`announce`].
#[derive(Debug)]
pub struct Seeded {
    pub electricity: DemoBill,
    pub water: DemoBill,
    pub merchant: DemoMerchant,
    /// The hosted checkout page of a payment request of the demo merchant.
    pub checkout_url: String,
}

/// Starts the simulators of every outside system on `SIMULATOR_ADDR`, sharing the
/// VNeID key with the gateway as the real identity provider would.
pub async fn start_simulators(config: &Config) -> Result<RunningSimulators, String> {
    let funding = crate::funding::FundingProviders::from_config(config)?;
    let simulators = SimulatorConfig::new(config.vneid_jwt_key.expose().as_bytes().to_vec())
        .with_gateway_base_url(config.public_url.clone())
        .with_vnpay(funding.vnpay_credentials)
        .with_momo(funding.momo_credentials)
        .with_zalopay(funding.zalopay_credentials);
    Simulators::new(simulators)
        .start(config.simulator_addr.as_str())
        .await
        .map_err(|e| {
            format!(
                "cannot start the simulators on {}: {e}",
                config.simulator_addr
            )
        })
}

/// Puts the demo data in place: the demo citizens' bank accounts at the NAPAS
/// simulator, an unpaid electricity and water bill of the first citizen at the biller
/// simulators, a merchant onboarded and the first citizen's wallet funded, both through
/// the running gateway's own API.
///
/// The simulators are fresh each run and the gateway's database may not be, so every
/// step is safe to repeat: what the simulators already hold (409) is kept, and the
/// merchant is a new one each run (its API key is stored hashed, so an earlier run's
/// cannot be shown again).
pub async fn seed(config: &Config, gateway: SocketAddr) -> Result<Seeded, String> {
    let client = reqwest::Client::new();
    let simulators = format!("http://{}", config.simulator_addr);
    for (cccd, name, _, _, bin, account, balance) in DEMO_CITIZENS {
        let body = json!({
            "bank_bin": bin, "account_number": account,
            "holder_cccd": cccd, "holder_name": name, "balance": balance,
        });
        post(
            &client,
            &format!("{simulators}/napas/accounts"),
            None,
            &body,
        )
        .await
        .and_then(|answer| created_or_exists(answer, "the bank simulator"))?;
    }
    let (electricity, water) = bills::seed(&client, &simulators).await?;
    let merchant = merchant::onboard(&client, config, &format!("http://{gateway}")).await?;
    wallet::fund(&client, config, &format!("http://{gateway}")).await?;
    let checkout_url =
        merchant::sample_request(&client, &merchant, &format!("http://{gateway}")).await?;
    Ok(Seeded {
        electricity,
        water,
        merchant,
        checkout_url,
    })
}

/// POSTs JSON (as the operator when `bearer` is given); answers the status and body.
async fn post(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Result<(StatusCode, Value), String> {
    let mut request = client.post(url).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("seeding demo data ({url}): {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("seeding demo data ({url}): {e}"))?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// 201, or 409 for what an earlier seed of the same simulators already made: the
/// body of a 201, `None` for a 409.
fn created_or_exists(
    (status, body): (StatusCode, Value),
    what: &str,
) -> Result<Option<Value>, String> {
    match status.as_u16() {
        200 | 201 => Ok(Some(body)),
        409 => Ok(None),
        _ => Err(format!("seeding {what} answered {status}: {body}")),
    }
}
