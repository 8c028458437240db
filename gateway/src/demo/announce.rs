//! What demo mode prints at start-up. Secrets are printed on purpose: demo mode made
//! them up for this run, and the person running it needs them.

use super::{DemoBill, Seeded, DEMO_CITIZENS};
use crate::config::Config;

fn bill_line(label: &str, bill: &DemoBill) -> String {
    let due = bill
        .amount_due
        .map_or_else(String::new, |amount| format!(", {amount} dong due"));
    format!(
        "  {label} {} at {} (period {}{due})",
        bill.customer_code, bill.biller_code, bill.period
    )
}

/// Prints the generated credentials, the demo data and where to start.
pub fn announce(config: &Config, seeded: &Seeded) {
    let (cccd, name, birth, phone, bin, account, _) = DEMO_CITIZENS[0];
    let (cccd2, ..) = DEMO_CITIZENS[1];
    let m = &seeded.merchant;
    println!("Demo mode: unset secrets were filled with demo values.");
    println!("  API:             http://{}/v1", config.addr);
    println!("  Swagger UI:      http://{}/docs", config.addr);
    println!(
        "  console:         http://{}/console (sign in with the admin token)",
        config.addr
    );
    println!("  admin token:     {}", config.admin_token.expose());
    println!("  VNeID JWT key:   {}", config.vneid_jwt_key.expose());
    println!("  simulators:      http://{}", config.simulator_addr);
    println!("  demo citizens:   {cccd} ({name}, bank {bin}/{account}), {cccd2}");
    println!(
        "  {name}'s wallet: topped up with {} dong from that bank account",
        super::DEMO_WALLET_TOPUP
    );
    println!("  unpaid bills of {name}:");
    println!("{}", bill_line("  electricity:", &seeded.electricity));
    println!("{}", bill_line("  water:      ", &seeded.water));
    println!(
        "  demo merchant:   {} (ledger account {})",
        m.id, m.ledger_account_id
    );
    println!(
        "    a payment request to pay in the browser: {}",
        seeded.checkout_url
    );
    println!("    api key:        {}", m.api_key);
    println!("    signing secret: {}", m.signing_secret);
    println!("    webhook secret: {}", m.webhook_secret);
    println!();
    println!("  # for the README's walk-through:");
    println!(
        "  ADMIN={}; MKEY={}; MSECRET={}; MACC={}",
        config.admin_token.expose(),
        m.api_key,
        m.signing_secret,
        m.ledger_account_id
    );
    println!("  # an assertion from the VNeID simulator, then a session:");
    println!(
        "  curl -s -X POST http://{}/vneid/assertions -H 'content-type: application/json' \\\n    -d '{{\"cccd\":\"{cccd}\",\"name\":\"{name}\",\"birth_date\":\"{birth}\",\"phone\":\"{phone}\",\"level\":2,\"auth\":\"password\"}}'",
        config.simulator_addr
    );
    println!(
        "  curl -s -X POST http://{}/v1/sessions -H 'content-type: application/json' -d '{{\"assertion\":\"<assertion>\"}}'",
        config.addr
    );
    println!(
        "  (README.md walks on: bank link, top-up, transfer, withdrawal, bills, insurance, merchants)"
    );
}
