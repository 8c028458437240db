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

/// Bills and insurance: the biller simulators' control API and the biller collection
/// accounts.
impl TestGateway {
    /// POST JSON to the simulators; returns status and JSON body.
    pub async fn simulator_post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.simulators_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// GET from the simulators; returns status and JSON body.
    pub async fn simulator_get(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.simulators_url))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// Issues an electricity bill at the EVN simulator and returns it.
    pub async fn evn_bill(&self, customer_code: &str, name: &str, period: &str, kwh: u32) -> Value {
        let (status, bill) = self
            .simulator_post(
                "/evn/bills",
                serde_json::json!({
                    "customer_code": customer_code, "customer_name": name,
                    "period": period, "kwh": kwh,
                }),
            )
            .await;
        assert_eq!(status, 201, "{bill}");
        bill
    }

    /// Sets a biller simulator's fault mode (`system`: `evn`, `water` or `vss`).
    pub async fn biller_faults(&self, system: &str, mode: &str, delay_ms: u64) {
        let (status, body) = self
            .simulator_post(
                &format!("/{system}/faults"),
                serde_json::json!({ "mode": mode, "delay_ms": delay_ms }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The public id of a biller's collection account.
    pub fn biller_collection_account(code: &str) -> String {
        let name = gateway::system_accounts::biller_collection(code);
        gateway::ids::encode(
            gateway::ids::ACCOUNT,
            gateway::system_accounts::system_account_id(&name),
        )
    }

    /// A biller's collection account as the operator reads it.
    pub async fn biller_collection(&self, code: &str) -> Value {
        let id = Self::biller_collection_account(code);
        let (status, account) = self
            .get(&format!("/v1/accounts/{id}"), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(status, 200, "{account}");
        account
    }

    /// Polls a payment until it leaves `pending` (or `timeout_secs` pass) and returns it.
    pub async fn settled_payment(&self, session: &Session, id: &str, timeout_secs: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_secs);
        loop {
            let (status, payment) = self
                .get(&format!("/v1/payments/{id}"), Some(&session.token))
                .await;
            assert_eq!(status, 200, "{payment}");
            if payment["status"] != "pending" || std::time::Instant::now() > deadline {
                return payment;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// A merchant onboarded through the API, with the credentials it was shown once.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: String,
    pub api_key: String,
    pub signing_secret: String,
    pub webhook_secret: String,
    pub ledger_account_id: String,
}

impl TestGateway {
    /// `POST /v1/admin/merchants` as the operator.
    pub async fn create_merchant(&self, body: Value) -> (u16, Value) {
        self.post_raw(
            "/v1/admin/merchants",
            Some(ADMIN_TOKEN),
            &[],
            &body.to_string(),
        )
        .await
    }

    /// Onboards an enterprise merchant, optionally with a webhook URL.
    pub async fn onboard_merchant(&self, webhook_url: Option<&str>) -> Merchant {
        let (status, body) = self
            .create_merchant(serde_json::json!({
                "name": "Cửa hàng Thử nghiệm",
                "tax_code": format!("0{:09}", rand::random::<u32>() % 1_000_000_000),
                "settlement": { "bank_bin": "970436", "account_number": "0011009999999" },
                "webhook_url": webhook_url,
            }))
            .await;
        assert_eq!(status, 201, "{body}");
        let text = |k: &str| body[k].as_str().unwrap().to_string();
        Merchant {
            id: text("id"),
            api_key: text("api_key"),
            signing_secret: text("signing_secret"),
            webhook_secret: text("webhook_secret"),
            ledger_account_id: text("ledger_account_id"),
        }
    }

    /// A merchant POST with explicit `X-Timestamp`, `X-Nonce` and `X-Signature` (for
    /// tests of refusals).
    pub async fn merchant_post_with(
        &self,
        merchant: &Merchant,
        path: &str,
        key: &str,
        body: &str,
        [timestamp, nonce, signature]: [&str; 3],
    ) -> (u16, Value) {
        self.post_raw(
            path,
            Some(&merchant.api_key),
            &[
                ("idempotency-key", key),
                ("x-timestamp", timestamp),
                ("x-nonce", nonce),
                ("x-signature", signature),
            ],
            body,
        )
        .await
    }

    /// A correctly signed merchant POST with a fresh nonce.
    pub async fn merchant_post(
        &self,
        merchant: &Merchant,
        path: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        let body = body.to_string();
        let timestamp = now_unix().to_string();
        let nonce = format!("n-{:016x}", rand::random::<u64>());
        let signature = sign_merchant_request(merchant, "POST", path, &timestamp, &nonce, &body);
        self.merchant_post_with(merchant, path, key, &body, [&timestamp, &nonce, &signature])
            .await
    }

    /// A merchant GET (GETs are not signed).
    pub async fn merchant_get(&self, merchant: &Merchant, path: &str) -> (u16, Value) {
        self.get(path, Some(&merchant.api_key)).await
    }
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The `X-Signature` of a merchant request, as api.md defines it.
pub fn sign_merchant_request(
    merchant: &Merchant,
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &str,
) -> String {
    gateway::merchants::signature::sign(
        merchant.signing_secret.as_bytes(),
        method,
        path,
        timestamp,
        nonce,
        body.as_bytes(),
    )
}

/// One webhook delivery as the merchant's endpoint received it.
#[derive(Debug, Clone)]
pub struct ReceivedWebhook {
    pub signature: String,
    pub body: String,
    pub json: Value,
}

impl ReceivedWebhook {
    /// Whether `X-Webhook-Signature` is `t=..,v1=<HMAC-SHA512(secret, t + "." + body)>`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let mut t = None;
        let mut v1 = None;
        for part in self.signature.split(',') {
            match part.split_once('=') {
                Some(("t", value)) => t = Some(value),
                Some(("v1", value)) => v1 = Some(value),
                _ => {}
            }
        }
        let (Some(t), Some(v1)) = (t, v1) else {
            return false;
        };
        let fresh = t.parse::<i64>().is_ok_and(|t| (now_unix() - t).abs() < 600);
        fresh
            && adapters::providers::mac::verify_hmac_sha512_hex(
                secret.as_bytes(),
                format!("{t}.{}", self.body).as_bytes(),
                v1,
            )
    }
}

/// A merchant's webhook endpoint: a minimal HTTP/1.1 server on 127.0.0.1 that answers
/// 500 to its first `fail_first` requests and 200 after, recording what it acknowledged.
pub struct WebhookReceiver {
    pub url: String,
    pub attempts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    received: std::sync::Arc<std::sync::Mutex<Vec<ReceivedWebhook>>>,
}

impl WebhookReceiver {
    pub async fn start(fail_first: usize) -> Self {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, store) = (attempts.clone(), received.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (count, store) = (count.clone(), store.clone());
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 4096];
                    let (head, body_start) = loop {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            break (String::from_utf8_lossy(&data[..i]).to_string(), i + 4);
                        }
                    };
                    let header = |name: &str| {
                        head.lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    };
                    let length: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while data.len() < body_start + length {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        data.extend_from_slice(&buf[..n]);
                    }
                    let body = String::from_utf8_lossy(&data[body_start..]).to_string();
                    let attempt = count.fetch_add(1, Ordering::SeqCst);
                    let status = if attempt < fail_first {
                        "500 Internal Server Error"
                    } else {
                        store.lock().unwrap().push(ReceivedWebhook {
                            signature: header("x-webhook-signature").unwrap_or_default(),
                            json: serde_json::from_str(&body).unwrap_or(Value::Null),
                            body,
                        });
                        "200 OK"
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            url,
            attempts,
            received,
        }
    }

    /// Every acknowledged delivery so far.
    pub fn received(&self) -> Vec<ReceivedWebhook> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) for an acknowledged event of `event_type` about `object_id`.
    pub async fn wait_for(&self, event_type: &str, object_id: &str) -> ReceivedWebhook {
        for _ in 0..200 {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|w| w.json["type"] == event_type && w.json["data"]["id"] == object_id)
            {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "no {event_type} webhook for {object_id}; got {:?}",
            self.received()
        );
    }
}
