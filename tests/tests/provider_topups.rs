//! Top-ups through VNPay, MoMo and ZaloPay: the order in each provider's format, the
//! payer sent to its page, the provider's signed callback settling the payment once;
//! forged, wrong-amount and replayed callbacks answered with each provider's own codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::{control, start_topup, wait_for_status, Citizen, TestGateway};
use serde_json::{json, Value};

/// The gateway's reply code in a forged or replayed callback's outcome.
fn reply_code(provider: &str, outcome: &Value) -> String {
    let body = &outcome["body"];
    let parsed: Value = match body {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    match provider {
        "vnpay" => parsed["RspCode"].as_str().unwrap_or_default().to_string(),
        "momo" => outcome["status"].to_string(),
        _ => parsed["return_code"].to_string(),
    }
}

async fn paid_once_and_refusals(provider: &str, n: u32, expect: [&str; 4]) {
    let [already, bad_signature, wrong_amount, _] = expect;
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(60 + n);
    let session = gw.sign_in(&who, 2).await;

    let payment = start_topup(&gw, &session, provider, "p1", 150_000).await;
    let reference = payment["provider_reference"].as_str().unwrap().to_string();
    control(&gw, provider, &reference, "pay", json!({})).await;
    wait_for_status(&gw, &session, payment["id"].as_str().unwrap(), "succeeded").await;
    assert_eq!(gw.wallet_balance(&session).await, 150_000);

    // The provider repeats its callback: acknowledged, credited once.
    let replayed = control(&gw, provider, &reference, "replay", json!({})).await;
    assert_eq!(reply_code(provider, &replayed), already, "{replayed}");
    assert_eq!(gw.wallet_balance(&session).await, 150_000);

    // Forged and wrong-amount callbacks for an unpaid order credit nothing.
    let other = start_topup(&gw, &session, provider, "p2", 70_000).await;
    let other_ref = other["provider_reference"].as_str().unwrap().to_string();
    let forged = control(
        &gw,
        provider,
        &other_ref,
        "forge",
        json!({"bad_signature": true}),
    )
    .await;
    assert_eq!(reply_code(provider, &forged), bad_signature, "{forged}");
    let wrong = control(
        &gw,
        provider,
        &other_ref,
        "forge",
        json!({"amount": 7_000_000}),
    )
    .await;
    assert_eq!(reply_code(provider, &wrong), wrong_amount, "{wrong}");
    assert_eq!(gw.wallet_balance(&session).await, 150_000);
    let (_, still) = gw
        .get(
            &format!("/v1/payments/{}", other["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(still["status"], "pending");
}

#[tokio::test]
async fn vnpay_topup_is_credited_once_and_bad_ipns_get_vnpay_codes() {
    paid_once_and_refusals("vnpay", 1, ["02", "97", "04", ""]).await;
}

#[tokio::test]
async fn momo_topup_is_credited_once_and_bad_ipns_get_momo_statuses() {
    paid_once_and_refusals("momo", 2, ["204", "401", "422", ""]).await;
}

#[tokio::test]
async fn zalopay_topup_is_credited_once_and_bad_callbacks_get_return_code_minus_one() {
    paid_once_and_refusals("zalopay", 3, ["2", "-1", "-1", ""]).await;
}

#[tokio::test]
async fn a_cancelled_order_fails_the_topup_and_moves_nothing() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(70);
    let session = gw.sign_in(&who, 2).await;
    for (provider, key) in [("vnpay", "c1"), ("momo", "c2")] {
        let payment = start_topup(&gw, &session, provider, key, 90_000).await;
        let reference = payment["provider_reference"].as_str().unwrap();
        control(&gw, provider, reference, "cancel", json!({})).await;
        let failed =
            wait_for_status(&gw, &session, payment["id"].as_str().unwrap(), "failed").await;
        assert_eq!(failed["failure_code"], "provider_declined");
    }
    // ZaloPay sends nothing on cancel: the gateway asks ZaloPay about the late order
    // (`/v2/query`) and fails the top-up from its answer; nothing is credited.
    let payment = start_topup(&gw, &session, "zalopay", "c3", 90_000).await;
    control(
        &gw,
        "zalopay",
        payment["provider_reference"].as_str().unwrap(),
        "cancel",
        json!({}),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    let mut settled = Value::Null;
    for _ in 0..80 {
        let (_, p) = gw
            .get(&format!("/v1/payments/{id}"), Some(&session.token))
            .await;
        if p["status"] != "pending" {
            settled = p;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(settled["status"], "failed", "{settled}");
    assert_eq!(settled["failure_code"], "provider_declined");
    assert_eq!(gw.wallet_balance(&session).await, 0);
    // An unknown provider is a 400.
    let (status, _) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "c4",
            json!({"amount": 1000, "source": {"provider": "paypal"}}),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_unpaid_order_expires_and_a_late_success_still_credits_the_wallet() {
    let gw = TestGateway::start_with(std::collections::HashMap::from([(
        "PROVIDER_ORDER_TTL_SECONDS",
        "1",
    )]))
    .await;
    let who = Citizen::hanoi(71);
    let session = gw.sign_in(&who, 2).await;
    let payment = start_topup(&gw, &session, "momo", "late", 120_000).await;
    let id = payment["id"].as_str().unwrap().to_string();
    // The resumer gives up on it once the order has lapsed.
    let mut failed = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (_, p) = gw
            .get(&format!("/v1/payments/{id}"), Some(&session.token))
            .await;
        if p["status"] == "failed" {
            failed = p;
            break;
        }
    }
    assert_eq!(failed["failure_code"], "provider_order_expired", "{failed}");
    assert_eq!(gw.wallet_balance(&session).await, 0);
    // The payer paid after all: the provider's callback is credited once.
    let reference = payment["provider_reference"].as_str().unwrap();
    control(&gw, "momo", reference, "pay", json!({})).await;
    let revived = wait_for_status(&gw, &session, &id, "succeeded").await;
    assert!(revived["failure_code"].is_null());
    assert_eq!(gw.wallet_balance(&session).await, 120_000);
    let replayed = control(&gw, "momo", reference, "replay", json!({})).await;
    assert_eq!(reply_code("momo", &replayed), "204");
    assert_eq!(gw.wallet_balance(&session).await, 120_000);
}

/// VNPay learns of an order only when the payer opens its page; the control API still
/// completes an order nobody opened when given the order's payment URL, as api.md's
/// control API completes any order the gateway created.
#[tokio::test]
async fn a_vnpay_order_nobody_opened_is_paid_through_the_control_api() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(72);
    let session = gw.sign_in(&who, 2).await;
    let (status, payment) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "unopened",
            json!({"amount": 70_000, "source": {"provider": "vnpay"}}),
        )
        .await;
    assert_eq!(status, 201, "{payment}");
    let reference = payment["provider_reference"].as_str().unwrap();
    let url = format!("{}/vnpay/orders/{reference}/pay", gw.simulators_url);
    let unknown = gw.client.post(&url).send().await.unwrap();
    assert_eq!(unknown.status().as_u16(), 404, "the simulator never saw it");
    let tampered = payment["redirect_url"]
        .as_str()
        .unwrap()
        .replace("vnp_Amount=", "vnp_Amount=9");
    let refused = gw
        .client
        .post(&url)
        .json(&json!({"redirect_url": tampered}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        400,
        "a URL that does not verify is refused"
    );
    let paid = gw
        .client
        .post(&url)
        .json(&json!({"redirect_url": payment["redirect_url"]}))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success(), "{}", paid.status());
    let done = wait_for_status(&gw, &session, payment["id"].as_str().unwrap(), "succeeded").await;
    assert_eq!(done["amount"], 70_000);
    assert_eq!(gw.wallet_balance(&session).await, 70_000);
}
