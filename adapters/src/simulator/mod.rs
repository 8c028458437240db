//! Local simulators of the outside systems, served by one actix-web app on
//! `SIMULATOR_ADDR` under one prefix per system (api.md, "Simulators"). The gateway's
//! demo mode and the tests start them the same way, and talk to them over real HTTP.
//!
//! Each simulator is a module with its own state and a `configure` function mounting
//! its routes; [`Simulators::configure`] puts each under its prefix. Adding `/evn`,
//! `/water`, `/vss`, `/vnpay`, `/momo` or `/zalopay` means a new module, a field for
//! its state here and one `service` line in `configure`.
//!
//! Mounted: `/vneid` ([`vneid`]), `/napas` ([`napas`]), `/evn`, `/water`, `/vss`
//! ([`billers`]) and `/vnpay`, `/momo`, `/zalopay` ([`providers`]). Every system but
//! VNeID also serves its daily statement file under `/statements` (`statements`).

mod billers;
pub mod napas;
pub mod providers;
mod reply;
mod statements;
pub mod vneid;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use tokio::task::JoinHandle;

/// The default address, as api.md's `SIMULATOR_ADDR`.
pub const DEFAULT_SIMULATOR_ADDR: &str = "127.0.0.1:8081";

/// Worker threads of the simulator server: the load is a test suite's, not a bank's.
const WORKERS: usize = 2;

/// Seconds a stopping server waits for in-flight requests (a `timeout`-mode request
/// may be parked for much longer and is simply dropped).
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 1;

/// What the simulators need to know. Build with [`SimulatorConfig::new`] and set the
/// other fields afterwards, so adding a field for a new simulator breaks no caller.
#[derive(Clone)]
#[non_exhaustive]
pub struct SimulatorConfig {
    /// The HS256 key VNeID assertions are signed with (the gateway's `VNEID_JWT_KEY`).
    pub vneid_key: Vec<u8>,
    /// VNPay, MoMo and ZaloPay credentials and the gateway's callback base URL.
    pub providers: providers::ProviderSimConfig,
}

impl SimulatorConfig {
    /// A configuration with the VNeID signing key and defaults for everything else.
    pub fn new(vneid_key: impl Into<Vec<u8>>) -> Self {
        SimulatorConfig {
            vneid_key: vneid_key.into(),
            providers: providers::ProviderSimConfig::default(),
        }
    }
}

impl fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorConfig")
            .field("vneid_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// All simulators and their shared in-memory state. Cloning shares the state, so every
/// worker of a server (and every server) started from clones sees the same accounts.
#[derive(Clone, Debug)]
pub struct Simulators {
    vneid: web::Data<vneid::VneidState>,
    napas: web::Data<napas::NapasState>,
    billers: billers::BillerSimulators,
    providers: providers::ProviderSimulators,
}

impl Simulators {
    /// Fresh simulators: no accounts, no faults.
    pub fn new(config: SimulatorConfig) -> Self {
        Simulators {
            vneid: web::Data::new(vneid::VneidState::new(config.vneid_key)),
            napas: web::Data::new(napas::NapasState::default()),
            billers: billers::BillerSimulators::new(),
            providers: providers::ProviderSimulators::new(&config.providers),
        }
    }

    /// Mounts every simulator under its prefix, for an app of the caller's own.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let vneid_state = self.vneid.clone();
        let napas_state = self.napas.clone();
        cfg.service(web::scope("/vneid").configure(|c| vneid::configure(c, vneid_state)))
            .service(web::scope("/napas").configure(|c| napas::configure(c, napas_state)));
        // `/evn`, `/water` and `/vss`.
        self.billers.configure(cfg);
        // `/vnpay`, `/momo` and `/zalopay`.
        self.providers.configure(cfg);
    }

    /// Serves the simulators on `addr` (port 0 picks a free port) in a background task
    /// of the current Tokio runtime and reports the address actually bound.
    pub async fn start(self, addr: impl ToSocketAddrs) -> io::Result<RunningSimulators> {
        let server = HttpServer::new(move || {
            let simulators = self.clone();
            App::new().configure(move |cfg| simulators.configure(cfg))
        })
        .workers(WORKERS)
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECONDS)
        // The embedding process (gateway, test) owns the signals.
        .disable_signals()
        .bind(addr)?;
        let local_addr = server.addrs().first().copied().ok_or_else(|| {
            io::Error::new(io::ErrorKind::AddrNotAvailable, "bound to no address")
        })?;
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(RunningSimulators {
            local_addr,
            handle,
            task,
        })
    }
}

/// Simulators serving in the background.
#[derive(Debug)]
pub struct RunningSimulators {
    /// The address actually bound.
    pub local_addr: SocketAddr,
    /// Stops the server.
    pub handle: ServerHandle,
    task: JoinHandle<io::Result<()>>,
}

impl RunningSimulators {
    /// `http://{local_addr}`, the base of every simulator URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops accepting, lets in-flight requests finish briefly, and waits for the end.
    pub async fn stop(self) -> io::Result<()> {
        self.handle.stop(true).await;
        self.wait().await
    }

    /// Waits until the server stops (for a process that only serves simulators).
    pub async fn wait(self) -> io::Result<()> {
        self.task.await.map_err(io::Error::other)?
    }
}
