//! Demo mode: the simulators of every outside system, demo data in them, and a
//! printed walk-through, so an integrator can try the API at once.

use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};
use serde_json::json;

use crate::config::Config;

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

/// Puts the demo data into the simulators: the demo citizens' bank accounts.
pub async fn seed(config: &Config) -> Result<(), String> {
    let client = reqwest::Client::new();
    let base = format!("http://{}", config.simulator_addr);
    for (cccd, name, _, _, bin, account, balance) in DEMO_CITIZENS {
        let res = client
            .post(format!("{base}/napas/accounts"))
            .json(&json!({
                "bank_bin": bin, "account_number": account,
                "holder_cccd": cccd, "holder_name": name, "balance": balance,
            }))
            .send()
            .await
            .map_err(|e| format!("seeding the bank simulator: {e}"))?;
        // 409: already there from an earlier seed of the same simulators.
        if !(res.status().is_success() || res.status().as_u16() == 409) {
            return Err(format!(
                "seeding the bank simulator answered {}",
                res.status()
            ));
        }
    }
    Ok(())
}

/// Prints the generated credentials and where to start. Secrets are printed here on
/// purpose: demo mode made them up for this run, and the person running it needs them.
pub fn announce(config: &Config) {
    let (cccd, name, birth, phone, bin, account, _) = DEMO_CITIZENS[0];
    let (cccd2, ..) = DEMO_CITIZENS[1];
    println!("Demo mode: unset secrets were filled with demo values.");
    println!("  API:             http://{}/v1", config.addr);
    println!("  Swagger UI:      http://{}/docs", config.addr);
    println!("  admin token:     {}", config.admin_token.expose());
    println!("  VNeID JWT key:   {}", config.vneid_jwt_key.expose());
    println!("  simulators:      http://{}", config.simulator_addr);
    println!("  demo citizens:   {cccd} ({name}, bank {bin}/{account}), {cccd2}");
    println!();
    println!("  # an assertion from the VNeID simulator, then a session:");
    println!(
        "  curl -s -X POST http://{}/vneid/assertions -H 'content-type: application/json' \\\n    -d '{{\"cccd\":\"{cccd}\",\"name\":\"{name}\",\"birth_date\":\"{birth}\",\"phone\":\"{phone}\",\"level\":2,\"auth\":\"password\"}}'",
        config.simulator_addr
    );
    println!(
        "  curl -s -X POST http://{}/v1/sessions -H 'content-type: application/json' -d '{{\"assertion\":\"<assertion>\"}}'",
        config.addr
    );
    println!("  (README.md walks on: bank link, top-up, transfer, withdrawal)");
}
