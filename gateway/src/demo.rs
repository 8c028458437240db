//! Demo mode: what an integrator needs to try the API at once.

use crate::config::Config;

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
