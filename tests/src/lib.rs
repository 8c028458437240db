//! End-to-end test harness: starts the gateway and the simulators of every outside
//! system on free ports, against the real PostgreSQL (a schema of its own per test)
//! and the real Redis, and talks to them over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::TcpListener;

use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use gateway::app::RunningGateway;
use gateway::config::Config;
use serde_json::Value;

pub const ADMIN_TOKEN: &str = "adm_test_token_0123456789abcdef";
pub const VNEID_KEY: &str = "vneid-test-key-0123456789abcdef";

fn database_base_url() -> String {
    std::env::var("GATEWAY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/gateway_test".into())
}

/// A fresh schema in the shared test database; the URL selects it for every
/// connection of the pool.
fn fresh_schema() -> (String, String) {
    let base = database_base_url();
    let (server, name) = base.rsplit_once('/').unwrap();
    if PgConnection::establish(&base).is_err() {
        let mut admin = PgConnection::establish(&format!("{server}/postgres")).unwrap();
        let _ = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin);
    }
    let schema = format!("e2e_{:016x}", rand::random::<u64>());
    let mut conn = PgConnection::establish(&base).unwrap();
    diesel::sql_query(format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .unwrap();
    // Loopback needs no TLS; without it, no OpenSSL state is left for the process's
    // exit to tear down under a pool thread still holding a connection.
    (
        format!("{base}?sslmode=disable&options=-c%20search_path%3D{schema}"),
        schema,
    )
}

/// A schema of its own beyond the gateway's, e.g. a shard's ledger; dropped with it.
pub struct ExtraSchema {
    pub url: String,
    schema: String,
}

impl ExtraSchema {
    pub fn new() -> Self {
        let (url, schema) = fresh_schema();
        Self { url, schema }
    }
}

impl Default for ExtraSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ExtraSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&database_base_url()) {
            let _ = diesel::sql_query(format!("DROP SCHEMA {} CASCADE", self.schema))
                .execute(&mut conn);
        }
    }
}

/// A running gateway with its simulators.
pub struct TestGateway {
    pub base_url: String,
    pub simulators_url: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub gateway: RunningGateway,
    pub simulators: RunningSimulators,
    schema: String,
}

impl TestGateway {
    pub async fn start() -> Self {
        Self::start_with(HashMap::new()).await
    }

    /// Starts with extra environment variables (they win over the test defaults).
    pub async fn start_with(overrides: HashMap<&str, &str>) -> Self {
        Self::start_in_mode(overrides, true).await
    }

    /// Starts outside demo mode: every secret demo mode would fill is set here.
    pub async fn start_outside_demo() -> Self {
        let env = HashMap::from([
            ("GATEWAY_QR_BANK_BIN", "970436"),
            ("GATEWAY_QR_ACCOUNT", "0011001234567"),
            ("VNPAY_TMN_CODE", "DEMO0001"),
            ("VNPAY_HASH_SECRET", "test-vnpay-secret"),
            ("MOMO_PARTNER_CODE", "MOMO"),
            ("MOMO_ACCESS_KEY", "test-momo-access"),
            ("MOMO_SECRET_KEY", "test-momo-secret"),
            ("ZALOPAY_APP_ID", "2553"),
            ("ZALOPAY_KEY1", "test-zalopay-key1"),
            ("ZALOPAY_KEY2", "test-zalopay-key2"),
            ("MERCHANT_SECRETS_KEY", "test-merchant-secrets-key"),
        ]);
        Self::start_in_mode(env, false).await
    }

    async fn start_in_mode(overrides: HashMap<&str, &str>, demo: bool) -> Self {
        // The gateway's port first: the provider simulators call it back.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let gateway_addr = listener.local_addr().unwrap().to_string();
        let simulators = Simulators::new(
            SimulatorConfig::new(VNEID_KEY.as_bytes().to_vec())
                .with_gateway_base_url(format!("http://{gateway_addr}"))
                .with_callback_backoff(std::time::Duration::from_millis(100)),
        )
        .start("127.0.0.1:0")
        .await
        .unwrap();
        let (database_url, schema) = fresh_schema();
        let simulators_url = format!("http://{}", simulators.local_addr);
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", database_url.as_str()),
            ("GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN),
            ("VNEID_JWT_KEY", VNEID_KEY),
            ("DATABASE_POOL_SIZE", "4"),
            ("SIMULATOR_ADDR", &simulators.local_addr.to_string()),
            ("GATEWAY_ADDR", &gateway_addr),
            // Tests reconcile when they mean to, not at every start.
            ("RECONCILIATION_HOUR", "off"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        // Demo mode only fills the provider sandbox credentials here: every secret the
        // tests rely on is set above.
        let config = Config::from_env(&env, demo).unwrap();
        let state = gateway::app::build_state(config).await.unwrap();
        let gateway = gateway::app::start(state, listener).unwrap();
        Self {
            base_url: format!("http://{}", gateway.addr),
            simulators_url,
            database_url,
            client: reqwest::Client::new(),
            gateway,
            simulators,
            schema,
        }
    }

    /// The ledger the gateway writes to, for checks and set-up behind the API.
    pub fn ledger(&self) -> ledger::PgLedger {
        ledger::PgLedger::connect(&self.database_url, 2).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GET with an optional bearer token; returns status and JSON body (Null if none).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POST raw bytes with headers; returns status and JSON body (Null if none).
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        let handle = self.gateway.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
        if let Ok(mut conn) = PgConnection::establish(&database_base_url()) {
            let _ = diesel::sql_query(format!("DROP SCHEMA {} CASCADE", self.schema))
                .execute(&mut conn);
        }
    }
}

/// Asserts an error response's status and code.
pub fn assert_error(response: &(u16, Value), status: u16, code: &str) {
    assert_eq!(response.0, status, "body: {}", response.1);
    assert_eq!(response.1["error"]["code"], code, "body: {}", response.1);
    assert!(response.1["error"]["message"].is_string());
}

mod billers;
pub mod browser;
mod citizens;
pub mod console;
pub mod home_shards;
mod merchants;
mod providers;
pub mod reconciliation;

pub use billers::{balance_and_available, bill_id, inquire, pay_bill, quote, BILL_250_KWH};
pub use citizens::{Citizen, Session};
pub use merchants::*;
pub use providers::{control, start_topup, wait_for_status};
