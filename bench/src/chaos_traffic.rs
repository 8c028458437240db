//! The chaos harness's traffic: clients that drive a mix of P2P transfers, bill
//! payments, merchant payments by QR, manual captures and refunds, retrying every
//! request without a final answer under its key, and what each operation ended with.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::world::{Citizen, Merchant, World};

#[derive(Default)]
pub struct Tally {
    pub attempts: AtomicU64,
    pub finals: AtomicU64,
    pub retried: AtomicU64,
    pub server_errors: Mutex<Vec<String>>,
}

/// The answer a request finally got.
#[derive(Debug, Clone)]
pub struct Final {
    pub status: u16,
    pub body: Value,
}

/// Sends `make()` until it gets a final answer: anything but a dropped connection,
/// a 503, a 429 or "still in progress". A 500 is recorded as a problem and retried.
pub async fn until_final(tally: &Tally, make: impl Fn() -> reqwest::RequestBuilder) -> Final {
    let mut pause = Duration::from_millis(50);
    loop {
        tally.attempts.fetch_add(1, Ordering::Relaxed);
        if let Ok(res) = make().send().await {
            let status = res.status().as_u16();
            let body = res.json::<Value>().await.unwrap_or(Value::Null);
            let in_progress =
                status == 409 && body["error"]["code"] == "idempotency_key_in_progress";
            if status >= 500 && status != 503 {
                if let Ok(mut errors) = tally.server_errors.lock() {
                    errors.push(format!("{status} {body}"));
                }
            }
            if !(status >= 500 || status == 429 || in_progress) {
                tally.finals.fetch_add(1, Ordering::Relaxed);
                return Final { status, body };
            }
        }
        tally.retried.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(800));
    }
}

/// One operation a client carried out, with the answers that decide its effect.
#[derive(Debug, Clone)]
pub enum Done {
    Transfer {
        payer: usize,
        payee: usize,
        amount: i64,
        answer: Final,
    },
    Bill {
        citizen: usize,
        answer: Final,
    },
    Merchant {
        citizen: usize,
        request: String,
        amount: i64,
        answer: Final,
    },
    Captured {
        citizen: usize,
        captured: i64,
        pay: Final,
        capture: Final,
    },
    Refunded {
        request: String,
        amount: i64,
        answer: Final,
    },
}

pub struct Shared {
    pub world: World,
    pub citizens: Vec<Citizen>,
    /// Whether the load includes merchants' requests, payments, captures and refunds.
    pub merchants: bool,
    pub merchant: Merchant,
    pub bills: Mutex<Vec<(usize, String)>>,
    pub paid_requests: Mutex<Vec<(usize, String, i64)>>,
    pub done: Mutex<Vec<Done>>,
    pub tally: Tally,
    pub stop: AtomicBool,
}

pub fn pick(n: usize) -> usize {
    rand::random::<u64>() as usize % n
}

pub async fn merchant_post(s: &Shared, path: &str, key: &str, body: Value) -> Final {
    let body = body.to_string();
    until_final(&s.tally, || {
        s.world
            .merchant_request(&s.world.http, &s.merchant, path, key, &body)
    })
    .await
}

pub async fn citizen_post(s: &Shared, who: usize, path: &str, key: &str, body: Value) -> Final {
    let url = format!("{}{path}", s.world.gateway);
    until_final(&s.tally, || {
        s.world
            .http
            .post(&url)
            .bearer_auth(&s.citizens[who].token)
            .header("idempotency-key", key)
            .json(&body)
    })
    .await
}

