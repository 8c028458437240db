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
    (
        format!("{base}?options=-c%20search_path%3D{schema}"),
        schema,
    )
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
        let simulators = Simulators::new(SimulatorConfig::new(VNEID_KEY.as_bytes().to_vec()))
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            env.insert(k.to_string(), v.to_string());
        }
        // Demo mode only fills the provider sandbox credentials here: every secret the
        // tests rely on is set above.
        let config = Config::from_env(&env, true).unwrap();
        let state = gateway::app::build_state(config).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
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

/// A citizen for tests: a structurally valid number and matching birth date.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub cccd: String,
    pub name: String,
    pub birth_date: String,
    pub phone: String,
}

impl Citizen {
    /// A citizen born in Hà Nội in 1990 (male), made unique by `n`.
    pub fn hanoi(n: u32) -> Self {
        Self {
            cccd: format!("001090{:06}", n % 1_000_000),
            name: format!("Nguyễn Văn {n}"),
            birth_date: "1990-03-15".into(),
            phone: format!("09{:08}", n % 100_000_000),
        }
    }

    /// A citizen born in Hồ Chí Minh City in 2001 (female), made unique by `n`.
    pub fn saigon(n: u32) -> Self {
        Self {
            cccd: format!("079301{:06}", n % 1_000_000),
            name: format!("Trần Thị {n}"),
            birth_date: "2001-07-02".into(),
            phone: format!("08{:08}", n % 100_000_000),
        }
    }
}

/// A signed-in citizen.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub identity: Value,
}

impl TestGateway {
    /// An assertion from the VNeID simulator; `extra` adds or overrides fields.
    pub async fn assertion(&self, who: &Citizen, level: u8, auth: &str, extra: Value) -> String {
        let mut body = serde_json::json!({
            "cccd": who.cccd, "name": who.name, "birth_date": who.birth_date,
            "phone": who.phone, "level": level, "auth": auth,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let res = self
            .client
            .post(format!("{}/vneid/assertions", self.simulators_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["assertion"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs a citizen in at the given VNeID level.
    pub async fn sign_in(&self, who: &Citizen, level: u8) -> Session {
        let assertion = self.assertion(who, level, "password", Value::Null).await;
        let (status, body) = self
            .post_raw(
                "/v1/sessions",
                None,
                &[],
                &serde_json::json!({ "assertion": assertion }).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Session {
            token: body["access_token"].as_str().unwrap().to_string(),
            identity: body["identity"].clone(),
        }
    }

    /// Opens an account at the NAPAS simulator.
    pub async fn open_bank_account(&self, bin: &str, number: &str, holder: &Citizen, balance: i64) {
        let res = self
            .client
            .post(format!("{}/napas/accounts", self.simulators_url))
            .json(&serde_json::json!({
                "bank_bin": bin, "account_number": number,
                "holder_cccd": holder.cccd, "holder_name": holder.name, "balance": balance,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    /// The balance the NAPAS simulator holds for an account.
    pub async fn bank_balance(&self, bin: &str, number: &str) -> i64 {
        let res = self
            .client
            .get(format!(
                "{}/napas/accounts/{bin}/{number}",
                self.simulators_url
            ))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["balance"]
            .as_i64()
            .unwrap()
    }

    /// Sets the NAPAS simulator's fault mode.
    pub async fn bank_faults(&self, mode: &str, delay_ms: u64) {
        let res = self
            .client
            .post(format!("{}/napas/faults", self.simulators_url))
            .json(&serde_json::json!({ "mode": mode, "delay_ms": delay_ms }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    /// POST JSON as a citizen with an idempotency key.
    pub async fn post_as(
        &self,
        session: &Session,
        path: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        self.post_raw(
            path,
            Some(&session.token),
            &[("idempotency-key", key)],
            &body.to_string(),
        )
        .await
    }

    /// Links a bank account and returns the link id.
    pub async fn link_bank(&self, session: &Session, bin: &str, number: &str) -> String {
        let (status, body) = self
            .post_raw(
                "/v1/me/bank-links",
                Some(&session.token),
                &[],
                &serde_json::json!({ "bank_bin": bin, "account_number": number }).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// The citizen's wallet balance as `GET /v1/me` shows it.
    pub async fn wallet_balance(&self, session: &Session) -> i64 {
        let (status, me) = self.get("/v1/me", Some(&session.token)).await;
        assert_eq!(status, 200, "{me}");
        me["wallet"]["balance"].as_i64().unwrap()
    }

    /// A citizen with a linked bank account holding `bank_funds` and a wallet topped
    /// up with `wallet_funds` (level 2).
    pub async fn funded_citizen(
        &self,
        who: &Citizen,
        account: &str,
        bank_funds: i64,
        wallet_funds: i64,
    ) -> (Session, String) {
        self.open_bank_account("970436", account, who, bank_funds)
            .await;
        let session = self.sign_in(who, 2).await;
        let link = self.link_bank(&session, "970436", account).await;
        if wallet_funds > 0 {
            let (status, body) = self
                .post_as(
                    &session,
                    "/v1/me/topups",
                    &format!("fund-{account}"),
                    serde_json::json!({ "amount": wallet_funds, "source": { "bank_link_id": link } }),
                )
                .await;
            assert_eq!(
                (status, body["status"].as_str()),
                (201, Some("succeeded")),
                "{body}"
            );
        }
        (session, link)
    }
}
