//! `gateway [--demo]` serves the API; `gateway openapi` prints the OpenAPI document.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gateway::config::Config;

#[derive(Parser)]
#[command(
    name = "gateway",
    about = "Vietnam ID-linked payment and e-wallet gateway"
)]
struct Cli {
    /// Fill unset secrets with demo values, start the simulators of every outside
    /// system and seed demo data.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the OpenAPI document (what openapi/openapi.json must hold).
    Openapi,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        return match gateway::openapi::document_json() {
            Ok(doc) => {
                print!("{doc}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot render the OpenAPI document: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(cli.demo).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gateway: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(demo: bool) -> Result<(), String> {
    let config = Config::from_process_env(demo).map_err(|e| e.to_string())?;
    let addr = config.addr.clone();
    let demo_config = demo.then(|| config.clone());
    let _simulators = if demo {
        Some(gateway::demo::start_simulators(&config).await?)
    } else {
        None
    };
    let state = gateway::app::build_state(config)
        .await
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let running = gateway::app::start(state, listener).map_err(|e| e.to_string())?;
    if let Some(config) = demo_config {
        let seeded = gateway::demo::seed(&config, running.addr).await?;
        gateway::demo::announce(&config, &seeded);
    }
    tracing::info!(addr = %running.addr, "gateway listening; docs at /docs");
    let handle = running.handle.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            handle.stop(true).await;
        }
    });
    running
        .server
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
