//! Merchants end to end: onboarding, signed requests and their refusals, payment
//! requests with VietQR paid by QR or id, webhooks delivered, retried and verified.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use diesel::{Connection, RunQueryDsl};
use e2e::{account_balance, new_request, r_id, request_status, start_for_merchants, REQUESTS};
use e2e::{assert_error, now_unix, sign_merchant_request, Citizen, Merchant, WebhookReceiver};
use serde_json::json;

#[tokio::test]
async fn onboarding_signed_request_qr_payment_and_verified_webhook() {
    let gw = start_for_merchants(&[]).await;
    // The endpoint refuses the first delivery: the worker must retry it.
    let hooks = WebhookReceiver::start(1).await;

    let (status, created) = gw
        .create_merchant(json!({
            "name": "Phở Hà Nội", "tax_code": "001090000123",
            "settlement": {"bank_bin": "970436", "account_number": "0011001234567"},
            "webhook_url": hooks.url,
        }))
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["id"].as_str().unwrap().starts_with("mer_"));
    assert_eq!(
        created["tax_code"], "001******123",
        "a personal code is masked"
    );
    assert!(created["api_key"].as_str().unwrap().starts_with("mk_"));
    assert!(created["ledger_account_id"]
        .as_str()
        .unwrap()
        .starts_with("acc_"));
    let m = Merchant {
        id: created["id"].as_str().unwrap().into(),
        api_key: created["api_key"].as_str().unwrap().into(),
        signing_secret: created["signing_secret"].as_str().unwrap().into(),
        webhook_secret: created["webhook_secret"].as_str().unwrap().into(),
        ledger_account_id: created["ledger_account_id"].as_str().unwrap().into(),
    };
    assert_ne!(m.signing_secret, m.webhook_secret);

    let body = json!({"amount": 150_000, "order_ref": "ORD-1", "description": "Phở bò tái", "capture": "automatic"});
    let req = new_request(&gw, &m, "req-1", body.clone()).await;
    assert_eq!(req["status"], "open");
    assert_eq!(req["amount"], 150_000);
    let id = req["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("req_") && id.len() <= 24);
    let qr = req["qr"].as_str().unwrap().to_string();
    let decoded = adapters::qr::decode(&qr).unwrap();
    assert_eq!(decoded.amount, Some(150_000));
    assert_eq!(
        decoded.additional.reference_label.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(decoded.additional.purpose.as_deref(), Some("Phở bò tái"));
    // The same key and body answer the same request again.
    let again = new_request(&gw, &m, "req-1", body).await;
    assert_eq!(again["id"], id.as_str());

    let an = Citizen::hanoi(501);
    let (session, _) = gw
        .funded_citizen(&an, "0011000000501", 5_000_000, 1_000_000)
        .await;
    let (status, payment) = gw
        .post_as(
            &session,
            "/v1/payments",
            "pay-1",
            json!({"type": "merchant", "qr": qr}),
        )
        .await;
    assert_eq!(status, 201, "{payment}");
    assert_eq!(payment["type"], "merchant");
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(payment["amount"], 150_000);
    assert_eq!(gw.wallet_balance(&session).await, 850_000);
    assert_eq!(account_balance(&gw, &m.ledger_account_id).await, 150_000);

    let paid = request_status(&gw, &m, &id).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment_id"], payment["id"]);
    assert_eq!(paid["captured_amount"], 150_000);

    let hook = hooks.wait_for("payment_request.paid", &id).await;
    assert!(hook.signed_with(&m.webhook_secret), "{hook:?}");
    assert!(!hook.signed_with(&m.signing_secret));
    assert!(hook.json["id"].as_str().unwrap().starts_with("evt_"));
    assert!(hook.json["created_at"].is_string());
    assert_eq!(hook.json["data"]["status"], "paid");
    assert!(hooks.attempts.load(std::sync::atomic::Ordering::SeqCst) >= 2);

    // A worker that died after claiming the event but before recording the 2xx leaves
    // it undelivered with its lease run out: it is sent again (at least once).
    let event_id = hook.json["id"].as_str().unwrap().to_string();
    let mut conn = diesel::pg::PgConnection::establish(&gw.database_url).unwrap();
    let reset = diesel::sql_query(
        "UPDATE merchant_webhook_events SET delivered_at = NULL, \
         next_attempt_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind::<diesel::sql_types::Text, _>(&event_id)
    .execute(&mut conn)
    .unwrap();
    assert_eq!(reset, 1);
    let mut redelivered = false;
    for _ in 0..100 {
        if hooks
            .received()
            .iter()
            .filter(|w| w.json["id"] == event_id.as_str())
            .count()
            == 2
        {
            redelivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(redelivered, "the interrupted delivery was not retried");

    // Paid once: a second payer is refused.
    let binh = Citizen::saigon(502);
    let (other, _) = gw
        .funded_citizen(&binh, "0011000000502", 5_000_000, 1_000_000)
        .await;
    let refused = gw
        .post_as(
            &other,
            "/v1/payments",
            "pay-2",
            json!({"type": "merchant", "payment_request_id": id}),
        )
        .await;
    assert_error(&refused, 409, "payment_request_not_open");
    assert_eq!(gw.wallet_balance(&other).await, 1_000_000);
}

#[tokio::test]
async fn merchant_signatures_nonces_and_ownership_are_enforced() {
    let gw = start_for_merchants(&[]).await;
    let m = gw.onboard_merchant(None).await;
    let other = gw.onboard_merchant(None).await;
    let body = json!({"amount": 10_000, "order_ref": "A"}).to_string();
    let now = now_unix().to_string();
    let good = sign_merchant_request(&m, "POST", REQUESTS, &now, "nonce-1", &body);

    let wrong = sign_merchant_request(&other, "POST", REQUESTS, &now, "nonce-1", &body);
    let r = gw
        .merchant_post_with(&m, REQUESTS, "k1", &body, [&now, "nonce-1", &wrong])
        .await;
    assert_error(&r, 401, "invalid_signature");

    let old = (now_unix() - 301).to_string();
    let old_sig = sign_merchant_request(&m, "POST", REQUESTS, &old, "nonce-2", &body);
    let r = gw
        .merchant_post_with(&m, REQUESTS, "k2", &body, [&old, "nonce-2", &old_sig])
        .await;
    assert_error(&r, 401, "invalid_signature");

    let tampered = json!({"amount": 99_000, "order_ref": "A"}).to_string();
    let r = gw
        .merchant_post_with(&m, REQUESTS, "k3", &tampered, [&now, "nonce-1", &good])
        .await;
    assert_error(&r, 401, "invalid_signature");

    let r = gw
        .merchant_post_with(&m, REQUESTS, "k4", &body, [&now, "nonce-1", &good])
        .await;
    assert_eq!(r.0, 201, "{}", r.1);
    // The very same signed request again, under another idempotency key: a replay.
    let r = gw
        .merchant_post_with(&m, REQUESTS, "k5", &body, [&now, "nonce-1", &good])
        .await;
    assert_error(&r, 401, "invalid_signature");

    let r = gw
        .post_raw(
            REQUESTS,
            Some(&m.api_key),
            &[("idempotency-key", "k6")],
            &body,
        )
        .await;
    assert_error(&r, 401, "invalid_signature");
    let r = gw
        .post_raw(
            REQUESTS,
            Some("mk_not_a_real_key"),
            &[("idempotency-key", "k7")],
            &body,
        )
        .await;
    assert_error(&r, 401, "unauthenticated");
    let r = gw
        .merchant_post(&m, REQUESTS, "", json!({"amount": 1, "order_ref": "x"}))
        .await;
    assert_error(&r, 400, "idempotency_key_invalid");

    // Another merchant's request does not exist for this one.
    let id = r_id(&gw, &other).await;
    let r = gw.merchant_get(&m, &format!("{REQUESTS}/{id}")).await;
    assert_error(&r, 404, "payment_request_not_found");
    let r = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id}/void"), "v1", json!({}))
        .await;
    assert_error(&r, 404, "payment_request_not_found");

    // Principals stay in their lanes.
    let citizen = gw.sign_in(&Citizen::hanoi(510), 2).await;
    let r = gw
        .get(&format!("{REQUESTS}/{id}"), Some(&citizen.token))
        .await;
    assert_error(&r, 403, "forbidden");
    let r = gw.get("/v1/me", Some(&m.api_key)).await;
    assert_error(&r, 403, "forbidden");
    let r = gw
        .post_raw("/v1/admin/merchants", Some(&m.api_key), &[], &json!({"name": "x", "tax_code": "0123456789", "settlement": {"bank_bin": "970436", "account_number": "0011001234567"}}).to_string())
        .await;
    assert_error(&r, 403, "forbidden");
}

#[tokio::test]
async fn onboarding_validates_tax_codes_and_webhook_urls() {
    let gw = start_for_merchants(&[("WEBHOOK_ALLOW_PRIVATE", "false")]).await;
    let with = |tax: &str, url: Option<&str>| {
        json!({"name": "Shop", "tax_code": tax,
               "settlement": {"bank_bin": "970436", "account_number": "0011001234567"},
               "webhook_url": url})
    };
    for bad in [
        "12345",
        "012345678",
        "0123456789-12",
        "001090000123x",
        "999090000123",
    ] {
        let r = gw.create_merchant(with(bad, None)).await;
        assert_error(&r, 400, "invalid_tax_code");
    }
    for good in ["0123456789", "0123456789-001"] {
        let (status, body) = gw.create_merchant(with(good, None)).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["tax_code"], good);
    }
    for url in [
        "http://127.0.0.1:9/h",
        "http://10.0.0.5/h",
        "http://localhost/h",
    ] {
        let r = gw.create_merchant(with("0123456789", Some(url))).await;
        assert_error(&r, 400, "invalid_webhook_url");
    }
    let (status, body) = gw
        .create_merchant(with("0123456789", Some("https://shop.example.vn/hooks")))
        .await;
    assert_eq!(status, 201, "{body}");
    let citizen = gw.sign_in(&Citizen::hanoi(520), 2).await;
    let r = gw
        .post_raw(
            "/v1/admin/merchants",
            Some(&citizen.token),
            &[],
            &with("0123456789", None).to_string(),
        )
        .await;
    assert_error(&r, 403, "forbidden");
}

#[tokio::test]
async fn damaged_or_altered_qr_codes_and_expired_requests_are_refused() {
    let gw = start_for_merchants(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
    let m = gw.onboard_merchant(None).await;
    let req = new_request(&gw, &m, "q1", json!({"amount": 50_000, "order_ref": "Q"})).await;
    let qr = req["qr"].as_str().unwrap().to_string();
    let an = Citizen::hanoi(530);
    let (session, _) = gw
        .funded_citizen(&an, "0011000000530", 5_000_000, 500_000)
        .await;

    // One character changed: the CRC no longer matches.
    let damaged = qr.replacen("50000", "50001", 1);
    let r = gw
        .post_as(
            &session,
            "/v1/payments",
            "p1",
            json!({"type": "merchant", "qr": damaged}),
        )
        .await;
    assert_error(&r, 400, "invalid_qr");
    // Re-encoded with another amount and a correct CRC: the amount does not match.
    let mut altered = adapters::qr::decode(&qr).unwrap();
    altered.amount = Some(1_000);
    let forged = adapters::qr::encode(&altered).unwrap();
    let r = gw
        .post_as(
            &session,
            "/v1/payments",
            "p2",
            json!({"type": "merchant", "qr": forged}),
        )
        .await;
    assert_error(&r, 400, "invalid_qr");
    let r = gw
        .post_as(
            &session,
            "/v1/payments",
            "p3",
            json!({"type": "merchant", "payment_request_id": "req_nothere"}),
        )
        .await;
    assert_error(&r, 404, "payment_request_not_found");

    let short = new_request(
        &gw,
        &m,
        "q2",
        json!({"amount": 50_000, "order_ref": "S", "expires_in_seconds": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = gw
        .post_as(
            &session,
            "/v1/payments",
            "p4",
            json!({"type": "merchant", "payment_request_id": short["id"]}),
        )
        .await;
    assert_error(&r, 409, "payment_request_expired");
    assert_eq!(gw.wallet_balance(&session).await, 500_000);
}
