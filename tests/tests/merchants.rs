//! Merchants end to end: onboarding, signed requests, payment requests with VietQR,
//! citizens paying by QR or id, manual capture, void and expiry, concurrent refunds,
//! and webhooks delivered, retried and verified by a merchant endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use diesel::{Connection, RunQueryDsl};
use e2e::{
    assert_error, now_unix, sign_merchant_request, Citizen, Merchant, TestGateway, WebhookReceiver,
    ADMIN_TOKEN,
};
use serde_json::{json, Value};

const REQUESTS: &str = "/v1/merchant/payment-requests";

async fn start(extra: &[(&'static str, &'static str)]) -> TestGateway {
    let mut env = HashMap::from([
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_RETRY_BASE_MS", "100"),
    ]);
    env.extend(extra.iter().copied());
    TestGateway::start_with(env).await
}

async fn new_request(gw: &TestGateway, m: &Merchant, key: &str, body: Value) -> Value {
    let (status, req) = gw.merchant_post(m, REQUESTS, key, body).await;
    assert_eq!(status, 201, "{req}");
    req
}

async fn request_status(gw: &TestGateway, m: &Merchant, id: &str) -> Value {
    let (status, req) = gw.merchant_get(m, &format!("{REQUESTS}/{id}")).await;
    assert_eq!(status, 200, "{req}");
    req
}

async fn account_balance(gw: &TestGateway, account: &str) -> i64 {
    let (status, acc) = gw
        .get(&format!("/v1/accounts/{account}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{acc}");
    acc["balance"].as_i64().unwrap()
}

async fn wallet(gw: &TestGateway, session: &e2e::Session) -> (i64, i64) {
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    (
        me["wallet"]["balance"].as_i64().unwrap(),
        me["wallet"]["available"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn onboarding_signed_request_qr_payment_and_verified_webhook() {
    let gw = start(&[]).await;
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
    let gw = start(&[]).await;
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

async fn r_id(gw: &TestGateway, m: &Merchant) -> String {
    let key = format!("r-{:x}", rand::random::<u64>());
    let req = new_request(gw, m, &key, json!({"amount": 20_000, "order_ref": "B"})).await;
    req["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn onboarding_validates_tax_codes_and_webhook_urls() {
    let gw = start(&[("WEBHOOK_ALLOW_PRIVATE", "false")]).await;
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
    let gw = start(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
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

#[tokio::test]
async fn manual_capture_partial_and_void() {
    let gw = start(&[]).await;
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
    assert_eq!(wallet(&gw, &session).await, (1_000_000, 800_000));
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
        wallet(&gw, &session).await,
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
    assert_eq!(wallet(&gw, &session).await, (880_000, 580_000));
    let (status, voided) = gw
        .merchant_post(&m, &format!("{REQUESTS}/{id2}/void"), "v1", json!({}))
        .await;
    assert_eq!(
        (status, voided["status"].as_str()),
        (200, Some("voided")),
        "{voided}"
    );
    assert_eq!(wallet(&gw, &session).await, (880_000, 880_000));
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
    let gw = start(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
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
    assert_eq!(wallet(&gw, &session).await, (1_000_000, 600_000));

    let hook = hooks.wait_for("payment_request.expired", &id).await;
    assert!(hook.signed_with(&m.webhook_secret));
    assert_eq!(request_status(&gw, &m, &id).await["status"], "expired");
    // Nobody voided it: the ledger let the hold lapse by itself.
    let mut released = false;
    for _ in 0..50 {
        if wallet(&gw, &session).await == (1_000_000, 1_000_000) {
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
    let gw = start(&[]).await;
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
    let gw = start(&[]).await;
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
