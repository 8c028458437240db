//! Money safety on the batched payment path, one test per defect found before it:
//! cross transfers that deadlocked, refunds and payment requests a retried key made
//! twice, a key replayed on another endpoint, markers that vanished with Redis, a
//! merchant payment stranded by a crash, a bill payment taken over after a crash,
//! webhooks one slow merchant held up, and the smaller holes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use e2e::{
    assert_error, bill_id, new_request, request_status, start_for_merchants, Citizen, Merchant,
    TestGateway, WebhookReceiver, ADMIN_TOKEN, REQUESTS,
};
use serde_json::{json, Value};

fn sql(gw: &TestGateway, statement: &str) {
    let mut conn = diesel::pg::PgConnection::establish(&gw.database_url).unwrap();
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

async fn pay_request(
    gw: &TestGateway,
    session: &e2e::Session,
    key: &str,
    id: &str,
) -> (u16, Value) {
    gw.post_as(
        session,
        "/v1/payments",
        key,
        json!({"type": "merchant", "payment_request_id": id}),
    )
    .await
}

/// Two citizens paying each other at once, many times over: every request answered,
/// none with a 5xx (the old path locked one citizen's row and then, through a foreign
/// key, the other's, so crossing transfers deadlocked), and no dong created or lost.
#[tokio::test]
async fn crossing_transfers_never_deadlock() {
    let gw = TestGateway::start().await;
    let (a, b) = (Citizen::hanoi(60), Citizen::saigon(61));
    let (sa, _) = gw
        .funded_citizen(&a, "0011000000060", 5_000_000, 1_000_000)
        .await;
    let (sb, _) = gw
        .funded_citizen(&b, "0011000000061", 5_000_000, 1_000_000)
        .await;
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let (payer, payee) = if i % 2 == 0 { (&sa, &b) } else { (&sb, &a) };
            let request = gw.transfer_request(payer, &format!("cross-{i}"), 7_000, &payee.cccd);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 201);
    }
    assert_eq!(
        gw.wallet_balance(&sa).await + gw.wallet_balance(&sb).await,
        2_000_000
    );
    let (_, tb) = gw
        .get("/v1/admin/ledger/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(tb["currencies"][0]["balanced"], true);
}

/// A refund's and a payment request's ids derive from their key: the same key sent
/// many times at once makes one refund and one request.
#[tokio::test]
async fn one_key_makes_one_refund_and_one_request_however_often_it_is_sent() {
    let gw = start_for_merchants(&[]).await;
    let m = gw.onboard_merchant(None).await;
    let who = Citizen::hanoi(62);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000062", 5_000_000, 1_000_000)
        .await;

    let body = json!({"amount": 100_000, "order_ref": "ONCE"});
    let sends: Vec<_> = (0..6)
        .map(|_| {
            let (gw, m, body) = (&gw, &m, body.clone());
            async move { gw.merchant_post(m, REQUESTS, "request-once", body).await }
        })
        .collect();
    let answers = futures_util::future::join_all(sends).await;
    let ids: Vec<&Value> = answers.iter().map(|(_, r)| &r["id"]).collect();
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let request_id = ids[0].as_str().unwrap().to_string();
    assert_eq!(
        pay_request(&gw, &session, "pay-once", &request_id).await.0,
        201
    );

    let path = format!("{REQUESTS}/{request_id}/refunds");
    let refunds: Vec<_> = (0..6)
        .map(|_| {
            let (gw, m, path) = (&gw, &m, path.clone());
            async move {
                gw.merchant_post(m, &path, "refund-once", json!({"amount": 30_000}))
                    .await
            }
        })
        .collect();
    let answers = futures_util::future::join_all(refunds).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    assert!(answers.iter().all(|(_, r)| r["id"] == answers[0].1["id"]));
    let after = request_status(&gw, &m, &request_id).await;
    assert_eq!(after["refunded_amount"], 30_000);
    assert_eq!(gw.wallet_balance(&session).await, 930_000);
}