/// `answer` once its payment is no longer pending (looked at every 200 ms, for up to a
/// minute).
async fn settled(s: &Shared, who: usize, answer: Final) -> Final {
    let Some(id) = answer.body["id"].as_str().map(str::to_string) else {
        return answer;
    };
    let mut now = answer;
    for _ in 0..300 {
        if now.status != 201 || now.body["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let url = format!("{}/v1/payments/{id}", s.world.gateway);
        let read = until_final(&s.tally, || {
            s.world.http.get(&url).bearer_auth(&s.citizens[who].token)
        })
        .await;
        if read.status == 200 {
            now = Final {
                status: 201,
                body: read.body,
            };
        }
    }
    now
}

pub async fn one_operation(s: &Shared, client: usize, seq: usize) -> Option<Done> {
    let key = |what: &str| format!("chaos-{client}-{seq}-{what}");
    let n = s.citizens.len();
    let roll = pick(100);
    if roll < 55 || (roll >= 70 && !s.merchants) {
        let payer = pick(n);
        let payee = (payer + 1 + pick(n - 1)) % n;
        let amount = 1_000 * (1 + pick(50) as i64);
        let body = json!({"type": "transfer", "amount": amount, "payee": {"cccd": s.citizens[payee].cccd}});
        let answer = citizen_post(s, payer, "/v1/payments", &key("p2p"), body).await;
        return Some(Done::Transfer {
            payer,
            payee,
            amount,
            answer,
        });
    }
    if roll < 70 {
        let (citizen, bill) = s.bills.lock().ok()?.pop()?;
        let answer = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("bill"),
            json!({"type": "bill", "bill_id": bill}),
        )
        .await;
        return Some(Done::Bill { citizen, answer });
    }
    if roll < 85 {
        let citizen = pick(n);
        let amount = 1_000 * (1 + pick(30) as i64);
        let created = merchant_post(
            s,
            "/v1/merchant/payment-requests",
            &key("req"),
            json!({"amount": amount, "order_ref": key("order"), "capture": "automatic", "expires_in_seconds": 3_600}),
        )
        .await;
        let request = created.body["id"].as_str()?.to_string();
        let qr = created.body["qr"].as_str()?.to_string();
        let answer = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("pay"),
            json!({"type": "merchant", "qr": qr}),
        )
        .await;
        if answer.status == 201 && answer.body["status"] == "succeeded" {
            if let Ok(mut paid) = s.paid_requests.lock() {
                paid.push((citizen, request.clone(), amount));
            }
        }
        return Some(Done::Merchant {
            citizen,
            request,
            amount,
            answer,
        });
    }
    if roll < 93 {
        let citizen = pick(n);
        let amount = 1_000 * (2 + pick(30) as i64);
        let created = merchant_post(
            s,
            "/v1/merchant/payment-requests",
            &key("manual"),
            json!({"amount": amount, "order_ref": key("order"), "capture": "manual", "expires_in_seconds": 3_600}),
        )
        .await;
        let request = created.body["id"].as_str()?.to_string();
        let pay = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("auth"),
            json!({"type": "merchant", "payment_request_id": request}),
        )
        .await;
        // A payment whose request is claimed on another shard may be answered while
        // still pending; a merchant captures once it is authorized (its webhook).
        let pay = settled(s, citizen, pay).await;
        let captured = amount - 1_000;
        let capture = merchant_post(
            s,
            &format!("/v1/merchant/payment-requests/{request}/capture"),
            &key("capture"),
            json!({"amount": captured}),
        )
        .await;
        return Some(Done::Captured {
            citizen,
            captured,
            pay,
            capture,
        });
    }
    let (_, request, amount) = {
        let paid = s.paid_requests.lock().ok()?;
        paid.get(pick(paid.len().max(1)))?.clone()
    };
    let part = (amount / 3).max(1);
    let answer = merchant_post(
        s,
        &format!("/v1/merchant/payment-requests/{request}/refunds"),
        &key("refund"),
        json!({"amount": part}),
    )
    .await;
    Some(Done::Refunded {
        request,
        amount: part,
        answer,
    })
}

pub async fn client_loop(s: Arc<Shared>, client: usize) {
    let mut seq = 0;
    while !s.stop.load(Ordering::Relaxed) {
        seq += 1;
        if let Some(done) = one_operation(&s, client, seq).await {
            if let Ok(mut all) = s.done.lock() {
                all.push(done);
            }
        }
    }
}
