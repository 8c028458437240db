//! Runs the outside-system simulators, or issues a VNeID assertion from the command
//! line.
//!
//! - `simulators` (or `simulators serve`): serves every simulator on `SIMULATOR_ADDR`
//!   (default `127.0.0.1:8081`) and prints the address.
//! - `simulators issue-assertion --cccd 001099012345 --name "..." --birth-date
//!   1999-05-20 --phone 0912345678 --level 2 --auth biometric [--nonce pay_...]`: prints
//!   a signed assertion.
//!
//! Both read the signing key from `VNEID_JWT_KEY`, which is required. It is only ever
//! taken from the environment: a command-line flag would show in `ps`.

use adapters::simulator::vneid::{issue, AssertionRequest};
use adapters::simulator::{SimulatorConfig, Simulators, DEFAULT_SIMULATOR_ADDR};
use adapters::vneid::AuthMethod;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "simulators",
    about = "Local simulators of VNeID, NAPAS and the other outside systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every simulator (the default).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SIMULATOR_ADDR", default_value = DEFAULT_SIMULATOR_ADDR)]
        addr: String,
        /// Where the provider simulators call the gateway back.
        #[arg(long, env = "GATEWAY_PUBLIC_URL")]
        gateway_url: Option<String>,
    },
    /// Print a signed VNeID assertion.
    IssueAssertion(IssueArgs),
}

#[derive(Args)]
struct IssueArgs {
    /// The 12-digit CCCD number (the `sub`).
    #[arg(long)]
    cccd: String,
    /// Full name.
    #[arg(long, default_value = "Nguyễn Văn An")]
    name: String,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    birth_date: String,
    /// Phone number.
    #[arg(long, default_value = "0912345678")]
    phone: String,
    /// VNeID level, 1 or 2.
    #[arg(long, default_value_t = 2)]
    level: u8,
    /// How the citizen authenticated.
    #[arg(long, value_enum, default_value_t = AuthArg::Password)]
    auth: AuthArg,
    /// Relying-party nonce (a payment id for a step-up).
    #[arg(long)]
    nonce: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthArg {
    Password,
    Otp,
    Biometric,
}

impl From<AuthArg> for AuthMethod {
    fn from(arg: AuthArg) -> AuthMethod {
        match arg {
            AuthArg::Password => AuthMethod::Password,
            AuthArg::Otp => AuthMethod::Otp,
            AuthArg::Biometric => AuthMethod::Biometric,
        }
    }
}

fn vneid_key() -> Result<Vec<u8>, String> {
    match std::env::var("VNEID_JWT_KEY") {
        Ok(key) if !key.is_empty() => Ok(key.into_bytes()),
        _ => Err("VNEID_JWT_KEY must be set to the VNeID signing key".to_owned()),
    }
}

fn issue_assertion(args: IssueArgs, key: &[u8]) -> Result<(), String> {
    let request = AssertionRequest {
        cccd: args.cccd,
        name: args.name,
        birth_date: args.birth_date,
        phone: args.phone,
        level: args.level,
        auth: args.auth.into(),
        nonce: args.nonce,
        device_id: None,
        iss: None,
        aud: None,
        iat: None,
        exp: None,
        jti: None,
    };
    let issued = issue(request, key, chrono::Utc::now().timestamp()).map_err(|e| e.to_string())?;
    println!("{}", issued.assertion);
    Ok(())
}

async fn serve(addr: String, gateway_url: Option<String>, key: Vec<u8>) -> Result<(), String> {
    let mut config = SimulatorConfig::new(key);
    if let Some(url) = gateway_url {
        config = config.with_gateway_base_url(url);
    }
    let running = Simulators::new(config)
        .start(addr.as_str())
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("simulators listening on {}", running.base_url());
    running.wait().await.map_err(|e| e.to_string())
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match vneid_key() {
        Err(message) => Err(message),
        Ok(key) => match cli.command {
            Some(Command::IssueAssertion(args)) => issue_assertion(args, &key),
            Some(Command::Serve { addr, gateway_url }) => serve(addr, gateway_url, key).await,
            None => {
                let addr = std::env::var("SIMULATOR_ADDR")
                    .unwrap_or_else(|_| DEFAULT_SIMULATOR_ADDR.to_owned());
                serve(addr, std::env::var("GATEWAY_PUBLIC_URL").ok(), key).await
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("simulators: {message}");
            ExitCode::FAILURE
        }
    }
}
