//! Merchants in tests: onboarding, signed requests, and a webhook endpoint.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::{TestGateway, ADMIN_TOKEN};

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
        self.onboard_merchant_with(json!({
            "name": "Cửa hàng Thử nghiệm",
            "tax_code": format!("0{:09}", rand::random::<u32>() % 1_000_000_000),
            "settlement": { "bank_bin": "970436", "account_number": "0011009999999" },
            "webhook_url": webhook_url,
        }))
        .await
    }

    /// Onboards the merchant `body` describes (`POST /v1/admin/merchants`).
    pub async fn onboard_merchant_with(&self, body: Value) -> Merchant {
        let (status, body) = self.create_merchant(body).await;
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
        Self::start_with(fail_first, std::time::Duration::ZERO).await
    }

    /// A receiver that takes `delay` to answer each delivery (a slow merchant).
    pub async fn start_with(fail_first: usize, delay: std::time::Duration) -> Self {
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
                    tokio::time::sleep(delay).await;
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

/// A gateway for merchant tests: webhooks to local endpoints, retried quickly.
pub const REQUESTS: &str = "/v1/merchant/payment-requests";

pub async fn start_for_merchants(extra: &[(&'static str, &'static str)]) -> TestGateway {
    let mut env = HashMap::from([
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_RETRY_BASE_MS", "100"),
    ]);
    env.extend(extra.iter().copied());
    TestGateway::start_with(env).await
}

pub async fn new_request(gw: &TestGateway, m: &Merchant, key: &str, body: Value) -> Value {
    let (status, req) = gw.merchant_post(m, REQUESTS, key, body).await;
    assert_eq!(status, 201, "{req}");
    req
}

pub async fn request_status(gw: &TestGateway, m: &Merchant, id: &str) -> Value {
    let (status, req) = gw.merchant_get(m, &format!("{REQUESTS}/{id}")).await;
    assert_eq!(status, 200, "{req}");
    req
}

pub async fn account_balance(gw: &TestGateway, account: &str) -> i64 {
    let (status, acc) = gw
        .get(&format!("/v1/accounts/{account}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{acc}");
    acc["balance"].as_i64().unwrap()
}

pub async fn wallet_balances(gw: &TestGateway, session: &crate::Session) -> (i64, i64) {
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    (
        me["wallet"]["balance"].as_i64().unwrap(),
        me["wallet"]["available"].as_i64().unwrap(),
    )
}

pub async fn r_id(gw: &TestGateway, m: &Merchant) -> String {
    let key = format!("r-{:x}", rand::random::<u64>());
    let req = new_request(gw, m, &key, json!({"amount": 20_000, "order_ref": "B"})).await;
    req["id"].as_str().unwrap().to_string()
}
