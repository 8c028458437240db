//! The harness shared by the integration tests: simulators on a free port, an
//! HttpBankAdapter pointed at them, and helpers for the control API.

// Test code outside `#[test]` functions, which clippy's allow-in-tests settings do not
// cover; and each test crate uses only part of the harness.
#![allow(clippy::expect_used, dead_code)]

use adapters::bank::HttpBankAdapter;
use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};
use serde_json::{json, Value};
use std::time::Duration;

pub const KEY: &[u8] = b"integration-test-vneid-key";
pub const BIN: &str = "970436";
pub const ACCOUNT: &str = "0011001234567";
pub const HOLDER: &str = "001099012345";
pub const TIMEOUT: Duration = Duration::from_millis(700);

pub struct Harness {
    pub running: RunningSimulators,
    pub http: reqwest::Client,
    pub bank: HttpBankAdapter,
}

impl Harness {
    pub async fn start() -> Harness {
        let running = Simulators::new(SimulatorConfig::new(KEY))
            .start("127.0.0.1:0")
            .await
            .expect("simulators start");
        assert_ne!(running.local_addr.port(), 0, "the real port is reported");
        let bank = HttpBankAdapter::new(format!("{}/napas/", running.base_url()), TIMEOUT)
            .expect("client builds");
        Harness {
            running,
            http: reqwest::Client::new(),
            bank,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn open(&self, number: &str, balance: i64) {
        let (status, body) = self
            .post(
                "/napas/accounts",
                json!({"bank_bin": BIN, "account_number": number, "holder_cccd": HOLDER,
                       "holder_name": "NGUYEN VAN AN", "balance": balance}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    pub async fn balance(&self, number: &str) -> i64 {
        let url = self.url(&format!("/napas/accounts/{BIN}/{number}"));
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        body["balance"].as_i64().expect("balance")
    }

    pub async fn faults(&self, body: Value) {
        let (status, _) = self.post("/napas/faults", body).await;
        assert_eq!(status, 200);
    }
}
