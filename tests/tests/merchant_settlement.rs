//! Merchant money after the payment: manual capture (partial) and void, a hold that
//! expires by itself, refunds racing against what was captured, two citizens racing
//! for one request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use e2e::{
    account_balance, new_request, request_status, start_for_merchants, wallet_balances, REQUESTS,
};
use e2e::{assert_error, Citizen, WebhookReceiver};
use serde_json::{json, Value};

#[tokio::test]
async fn manual_capture_partial_and_void() {
    let gw = start_for_merchants(&[]).await;
    let hooks = WebhookReceiver::start(0).await;
    let m = gw.onboard_merchant(Some(&hooks.url)).await;
    let an = Citizen::hanoi(540);
    let (session, _) = gw
        .funded_citizen(&an, "0011000000540", 5_000_000, 1_000_000)
        .await;

    let req = new_request(
        &gw,
        &m,
        "m1",
        json!({"amount": 200_000, "order_ref": "M1", "capture": "manual"}),
    )
    .await;
    let id = req["id"].as_str().unwrap().to_string();
    let (status, payment) = gw
        .post_as(
            &session,
            "/v1/payments",
            "pm1",
            json!({"type": "merchant", "payment_request_id": id}),
        )
        .await;
    assert_eq!(
        (status, payment["status"].as_str()),
        (201, Some("authorized")),
        "{payment}"
    );
    assert_eq!(wallet_balances(&gw, &session).await, (1_000_000, 800_000));
    assert_eq!(request_status(&gw, &m, &id).await["status"], "authorized");
    hooks.wait_for("payment_request.authorized", &id).await;

    let capture = format!("{REQUESTS}/{id}/capture");
    let r = gw
        .merchant_post(&m, &capture, "c0", json!({"amount": 200_001}))
        .await;
    assert_error(&r, 422, "capture_exceeds_authorized");
    let (status, captured) = gw
        .merchant_post(&m, &capture, "c1", json!({"amount": 120_000}))
        .await;
    assert_eq!(status, 200, "{captured}");
    assert_eq!(captured["status"], "partially_captured");
    assert_eq!(captured["captured_amount"], 120_000);
    assert_eq!(
        wallet_balances(&gw, &session).await,
        (880_000, 880_000),
        "the rest is released"
    );
    assert_eq!(account_balance(&gw, &m.ledger_account_id).await, 120_000);
    let hook = hooks.wait_for("payment_request.captured", &id).await;
    assert!(hook.signed_with(&m.webhook_secret));
    let (_, pay) = gw
        .get(
            &format!("/v1/payments/{}", payment["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(pay["status"], "succeeded");
    assert_eq!(pay["amount"], 200_000);
    assert_eq!(pay["settled_amount"], 120_000);
    // The monthly cap counts what left the wallet, not what was first held.
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(me["usage"]["month"]["capped_outflows"], 120_000);
    let r = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id}/void"), "v0", json!({}))
        .await;
    assert_error(&r, 409, "payment_request_not_authorized");

    let req2 = new_request(
        &gw,
        &m,
        "m2",
        json!({"amount": 300_000, "order_ref": "M2", "capture": "manual"}),
    )
    .await;
    let id2 = req2["id"].as_str().unwrap().to_string();
    let (status, p2) = gw
        .post_as(
            &session,
            "/v1/payments",
            "pm2",
            json!({"type": "merchant", "payment_request_id": id2}),
        )
        .await;
    assert_eq!(status, 201, "{p2}");
    assert_eq!(wallet_balances(&gw, &session).await, (880_000, 580_000));
    let (status, voided) = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id2}/void"), "v1", json!({}))
        .await;
    assert_eq!(
        (status, voided["status"].as_str()),
        (200, Some("voided")),
        "{voided}"
    );
    assert_eq!(wallet_balances(&gw, &session).await, (880_000, 880_000));
    hooks.wait_for("payment_request.voided", &id2).await;
    let (_, pay2) = gw
        .get(
            &format!("/v1/payments/{}", p2["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(pay2["status"], "voided");
    let r = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id2}/capture"), "c2", json!({}))
        .await;
    assert_error(&r, 409, "payment_request_not_authorized");
}

#[tokio::test]
async fn an_uncaptured_hold_expires_and_releases_the_funds() {
    let gw = start_for_merchants(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
    let hooks = WebhookReceiver::start(0).await;
    let m = gw.onboard_merchant(Some(&hooks.url)).await;
    let an = Citizen::hanoi(550);
    let (session, _) = gw
        .funded_citizen(&an, "0011000000550", 5_000_000, 1_000_000)
        .await;
    let req = new_request(
        &gw,
        &m,
        "e1",
        json!({"amount": 400_000, "order_ref": "E", "capture": "manual", "expires_in_seconds": 3}),
    )
    .await;
    let id = req["id"].as_str().unwrap().to_string();
    let (status, payment) = gw
        .post_as(
            &session,
            "/v1/payments",
            "pe1",
            json!({"type": "merchant", "payment_request_id": id}),
        )
        .await;
    assert_eq!(
        (status, payment["status"].as_str()),
        (201, Some("authorized")),
        "{payment}"
    );
    assert_eq!(wallet_balances(&gw, &session).await, (1_000_000, 600_000));

    let hook = hooks.wait_for("payment_request.expired", &id).await;
    assert!(hook.signed_with(&m.webhook_secret));
    assert_eq!(request_status(&gw, &m, &id).await["status"], "expired");
    // Nobody voided it: the ledger let the hold lapse by itself.
    let mut released = false;
    for _ in 0..50 {
        if wallet_balances(&gw, &session).await == (1_000_000, 1_000_000) {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(released, "the hold's funds were not released");
    assert_eq!(account_balance(&gw, &m.ledger_account_id).await, 0);
    let (_, pay) = gw
        .get(
            &format!("/v1/payments/{}", payment["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(pay["status"], "voided");
    let r = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id}/capture"), "c1", json!({}))
        .await;
    assert_error(&r, 409, "payment_request_expired");
}

#[tokio::test]
async fn racing_refunds_never_exceed_what_was_captured() {
    let gw = start_for_merchants(&[]).await;
    let hooks = WebhookReceiver::start(0).await;
    let m = gw.onboard_merchant(Some(&hooks.url)).await;
    let an = Citizen::hanoi(560);
    let (session, _) = gw
        .funded_citizen(&an, "0011000000560", 5_000_000, 2_000_000)
        .await;
    let req = new_request(
        &gw,
        &m,
        "f1",
        json!({"amount": 1_000_000, "order_ref": "F"}),
    )
    .await;
    let id = req["id"].as_str().unwrap().to_string();
    let (status, payment) = gw
        .post_as(
            &session,
            "/v1/payments",
            "pf1",
            json!({"type": "merchant", "payment_request_id": id}),
        )
        .await;
    assert_eq!(status, 201, "{payment}");
    assert_eq!(gw.wallet_balance(&session).await, 1_000_000);

    let path = format!("{REQUESTS}/{id}/refunds");
    let attempts = (0..10).map(|i| {
        let (gw, m, path) = (&gw, &m, path.clone());
        async move {
            gw.merchant_post(m, &path, &format!("refund-{i}"), json!({"amount": 300_000}))
                .await
        }
    });
    let results = futures_join_all(attempts).await;
    let ok: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 201).collect();
    assert_eq!(ok.len(), 3, "{results:?}");
    for r in results.iter().filter(|r| r.0 != 201) {
        assert_error(r, 422, "refund_exceeds_captured");
    }
    for r in &ok {
        assert!(r.1["id"].as_str().unwrap().starts_with("ref_"));
        assert_eq!(r.1["status"], "succeeded");
    }
    let after = request_status(&gw, &m, &id).await;
    assert_eq!(after["status"], "partially_refunded");
    assert_eq!(after["refunded_amount"], 900_000);
    assert_eq!(gw.wallet_balance(&session).await, 1_900_000);
    assert_eq!(account_balance(&gw, &m.ledger_account_id).await, 100_000);
    let (_, pay) = gw
        .get(
            &format!("/v1/payments/{}", payment["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(pay["status"], "partially_refunded");

    let (status, last) = gw
        .merchant_post(&m, &path, "refund-last", json!({"amount": 100_000}))
        .await;
    assert_eq!(status, 201, "{last}");
    assert_eq!(request_status(&gw, &m, &id).await["status"], "refunded");
    let (_, pay) = gw
        .get(
            &format!("/v1/payments/{}", payment["id"].as_str().unwrap()),
            Some(&session.token),
        )
        .await;
    assert_eq!(pay["status"], "refunded");
    let r = gw
        .merchant_post(&m, &path, "refund-more", json!({"amount": 1}))
        .await;
    assert_error(&r, 422, "refund_exceeds_captured");
    let hook = hooks
        .wait_for("refund.succeeded", last["id"].as_str().unwrap())
        .await;
    assert!(hook.signed_with(&m.webhook_secret));
    assert_eq!(hook.json["data"]["payment_request_status"], "refunded");
}

#[tokio::test]
async fn two_citizens_racing_for_one_request_pay_it_once() {
    let gw = start_for_merchants(&[]).await;
    let m = gw.onboard_merchant(None).await;
    let req = new_request(&gw, &m, "g1", json!({"amount": 70_000, "order_ref": "G"})).await;
    let id = req["id"].as_str().unwrap().to_string();
    let mut sessions = Vec::new();
    for n in 0..4u32 {
        let who = Citizen::hanoi(570 + n);
        let (s, _) = gw
            .funded_citizen(
                &who,
                &format!("00110000005{:02}", 70 + n),
                5_000_000,
                100_000,
            )
            .await;
        sessions.push(s);
    }
    let tries = sessions.iter().map(|s| {
        let (gw, id) = (&gw, id.clone());
        async move {
            gw.post_as(
                s,
                "/v1/payments",
                "race",
                json!({"type": "merchant", "payment_request_id": id}),
            )
            .await
        }
    });
    let results = futures_join_all(tries).await;
    assert_eq!(
        results.iter().filter(|r| r.0 == 201).count(),
        1,
        "{results:?}"
    );
    for r in results.iter().filter(|r| r.0 != 201) {
        assert_error(r, 409, "payment_request_not_open");
    }
    let mut total = 0;
    for s in &sessions {
        total += gw.wallet_balance(s).await;
    }
    assert_eq!(total, 400_000 - 70_000);
    assert_eq!(account_balance(&gw, &m.ledger_account_id).await, 70_000);
}

/// Runs futures concurrently on this task (no extra crate needed).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut pending: Vec<_> = handles.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(out) => {
                outputs[*i] = Some(out);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}
