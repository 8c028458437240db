//! MoMo through the simulator: create → payUrl, the IPN and its replies.

// The helpers below run outside `#[test]` functions, which clippy's allow-in-tests
// settings do not cover.
#![allow(clippy::expect_used)]

mod providers_support;

use adapters::funding::{FundingError, FundingProvider, MomoCredentials, MomoFunding, Provider};
use providers_support::{merchant_reply, Harness};
use serde_json::json;
use std::time::Duration;

const IPN: &str = "/v1/callbacks/momo/ipn";

fn funding(h: &Harness) -> MomoFunding {
    MomoFunding::new(
        &h.sim_url("/momo"),
        MomoCredentials::sandbox(),
        Duration::from_secs(5),
    )
    .expect("client")
}

async fn open_order(h: &Harness, reference: &str, amount: i64) {
    let order = funding(h)
        .create_order(h.topup(reference, amount, IPN))
        .await
        .expect("created");
    assert_eq!(order.provider_reference, reference);
    h.expect_order(reference, amount);
}

#[tokio::test]
async fn create_answers_a_pay_url() {
    let h = Harness::start().await;
    let order = funding(&h)
        .create_order(h.topup("pay_m1", 150_000, IPN))
        .await
        .expect("created");
    assert_eq!(order.provider, Provider::Momo);
    assert_eq!(order.provider_reference, "pay_m1");
    assert_eq!(order.redirect_url, h.sim_url("/momo/pay/pay_m1"));
    let (status, page) = h.get(&order.redirect_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("Nạp tiền ví pay_m1"), "{page}");
    // The same request again is the same order (requestId is MoMo's idempotency key).
    let again = funding(&h)
        .create_order(h.topup("pay_m1", 150_000, IPN))
        .await
        .expect("idempotent");
    assert_eq!(again, order);
    let state = h.order("/momo", "pay_m1").await;
    assert_eq!(state["status"], "pending");
    assert_eq!(state["callback_url"], format!("{}{IPN}", h.gateway_url));
}

#[tokio::test]
async fn create_is_refused_in_momo_terms() {
    let h = Harness::start().await;
    let wrong = MomoFunding::new(
        &h.sim_url("/momo"),
        MomoCredentials::new("MOMO", "F8BBA842ECF85", "not-the-secret"),
        Duration::from_secs(5),
    )
    .expect("client");
    let refused = wrong.create_order(h.topup("pay_m2", 150_000, IPN)).await;
    assert!(
        matches!(&refused, Err(FundingError::Rejected { code, .. }) if code == "13"),
        "{refused:?}"
    );
    let small = funding(&h).create_order(h.topup("pay_m2", 999, IPN)).await;
    assert!(matches!(&small, Err(FundingError::Rejected { code, .. }) if code == "22"));
    funding(&h)
        .create_order(h.topup("pay_m2", 150_000, IPN))
        .await
        .expect("created");
    let other = funding(&h)
        .create_order(h.topup("pay_m2", 160_000, IPN))
        .await;
    assert!(matches!(&other, Err(FundingError::Rejected { code, .. }) if code == "41"));
    let down = MomoFunding::new(
        "http://127.0.0.1:1",
        MomoCredentials::sandbox(),
        Duration::from_secs(2),
    )
    .expect("client")
    .create_order(h.topup("pay_m3", 150_000, IPN))
    .await;
    assert!(
        matches!(down, Err(FundingError::Unavailable { .. })),
        "{down:?}"
    );
}

#[tokio::test]
async fn pay_sends_an_ipn_that_verifies() {
    let h = Harness::start().await;
    open_order(&h, "pay_m4", 250_000).await;
    let state = h.finish("/momo", "pay_m4", "pay").await;
    assert_eq!(state["status"], "paid");
    let attempts = state["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!((attempts.len(), &attempts[0]["status"]), (1, &json!(204)));
    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].provider, Provider::Momo);
    assert_eq!(recorded[0].provider_reference, "pay_m4");
    assert_eq!(recorded[0].amount, 250_000);
    assert!(recorded[0].success);
    assert_eq!(
        recorded[0].provider_transaction_id.as_deref(),
        state["provider_transaction_id"].as_str()
    );
}

#[tokio::test]
async fn cancel_sends_a_failure_ipn() {
    let h = Harness::start().await;
    open_order(&h, "pay_m5", 50_000).await;
    let state = h.finish("/momo", "pay_m5", "cancel").await;
    assert_eq!(state["status"], "cancelled");
    assert_eq!(state["callback"]["acknowledged"], true);
    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].success);
    assert_eq!(recorded[0].result_code, "1006");
}

#[tokio::test]
async fn the_ipn_is_retried_until_acknowledged() {
    let h = Harness::start().await;
    open_order(&h, "pay_m6", 75_000).await;
    h.fail_next(2);
    let state = h.finish("/momo", "pay_m6", "pay").await;
    let statuses: Vec<_> = state["callback"]["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(500), json!(204)]);
    assert_eq!(h.hits(), 3);
    assert_eq!(h.recorded().len(), 1);
}

#[tokio::test]
async fn forged_and_replayed_ipns_get_momo_statuses() {
    let h = Harness::start().await;
    open_order(&h, "pay_m7", 120_000).await;
    let forged = h
        .post("/momo/orders/pay_m7/forge", json!({"bad_signature": true}))
        .await;
    assert_eq!(merchant_reply(&forged).0, 401);
    let wrong = h
        .post("/momo/orders/pay_m7/forge", json!({"amount": 1_200_000}))
        .await;
    assert_eq!(merchant_reply(&wrong).0, 422);
    assert!(h.recorded().is_empty());

    h.finish("/momo", "pay_m7", "pay").await;
    let replayed = h.post("/momo/orders/pay_m7/replay", json!({})).await;
    assert_eq!(merchant_reply(&replayed).0, 204);
    assert_eq!(h.recorded().len(), 1, "a replay is not recorded twice");

    // Known to MoMo, unknown to the gateway: 404, retried until the attempts run out.
    funding(&h)
        .create_order(h.topup("pay_m8", 10_000, IPN))
        .await
        .expect("created");
    let state = h.finish("/momo", "pay_m8", "pay").await;
    let attempts = state["callback"]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 5);
    assert!(attempts.iter().all(|a| a["status"] == 404));
    assert_eq!(state["callback"]["acknowledged"], false);
}
