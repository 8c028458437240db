//! ZaloPay through the simulator: create → order_url, the callback and its replies.

// The helpers below run outside `#[test]` functions, which clippy's allow-in-tests
// settings do not cover.
#![allow(clippy::expect_used)]

mod providers_support;

use adapters::funding::{
    FundingError, FundingProvider, Provider, ZaloPayCredentials, ZaloPayFunding,
};
use providers_support::{merchant_reply, Harness};
use serde_json::json;
use std::time::Duration;

const CALLBACK: &str = "/v1/callbacks/zalopay";

fn funding(h: &Harness) -> ZaloPayFunding {
    ZaloPayFunding::new(
        &h.sim_url("/zalopay"),
        ZaloPayCredentials::sandbox(),
        Duration::from_secs(5),
    )
    .expect("client")
}

/// Creates the order and tells the stand-in; returns the `app_trans_id`.
async fn open_order(h: &Harness, reference: &str, amount: i64) -> String {
    let order = funding(h)
        .create_order(h.topup(reference, amount, CALLBACK))
        .await
        .expect("created");
    h.expect_order(&order.provider_reference, amount);
    order.provider_reference
}

#[tokio::test]
async fn create_answers_an_order_url() {
    let h = Harness::start().await;
    let topup = h.topup("pay_z1", 150_000, CALLBACK);
    let order = funding(&h)
        .create_order(topup.clone())
        .await
        .expect("created");
    assert_eq!(order.provider, Provider::Zalopay);
    let prefix = adapters::providers::zalopay::app_trans_id(topup.now, "pay_z1").expect("id");
    assert_eq!(order.provider_reference, prefix);
    assert_eq!(
        order.redirect_url,
        h.sim_url(&format!("/zalopay/pay/{}", order.provider_reference))
    );
    let (status, page) = h.get(&order.redirect_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("150000"), "{page}");
    let state = h.order("/zalopay", &order.provider_reference).await;
    assert_eq!(
        state["callback_url"],
        format!("{}{CALLBACK}", h.gateway_url)
    );
}

#[tokio::test]
async fn create_is_refused_in_zalopay_terms() {
    let h = Harness::start().await;
    let wrong = ZaloPayFunding::new(
        &h.sim_url("/zalopay"),
        ZaloPayCredentials::new(2553, "not-key1", "x"),
        Duration::from_secs(5),
    )
    .expect("client");
    let refused = wrong
        .create_order(h.topup("pay_z2", 10_000, CALLBACK))
        .await;
    assert!(
        matches!(&refused, Err(FundingError::Rejected { code, .. }) if code == "2/-402"),
        "{refused:?}"
    );
    let mut stale = h.topup("pay_z2", 10_000, CALLBACK);
    stale.now -= chrono::Duration::minutes(20);
    let refused = funding(&h).create_order(stale).await;
    assert!(matches!(&refused, Err(FundingError::Rejected { code, .. }) if code == "2/-401"));
}

#[tokio::test]
async fn pay_sends_a_callback_that_verifies() {
    let h = Harness::start().await;
    let id = open_order(&h, "pay_z3", 250_000).await;
    let state = h.finish("/zalopay", &id, "pay").await;
    assert_eq!(state["status"], "paid");
    assert_eq!(state["callback"]["acknowledged"], true);
    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].provider_reference, id);
    assert_eq!(recorded[0].amount, 250_000);
    assert!(recorded[0].success);
    assert_eq!(
        recorded[0].provider_transaction_id.as_deref(),
        state["provider_transaction_id"].as_str()
    );
}

#[tokio::test]
async fn cancel_sends_no_callback() {
    let h = Harness::start().await;
    let id = open_order(&h, "pay_z4", 50_000).await;
    let (status, body) = h
        .post(&format!("/zalopay/orders/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["callback"], serde_json::Value::Null);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.hits(), 0);
    let (status, body) = h
        .post(&format!("/zalopay/orders/{id}/replay"), json!({}))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("no_callback"))
    );
}

#[tokio::test]
async fn the_callback_is_retried_until_acknowledged() {
    let h = Harness::start().await;
    let id = open_order(&h, "pay_z5", 75_000).await;
    h.fail_next(1);
    let state = h.finish("/zalopay", &id, "pay").await;
    let attempts = state["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{state}");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(
        attempts[1]["reply"],
        r#"{"return_code":1,"return_message":"success"}"#
    );
    assert_eq!(h.hits(), 2);
    assert_eq!(h.recorded().len(), 1);
}

#[tokio::test]
async fn forged_and_replayed_callbacks_get_zalopay_return_codes() {
    let h = Harness::start().await;
    let id = open_order(&h, "pay_z6", 120_000).await;
    let forged = h
        .post(
            &format!("/zalopay/orders/{id}/forge"),
            json!({"bad_signature": true}),
        )
        .await;
    assert_eq!(merchant_reply(&forged).1["return_code"], -1);
    let wrong = h
        .post(
            &format!("/zalopay/orders/{id}/forge"),
            json!({"amount": 12_000}),
        )
        .await;
    assert_eq!(merchant_reply(&wrong).1["return_code"], -1);
    assert!(h.recorded().is_empty());

    h.finish("/zalopay", &id, "pay").await;
    let replayed = h
        .post(&format!("/zalopay/orders/{id}/replay"), json!({}))
        .await;
    assert_eq!(merchant_reply(&replayed).1["return_code"], 2);
    assert_eq!(h.recorded().len(), 1);

    // Known to ZaloPay, unknown to the gateway: -1 each time, 4 attempts in all.
    let order = funding(&h)
        .create_order(h.topup("pay_z7", 10_000, CALLBACK))
        .await
        .expect("created");
    let state = h.finish("/zalopay", &order.provider_reference, "pay").await;
    assert_eq!(
        state["callback"]["attempts"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(state["callback"]["acknowledged"], false);
}
