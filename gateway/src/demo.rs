//! Demo mode: what an integrator needs to try the API at once.

use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};

use crate::config::Config;

/// Starts the simulators of every outside system on `SIMULATOR_ADDR`, sharing the
/// VNeID key with the gateway as the real identity provider would.
pub async fn start_simulators(config: &Config) -> Result<RunningSimulators, String> {
    let simulators = SimulatorConfig::new(config.vneid_jwt_key.expose().as_bytes().to_vec());
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

/// Prints the generated credentials and where to start. Secrets are printed here on
/// purpose: demo mode made them up for this run, and the person running it needs them.
pub fn announce(config: &Config) {
    println!("Demo mode: unset secrets were filled with demo values.");
    println!("  API:             http://{}/v1", config.addr);
    println!("  Swagger UI:      http://{}/docs", config.addr);
    println!("  admin token:     {}", config.admin_token.expose());
    println!("  VNeID JWT key:   {}", config.vneid_jwt_key.expose());
    println!("  simulators:      http://{}", config.simulator_addr);
    println!(
        "  try:             curl -H 'Authorization: Bearer {}' http://{}/v1/admin/ledger/trial-balance",
        config.admin_token.expose(),
        config.addr
    );
}