/// A key is bound to its method, path and body: voiding one request and then capturing
/// another with the same key is refused, and the second request is left as it was.
#[tokio::test]
async fn a_key_reused_on_another_resource_is_refused_not_replayed() {
    let gw = start_for_merchants(&[]).await;
    let m = gw.onboard_merchant(None).await;
    let who = Citizen::hanoi(63);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000063", 5_000_000, 1_000_000)
        .await;
    let manual = json!({"amount": 50_000, "order_ref": "M", "capture": "manual"});
    let a = new_request(&gw, &m, "req-a", manual.clone()).await;
    let b = new_request(&gw, &m, "req-b", manual).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    assert_eq!(pay_request(&gw, &session, "pay-a", a).await.0, 201);
    assert_eq!(pay_request(&gw, &session, "pay-b", b).await.0, 201);

    let (status, voided) = gw
        .merchant_post(&m, &format!("{REQUESTS}/{a}/void"), "K", json!({}))
        .await;
    assert_eq!(status, 200, "{voided}");
    let reused = gw
        .merchant_post(&m, &format!("{REQUESTS}/{b}/capture"), "K", json!({}))
        .await;
    assert_error(&reused, 422, "idempotency_key_reused");
    assert_eq!(request_status(&gw, &m, b).await["status"], "authorized");
}

/// What guards money survives a Redis restart: a spent VNeID assertion and a spent
/// merchant nonce stay spent, and signed-in citizens stay signed in.
#[tokio::test]
async fn spent_markers_and_sessions_survive_losing_redis() {
    let gw = start_for_merchants(&[]).await;
    let who = Citizen::hanoi(64);
    let assertion = gw.assertion(&who, 2, "password", Value::Null).await;
    let (status, session) = gw
        .post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({ "assertion": assertion }).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let token = session["access_token"].as_str().unwrap().to_string();
    let m = gw.onboard_merchant(None).await;
    let body = json!({"amount": 10_000, "order_ref": "N"}).to_string();
    let (ts, nonce) = (e2e::now_unix().to_string(), "nonce-survives-redis");
    let signature = e2e::sign_merchant_request(&m, "POST", REQUESTS, &ts, nonce, &body);
    let first = gw
        .merchant_post_with(&m, REQUESTS, "nonce-1", &body, [&ts, nonce, &signature])
        .await;
    assert_eq!(first.0, 201, "{}", first.1);

    // Redis forgets everything (a restart without persistence).
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("FLUSHDB").query_async(&mut redis).await.unwrap();

    let replayed = gw
        .post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({ "assertion": assertion }).to_string(),
        )
        .await;
    assert_error(&replayed, 401, "invalid_assertion");
    let again = gw
        .merchant_post_with(&m, REQUESTS, "nonce-2", &body, [&ts, nonce, &signature])
        .await;
    assert_error(&again, 401, "invalid_signature");
    let (status, me) = gw.get("/v1/me", Some(&token)).await;
    assert_eq!(status, 200, "still signed in: {me}");
}

/// A merchant payment whose money moved before the process died, left `pending` with
/// its request still `open` (and now past its expiry), is finished from the ledger:
/// the request is paid, not failed for having expired.
#[tokio::test]
async fn a_stranded_merchant_payment_is_finished_from_the_ledger_not_the_clock() {
    let gw = start_for_merchants(&[]).await;
    let m = gw.onboard_merchant(None).await;
    let who = Citizen::hanoi(65);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000065", 5_000_000, 1_000_000)
        .await;
    let req = new_request(
        &gw,
        &m,
        "stranded",
        json!({"amount": 80_000, "order_ref": "S"}),
    )
    .await;
    let id = req["id"].as_str().unwrap();
    let (status, paid) = pay_request(&gw, &session, "pay-stranded", id).await;
    assert_eq!(status, 201, "{paid}");
    let payment = paid["id"].as_str().unwrap();
    // What the old two-step path could leave after a crash between its steps.
    sql(
        &gw,
        &format!(
            "UPDATE merchant_payment_requests SET status = 'open', payment_id = NULL, \
             captured_amount = 0, expires_at = now() - interval '1 minute' WHERE id = '{id}'"
        ),
    );
    sql(
        &gw,
        &format!(
            "UPDATE payments SET status = 'pending', updated_at = now() - interval '1 minute' \
             WHERE id = '{payment}'"
        ),
    );
    let settled = gw.settled_payment(&session, payment, 15).await;
    assert_eq!(settled["status"], "succeeded", "{settled}");
    let request = request_status(&gw, &m, id).await;
    assert_eq!(request["status"], "paid", "{request}");
    assert_eq!(request["payment_id"], payment);
    assert_eq!(gw.wallet_balance(&session).await, 920_000, "debited once");
}

