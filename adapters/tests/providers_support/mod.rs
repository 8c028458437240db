//! Harness of the provider tests: the simulators, and a stand-in for the gateway's
//! callback endpoints that checks each callback with `adapters::funding` and answers
//! as the gateway must (api.md, "Provider callbacks").

// Helpers outside `#[test]` functions, which clippy's allow-in-tests settings do not
// cover; and each test crate uses only part of the harness.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, dead_code)]

use actix_web::{web, App, HttpResponse, HttpServer};
use adapters::funding::{
    self, CallbackError, MomoCredentials, OrderLookup, TopupOrder, VerifiedCallback,
    VnpayCredentials, ZaloPayCredentials,
};
use adapters::providers::vnpay::IpnReply;
use adapters::simulator::{RunningSimulators, SimulatorConfig, Simulators};
use chrono::Utc;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const KEY: &[u8] = b"integration-test-vneid-key";

/// What the stand-in gateway knows and has seen.
#[derive(Default)]
pub struct Gateway {
    /// Provider reference → (amount, result recorded).
    orders: Mutex<HashMap<String, (i64, bool)>>,
    /// Every callback recorded, in order.
    pub recorded: Mutex<Vec<VerifiedCallback>>,
    /// Requests that reached a callback endpoint, refused or not.
    pub hits: AtomicU32,
    /// Answer this many next callbacks with a 500 before looking at them.
    pub fail_next: AtomicU32,
}

impl Gateway {
    fn lookup(&self, reference: &str) -> OrderLookup {
        match self.orders.lock().unwrap().get(reference) {
            Some(&(amount, already_recorded)) => OrderLookup::Found {
                amount,
                already_recorded,
            },
            None => OrderLookup::NotFound,
        }
    }

    fn record(&self, callback: VerifiedCallback) {
        if let Some(order) = self
            .orders
            .lock()
            .unwrap()
            .get_mut(&callback.provider_reference)
        {
            order.1 = true;
        }
        self.recorded.lock().unwrap().push(callback);
    }

    /// Counts the hit; true when this one must fail.
    fn failing(&self) -> bool {
        self.hits.fetch_add(1, Ordering::SeqCst);
        self.fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

async fn vnpay_ipn(
    gw: web::Data<Gateway>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    if gw.failing() {
        return HttpResponse::InternalServerError().finish();
    }
    let reply =
        match funding::vnpay::verify_ipn(&query, &VnpayCredentials::demo()).and_then(|signed| {
            let order = gw.lookup(signed.reference());
            signed.check(order)
        }) {
            Ok(callback) => {
                gw.record(callback);
                IpnReply::ConfirmSuccess
            }
            Err(err) => funding::vnpay::ipn_reply_for(&err),
        };
    HttpResponse::Ok().json(reply.body())
}

async fn momo_ipn(gw: web::Data<Gateway>, body: web::Bytes) -> HttpResponse {
    if gw.failing() {
        return HttpResponse::InternalServerError().finish();
    }
    let status = match funding::momo::verify_ipn_body(&body, &MomoCredentials::sandbox()).and_then(
        |signed| {
            let order = gw.lookup(signed.reference());
            signed.check(order)
        },
    ) {
        Ok(callback) => {
            gw.record(callback);
            204
        }
        Err(err) => funding::momo::ipn_status_for(&err),
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

async fn zalopay_callback(gw: web::Data<Gateway>, body: web::Bytes) -> HttpResponse {
    if gw.failing() {
        return HttpResponse::InternalServerError().finish();
    }
    let reply = match funding::zalopay::verify_callback_body(&body, &ZaloPayCredentials::sandbox())
        .and_then(|signed| {
            let order = gw.lookup(signed.reference());
            signed.check(order)
        }) {
        Ok(callback) => {
            gw.record(callback);
            adapters::providers::zalopay::CallbackReply::success()
        }
        Err(err) => funding::zalopay::callback_reply_for(&err),
    };
    HttpResponse::Ok().json(reply)
}

pub struct Harness {
    pub sims: RunningSimulators,
    pub gateway_url: String,
    pub gateway: Arc<Gateway>,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Harness {
        let gateway = web::Data::new(Gateway::default());
        let shared = gateway.clone().into_inner();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(gateway.clone())
                .route("/v1/callbacks/vnpay/ipn", web::get().to(vnpay_ipn))
                .route("/v1/callbacks/momo/ipn", web::post().to(momo_ipn))
                .route("/v1/callbacks/zalopay", web::post().to(zalopay_callback))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("stand-in binds");
        let gateway_url = format!("http://{}", server.addrs()[0]);
        tokio::spawn(server.run());
        let config = SimulatorConfig::new(KEY)
            .with_gateway_base_url(gateway_url.clone())
            .with_callback_backoff(Duration::from_millis(40));
        let sims = Simulators::new(config)
            .start("127.0.0.1:0")
            .await
            .expect("simulators start");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Harness {
            sims,
            gateway_url,
            gateway: shared,
            http,
        }
    }

    /// A top-up of `amount` whose callbacks go to the stand-in's `callback_path`.
    pub fn topup(&self, reference: &str, amount: i64, callback_path: &str) -> TopupOrder {
        TopupOrder {
            reference: reference.to_owned(),
            amount,
            description: format!("Nạp tiền ví {reference}"),
            callback_url: format!("{}{callback_path}", self.gateway_url),
            return_url: format!("{}/return/{reference}", self.gateway_url),
            now: Utc::now(),
        }
    }

    /// Makes the stand-in know an order, as the gateway would after creating it.
    pub fn expect_order(&self, provider_reference: &str, amount: i64) {
        self.gateway
            .orders
            .lock()
            .unwrap()
            .insert(provider_reference.to_owned(), (amount, false));
    }

    pub fn recorded(&self) -> Vec<VerifiedCallback> {
        self.gateway.recorded.lock().unwrap().clone()
    }

    pub fn hits(&self) -> u32 {
        self.gateway.hits.load(Ordering::SeqCst)
    }

    pub fn fail_next(&self, n: u32) {
        self.gateway.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn sim_url(&self, path: &str) -> String {
        format!("{}{path}", self.sims.base_url())
    }

    pub async fn get(&self, url: &str) -> (u16, String) {
        let response = self.http.get(url).send().await.expect("sent");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.sim_url(path))
            .json(&body)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn order(&self, prefix: &str, reference: &str) -> Value {
        let url = self.sim_url(&format!("{prefix}/orders/{reference}"));
        let (status, body) = self.get(&url).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("json")
    }

    /// Waits until the order's callback delivery has finished, and returns the order.
    pub async fn settled(&self, prefix: &str, reference: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let order = self.order(prefix, reference).await;
            if order["callback"]["finished"] == Value::Bool(true) {
                return order;
            }
            assert!(
                Instant::now() < deadline,
                "callback never finished: {order}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Pays (or cancels) and waits for the callback's delivery.
    pub async fn finish(&self, prefix: &str, reference: &str, action: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("{prefix}/orders/{reference}/{action}"),
                Value::Null,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        self.settled(prefix, reference).await
    }
}

/// The reply a forged or replayed callback got from the stand-in.
pub fn merchant_reply(answer: &(u16, Value)) -> (u64, Value) {
    assert_eq!(answer.0, 200, "{}", answer.1);
    (
        answer.1["status"].as_u64().expect("status"),
        answer.1["body"].clone(),
    )
}

pub fn is_bad_signature(err: &CallbackError) -> bool {
    matches!(err, CallbackError::BadSignature)
}
