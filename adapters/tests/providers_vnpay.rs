//! VNPay through the simulator: the signed payment URL, the IPN and its replies.

// The helpers below run outside `#[test]` functions, which clippy's allow-in-tests
// settings do not cover.
#![allow(clippy::expect_used)]

mod providers_support;

use adapters::funding::{FundingProvider, Provider, VnpayCredentials, VnpayFunding};
use providers_support::{merchant_reply, Harness};
use serde_json::json;

const IPN: &str = "/v1/callbacks/vnpay/ipn";

fn funding(h: &Harness) -> VnpayFunding {
    VnpayFunding::new(&h.sim_url("/vnpay"), VnpayCredentials::demo())
}

/// Creates the order, opens its page at the simulator and tells the stand-in.
async fn open_order(h: &Harness, reference: &str, amount: i64) {
    let order = funding(h)
        .create_order(h.topup(reference, amount, IPN))
        .await
        .expect("created");
    assert_eq!(order.provider, Provider::Vnpay);
    assert_eq!(order.provider_reference, reference);
    let (status, page) = h.get(&order.redirect_url).await;
    assert_eq!(status, 200, "{page}");
    h.expect_order(reference, amount);
}

#[tokio::test]
async fn the_payment_url_opens_the_simulated_page() {
    let h = Harness::start().await;
    let order = funding(&h)
        .create_order(h.topup("pay_v1", 150_000, IPN))
        .await
        .expect("created");
    assert!(order
        .redirect_url
        .starts_with(&h.sim_url("/vnpay/paymentv2/vpcpay.html?")));
    assert!(order.redirect_url.contains("vnp_Amount=15000000&"));
    assert!(order
        .redirect_url
        .contains("vnp_OrderInfo=Nap-tien-vi-pay_v1&"));
    let (status, page) = h.get(&order.redirect_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("pay_v1") && page.contains("150000"), "{page}");
    // A reload of the same URL is the same order.
    assert_eq!(h.get(&order.redirect_url).await.0, 200);
    let state = h.order("/vnpay", "pay_v1").await;
    assert_eq!(state["status"], "pending");
    assert_eq!(state["amount"], 150_000);
    assert_eq!(state["callback_url"], format!("{}{IPN}", h.gateway_url));
}

#[tokio::test]
async fn a_url_signed_with_another_secret_or_tampered_is_refused() {
    let h = Harness::start().await;
    let other = VnpayFunding::new(
        &h.sim_url("/vnpay"),
        VnpayCredentials::new("DEMO0001", "another-secret"),
    );
    let order = other
        .create_order(h.topup("pay_v2", 10_000, IPN))
        .await
        .expect("signed locally");
    let (status, body) = h.get(&order.redirect_url).await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_signature"), "{body}");

    let genuine = funding(&h)
        .create_order(h.topup("pay_v2", 10_000, IPN))
        .await
        .expect("created");
    let tampered = genuine
        .redirect_url
        .replace("vnp_Amount=1000000&", "vnp_Amount=100&");
    assert_eq!(h.get(&tampered).await.0, 400);
    assert_eq!(h.get(&genuine.redirect_url).await.0, 200);
}

#[tokio::test]
async fn pay_sends_an_ipn_that_verifies() {
    let h = Harness::start().await;
    open_order(&h, "pay_v3", 250_000).await;
    let state = h.finish("/vnpay", "pay_v3", "pay").await;
    assert_eq!(state["status"], "paid");
    assert_eq!(state["callback"]["acknowledged"], true);
    assert_eq!(
        state["callback"]["attempts"].as_array().map(Vec::len),
        Some(1)
    );
    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    let callback = &recorded[0];
    assert_eq!(callback.provider_reference, "pay_v3");
    assert_eq!(callback.amount, 250_000);
    assert!(callback.success);
    assert_eq!(callback.result_code, "00");
    assert_eq!(
        callback.provider_transaction_id.as_deref(),
        state["provider_transaction_id"].as_str()
    );
    // Paying twice is not possible.
    let (status, body) = h.post("/vnpay/orders/pay_v3/pay", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "order_not_pending");
}

#[tokio::test]
async fn cancel_sends_a_failure_ipn() {
    let h = Harness::start().await;
    open_order(&h, "pay_v4", 50_000).await;
    let state = h.finish("/vnpay", "pay_v4", "cancel").await;
    assert_eq!(state["status"], "cancelled");
    assert_eq!(state["callback"]["acknowledged"], true);
    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].success);
    assert_eq!(recorded[0].result_code, "24");
    assert_eq!(recorded[0].provider_transaction_id, None);
    assert_eq!(recorded[0].amount, 50_000);
}

#[tokio::test]
async fn the_ipn_is_retried_until_acknowledged() {
    let h = Harness::start().await;
    open_order(&h, "pay_v5", 75_000).await;
    h.fail_next(1);
    let state = h.finish("/vnpay", "pay_v5", "pay").await;
    let attempts = state["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{state}");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[0]["acknowledged"], false);
    assert_eq!(attempts[1]["status"], 200);
    assert_eq!(state["callback"]["acknowledged"], true);
    assert_eq!(h.hits(), 2);
    assert_eq!(h.recorded().len(), 1);
}

#[tokio::test]
async fn an_unknown_order_is_retried_a_bounded_number_of_times() {
    let h = Harness::start().await;
    // The simulator has the order, the gateway does not: every IPN gets RspCode 01.
    let order = funding(&h)
        .create_order(h.topup("pay_v6", 10_000, IPN))
        .await
        .expect("created");
    assert_eq!(h.get(&order.redirect_url).await.0, 200);
    let state = h.finish("/vnpay", "pay_v6", "pay").await;
    let attempts = state["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 5);
    assert!(attempts[0]["reply"]
        .as_str()
        .unwrap_or("")
        .contains("\"01\""));
    assert_eq!(state["callback"]["acknowledged"], false);
    assert!(h.recorded().is_empty());
}

#[tokio::test]
async fn forged_and_replayed_ipns_get_vnpay_reply_codes() {
    let h = Harness::start().await;
    open_order(&h, "pay_v7", 120_000).await;
    let forged = h
        .post("/vnpay/orders/pay_v7/forge", json!({"bad_signature": true}))
        .await;
    let (status, reply) = merchant_reply(&forged);
    assert_eq!((status, reply["RspCode"].as_str()), (200, Some("97")));
    assert_eq!(forged.1["acknowledged"], false);
    let wrong = h
        .post("/vnpay/orders/pay_v7/forge", json!({"amount": 120_001}))
        .await;
    assert_eq!(merchant_reply(&wrong).1["RspCode"], "04");
    assert!(h.recorded().is_empty(), "nothing recorded from forgeries");

    let (status, body) = h.post("/vnpay/orders/pay_v7/replay", json!({})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("no_callback"))
    );
    h.finish("/vnpay", "pay_v7", "pay").await;
    let replayed = h.post("/vnpay/orders/pay_v7/replay", json!({})).await;
    assert_eq!(merchant_reply(&replayed).1["RspCode"], "02");
    assert_eq!(replayed.1["acknowledged"], true);
    assert_eq!(h.recorded().len(), 1);

    let (status, _) = h.post("/vnpay/orders/nope/forge", json!({})).await;
    assert_eq!(status, 404);
}