/// A bill payment interrupted while the biller was being asked, and then taken over:
/// the biller answers the repeated reference from its record, the hold is posted once,
/// and the payment succeeds instead of being voided.
#[tokio::test]
async fn an_interrupted_bill_payment_is_taken_over_and_paid_once() {
    let gw = TestGateway::start_with(HashMap::from([("OUTSIDE_TIMEOUT_MS", "300")])).await;
    let who = Citizen::hanoi(66);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000066", 5_000_000, 2_000_000)
        .await;
    gw.evn_bill("PD01000000066", "Nguyễn Văn 66", "2025-06", 250)
        .await;
    let bill = bill_id(&gw, &session, "PD01000000066").await;
    gw.biller_faults("evn", "timeout", 2_000).await;
    let body = json!({"type": "bill", "bill_id": bill});
    let (status, first) = gw
        .post_as(&session, "/v1/payments", "bill-crash", body.clone())
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "pending");
    let payment = first["id"].as_str().unwrap();
    gw.biller_faults("evn", "none", 0).await;
    // The process died before it heard the biller: no answer, a driver long gone.
    sql(
        &gw,
        &format!(
            "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL \
             WHERE resource_id = '{payment}'"
        ),
    );
    sql(
        &gw,
        &format!(
            "UPDATE payments SET driver = '0b8f9b7e-9c9f-4d35-9d2a-2f2a4c0c0a12' \
             WHERE id = '{payment}'"
        ),
    );
    let (status, done) = gw
        .post_as(&session, "/v1/payments", "bill-crash", body)
        .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(
        gw.wallet_balance(&session).await,
        2_000_000 - e2e::BILL_250_KWH
    );
    let collection = gw.biller_collection("EVNHANOI").await;
    assert_eq!(collection["balance"], e2e::BILL_250_KWH);
}

/// Webhooks go out concurrently, one merchant's in order: a merchant whose endpoint
/// takes seconds to answer delays nobody else's.
#[tokio::test]
async fn a_slow_merchant_delays_no_other_merchants_webhooks() {
    let gw = start_for_merchants(&[]).await;
    let slow_hooks = WebhookReceiver::start_with(0, Duration::from_secs(3)).await;
    let fast_hooks = WebhookReceiver::start(0).await;
    let slow = gw.onboard_merchant(Some(&slow_hooks.url)).await;
    let fast = gw.onboard_merchant(Some(&fast_hooks.url)).await;
    let who = Citizen::hanoi(67);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000067", 5_000_000, 1_000_000)
        .await;
    let mut slow_ids = Vec::new();
    for i in 0..3 {
        let r = new_request(
            &gw,
            &slow,
            &format!("s{i}"),
            json!({"amount": 1_000, "order_ref": "S"}),
        )
        .await;
        let id = r["id"].as_str().unwrap().to_string();
        assert_eq!(
            pay_request(&gw, &session, &format!("ps{i}"), &id).await.0,
            201
        );
        slow_ids.push(id);
    }
    let r = new_request(&gw, &fast, "f", json!({"amount": 1_000, "order_ref": "F"})).await;
    let fast_id = r["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    assert_eq!(pay_request(&gw, &session, "pf", &fast_id).await.0, 201);
    fast_hooks.wait_for("payment_request.paid", &fast_id).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the fast merchant waited {:?}",
        started.elapsed()
    );
    for id in &slow_ids {
        slow_hooks.wait_for("payment_request.paid", id).await;
    }
    let order: Vec<String> = slow_hooks
        .received()
        .iter()
        .map(|w| w.json["data"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, slow_ids, "one merchant's events arrive in order");
}

/// Too many requests from one citizen in a second: 429 with `Retry-After`.
#[tokio::test]
async fn a_citizen_over_the_rate_limit_is_told_when_to_retry() {
    let gw = TestGateway::start_with(HashMap::from([("RATE_LIMIT_CITIZEN_PER_SECOND", "5")])).await;
    let session = gw.sign_in(&Citizen::hanoi(68), 2).await;
    let mut limited = None;
    for _ in 0..20 {
        let res = gw
            .client
            .get(gw.url("/v1/me"))
            .bearer_auth(&session.token)
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("a 429 within 20 requests at a limit of 5 a second");
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

/// Idempotency records are kept at least 24 hours and then pruned, with delivered
/// webhooks after 30 days and bill inquiries nobody paid after 90.
#[tokio::test]
async fn old_records_are_pruned_and_recent_ones_kept() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(69);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000069", 5_000_000, 1_000_000)
        .await;
    let (status, _) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "recent",
            json!({"amount": 1_000, "bank_link_id": link}),
        )
        .await;
    assert_eq!(status, 201);
    sql(
        &gw,
        "UPDATE idempotency_keys SET created_at = now() - interval '26 hours' WHERE key <> 'recent'",
    );
    let mut conn = diesel::pg::PgConnection::establish(&gw.database_url).unwrap();
    let pruned = gateway::background::prune_expired(&mut conn, chrono::Utc::now()).unwrap();
    assert!(pruned.keys >= 1, "{pruned:?}");
    // The recent one still replays.
    let res = gw
        .client
        .post(gw.url("/v1/me/withdrawals"))
        .bearer_auth(&session.token)
        .header("idempotency-key", "recent")
        .json(&json!({"amount": 1_000, "bank_link_id": link}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");

    // Bill inquiries: one paid and one never paid, both 91 days old; a webhook event
    // delivered 31 days ago and one delivered now.
    gw.evn_bill("PD00000000069", "Nguyễn Văn Cũ", "2025-06", 100)
        .await;
    let paid = bill_id(&gw, &session, "PD00000000069").await;
    let (status, _) = e2e::pay_bill(&gw, &session, "old-bill", &paid).await;
    assert_eq!(status, 201);
    gw.evn_bill("PD00000000070", "Nguyễn Văn Chưa", "2025-06", 100)
        .await;
    let unpaid = bill_id(&gw, &session, "PD00000000070").await;
    sql(
        &gw,
        "UPDATE bill_inquiries SET created_at = now() - interval '91 days'",
    );
    let merchant = gw.onboard_merchant(None).await;
    for (id, delivered) in [("evt_old", "31 days"), ("evt_new", "0 days")] {
        sql(
            &gw,
            &format!(
                "INSERT INTO merchant_webhook_events (id, merchant_id, event_type, body, created_at, \
                 attempts, next_attempt_at, delivered_at) VALUES ('{id}', '{}', 'payment_request.paid', \
                 '{{}}', now(), 1, now(), now() - interval '{delivered}')",
                merchant.id
            ),
        );
    }
    let pruned = gateway::background::prune_expired(&mut conn, chrono::Utc::now()).unwrap();
    assert_eq!((pruned.inquiries, pruned.webhooks), (1, 1), "{pruned:?}");
    let left = |table: &str, id: &str| {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = diesel::pg::PgConnection::establish(&gw.database_url).unwrap();
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM {table} WHERE id = '{id}'"
        ))
        .get_result::<N>(&mut c)
        .unwrap()
        .n
    };
    assert_eq!(
        left("bill_inquiries", &paid),
        1,
        "a paid bill's inquiry stays"
    );
    assert_eq!(left("bill_inquiries", &unpaid), 0);
    assert_eq!(left("merchant_webhook_events", "evt_new"), 1);
    assert_eq!(left("merchant_webhook_events", "evt_old"), 0);
}

/// A step-up confirms a payment only while the citizen's VNeID account is at level 2.
#[tokio::test]
async fn a_step_up_is_refused_once_the_level_has_dropped() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(70);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000070", 50_000_000, 0)
        .await;
    let (status, pending) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "big",
            json!({"amount": 15_000_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(status, 201, "{pending}");
    assert_eq!(pending["status"], "requires_step_up");
    let payment = pending["id"].as_str().unwrap();
    // VNeID now reports level 1 (the citizen signs in again at that level).
    gw.sign_in(&who, 1).await;
    let step_up = gw
        .assertion(&who, 2, "biometric", json!({ "nonce": payment }))
        .await;
    let refused = gw
        .post_as(
            &session,
            &format!("/v1/payments/{payment}/confirm"),
            "confirm-big",
            json!({ "assertion": step_up }),
        )
        .await;
    assert_error(&refused, 403, "vneid_level_insufficient");
}

/// A phone number two citizens share names nobody: pay by CCCD number instead.
#[tokio::test]
async fn a_phone_shared_by_two_citizens_is_refused() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(71);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000071", 5_000_000, 100_000)
        .await;
    let mut first = Citizen::saigon(72);
    let mut second = Citizen::saigon(73);
    first.phone = "0700000072".into();
    second.phone = "0700000072".into();
    gw.sign_in(&first, 2).await;
    gw.sign_in(&second, 2).await;
    let refused = gw
        .post_as(
            &session,
            "/v1/payments",
            "by-phone",
            json!({"type": "transfer", "amount": 1_000, "payee": {"phone": "0700000072"}}),
        )
        .await;
    assert_error(&refused, 422, "payee_phone_ambiguous");
    assert_eq!(gw.wallet_balance(&session).await, 100_000);
}

/// Where the gateway read api.md differently: paged billers, a bill's stable id, an
/// empty customer code, an unknown account id, and a request read after its expiry.
#[tokio::test]
async fn the_api_keeps_to_its_contract() {
    let gw = start_for_merchants(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
    let (status, page) = gw.get("/v1/billers?limit=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["has_more"], true);
    let first = page["data"][0]["code"].as_str().unwrap();
    let (_, next) = gw
        .get(
            &format!("/v1/billers?limit=100&starting_after={first}"),
            None,
        )
        .await;
    assert!(next["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["code"] != first));
    assert_eq!(next["has_more"], false);

    let session = gw.sign_in(&Citizen::hanoi(74), 2).await;
    gw.evn_bill("PD01000000074", "Nguyễn Văn 74", "2025-06", 100)
        .await;
    let once = bill_id(&gw, &session, "PD01000000074").await;
    let twice = bill_id(&gw, &session, "PD01000000074").await;
    assert_eq!(once, twice, "the same bill keeps its id");
    let empty = e2e::inquire(&gw, &session, json!({"customer_code": ""})).await;
    assert_error(&empty, 400, "invalid_customer_code");

    let (status, unknown) = gw
        .get("/v1/accounts/acc_doesnotexist0000", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 404, "{unknown}");
    assert_eq!(unknown["error"]["code"], "account_not_found");

    let m: Merchant = gw.onboard_merchant(None).await;
    let r = new_request(
        &gw,
        &m,
        "short",
        json!({"amount": 1_000, "order_ref": "X", "expires_in_seconds": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let read = request_status(&gw, &m, r["id"].as_str().unwrap()).await;
    assert_eq!(read["status"], "expired");
}
