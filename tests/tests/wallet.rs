//! The citizen wallet end to end: sessions, bank links, top-ups, transfers,
//! withdrawals, the VNeID level, step-up, the monthly cap, idempotency and concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use e2e::{assert_error, Citizen, TestGateway, ADMIN_TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn session_link_topup_transfer_and_withdrawal() {
    let gw = TestGateway::start().await;
    let an = Citizen::hanoi(1);
    let binh = Citizen::saigon(2);
    gw.open_bank_account("970436", "0011000000001", &an, 50_000_000)
        .await;

    let session = gw.sign_in(&an, 2).await;
    let identity = &session.identity;
    assert_eq!(identity["cccd"], "001******001");
    assert_eq!(identity["gender"], "male");
    assert_eq!(identity["birth_registration_province"]["code"], "001");
    assert_eq!(identity["birth_registration_province"]["name"], "Hà Nội");
    assert_eq!(identity["vneid_level"], 2);
    assert!(identity["wallet_account_id"]
        .as_str()
        .unwrap()
        .starts_with("acc_"));

    let (status, link) = gw
        .post_raw(
            "/v1/me/bank-links",
            Some(&session.token),
            &[],
            &json!({"bank_bin": "970436", "account_number": "0011000000001"}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["bank_name"], "Vietcombank");
    let masked = link["account_number_masked"].as_str().unwrap();
    assert!(masked.ends_with("0001") && masked.contains('*') && !masked.contains("0011000"));
    let link_id = link["id"].as_str().unwrap();

    let (status, topup) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "topup-1",
            json!({"amount": 2_000_000, "source": {"bank_link_id": link_id}}),
        )
        .await;
    assert_eq!(status, 201, "{topup}");
    assert_eq!(topup["type"], "topup");
    assert_eq!(topup["status"], "succeeded");
    assert_eq!(topup["fee"], 0);
    assert_eq!(gw.bank_balance("970436", "0011000000001").await, 48_000_000);
    assert_eq!(gw.wallet_balance(&session).await, 2_000_000);

    let binh_session = gw.sign_in(&binh, 2).await;
    let (status, transfer) = gw
        .post_as(&session, "/v1/payments", "t-1", json!({"type": "transfer", "amount": 300_000, "payee": {"cccd": binh.cccd}, "note": "tiền ăn"}))
        .await;
    assert_eq!(status, 201, "{transfer}");
    assert_eq!(transfer["status"], "succeeded");
    assert_eq!(transfer["payee"]["cccd"], "079******002");
    assert_eq!(gw.wallet_balance(&binh_session).await, 300_000);

    let (status, by_phone) = gw
        .post_as(
            &session,
            "/v1/payments",
            "t-2",
            json!({"type": "transfer", "amount": 100_000, "payee": {"phone": binh.phone}}),
        )
        .await;
    assert_eq!(
        (status, by_phone["status"].as_str()),
        (201, Some("succeeded")),
        "{by_phone}"
    );

    let (status, withdrawal) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "w-1",
            json!({"amount": 600_000, "bank_link_id": link_id}),
        )
        .await;
    assert_eq!(status, 201, "{withdrawal}");
    assert_eq!(withdrawal["status"], "succeeded");
    let history: Vec<&str> = withdrawal["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["pending", "succeeded"]);
    assert_eq!(gw.bank_balance("970436", "0011000000001").await, 48_600_000);
    assert_eq!(gw.wallet_balance(&session).await, 1_000_000);

    let (status, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["usage"]["today"]["total"], 3_000_000);
    assert_eq!(me["usage"]["month"]["capped_outflows"], 1_000_000);
    assert_eq!(me["usage"]["month"]["cap"], 100_000_000);
    assert_eq!(me["wallet"]["available"], 1_000_000);

    let (status, list) = gw
        .get("/v1/me/payments?limit=2", Some(&session.token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["has_more"], true);
    assert_eq!(list["data"][0]["id"], withdrawal["id"]);
    let after = list["data"][1]["id"].as_str().unwrap();
    let (_, rest) = gw
        .get(
            &format!("/v1/me/payments?starting_after={after}"),
            Some(&session.token),
        )
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert_eq!(rest["has_more"], false);

    // The ledger agrees, and balances.
    let (_, trial) = gw
        .get("/v1/admin/ledger/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(trial["currencies"][0]["balanced"], true);
    let (_, verify) = gw.get("/v1/admin/ledger/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(verify["ok"], true);
    // Topup, two transfers, and the withdrawal's hold and post.
    assert_eq!(verify["transfers_checked"], 5);
}

#[tokio::test]
async fn a_level_1_citizen_may_read_but_not_move_money() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(3);
    gw.open_bank_account("970436", "0011000000003", &who, 1_000_000)
        .await;
    let session = gw.sign_in(&who, 1).await;
    assert_eq!(session.identity["vneid_level"], 1);
    let (status, _) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(status, 200);
    let link = gw.link_bank(&session, "970436", "0011000000003").await;
    let topup = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "k1",
            json!({"amount": 1000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_error(&topup, 403, "vneid_level_insufficient");
    let transfer = gw
        .post_as(
            &session,
            "/v1/payments",
            "k2",
            json!({"type": "transfer", "amount": 1000, "payee": {"cccd": "079301000009"}}),
        )
        .await;
    assert_error(&transfer, 403, "vneid_level_insufficient");
    assert_eq!(gw.bank_balance("970436", "0011000000003").await, 1_000_000);
    // Signing in again at level 2 lifts the restriction.
    let upgraded = gw.sign_in(&who, 2).await;
    let (status, body) = gw
        .post_as(
            &upgraded,
            "/v1/me/topups",
            "k3",
            json!({"amount": 1000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (201, Some("succeeded")),
        "{body}"
    );
}

#[tokio::test]
async fn large_movements_need_a_biometric_step_up_bound_to_the_payment() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(4);
    let payee = Citizen::saigon(5);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000004", 90_000_000, 9_000_000)
        .await;
    gw.sign_in(&payee, 2).await;

    // Exactly 10,000,000 in one movement needs no step-up... (the 9,000,000 top-up
    // already counts toward today's 20,000,000)
    let (status, big) = gw
        .post_as(
            &session,
            "/v1/payments",
            "big",
            json!({"type": "transfer", "amount": 10_000_001, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_eq!(status, 201, "{big}");
    assert_eq!(big["status"], "requires_step_up");
    let payment_id = big["id"].as_str().unwrap().to_string();
    assert_eq!(big["step_up_nonce"], payment_id.as_str());
    assert_eq!(
        gw.wallet_balance(&session).await,
        9_000_000,
        "nothing moves before the step-up"
    );

    let confirm = |assertion: String, key: &'static str| {
        let gw = &gw;
        let session = &session;
        let path = format!("/v1/payments/{payment_id}/confirm");
        async move {
            gw.post_as(session, &path, key, json!({ "assertion": assertion }))
                .await
        }
    };
    // A password assertion, a biometric one for another payment, another citizen's.
    let password = gw
        .assertion(&payer, 2, "password", json!({"nonce": payment_id}))
        .await;
    assert_error(&confirm(password, "c1").await, 403, "step_up_failed");
    let other_nonce = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": "pay_other"}))
        .await;
    assert_error(&confirm(other_nonce, "c2").await, 403, "step_up_failed");
    let someone_else = gw
        .assertion(&payee, 2, "biometric", json!({"nonce": payment_id}))
        .await;
    assert_error(&confirm(someone_else, "c3").await, 403, "step_up_failed");
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl".to_string();
    assert_error(&confirm(forged, "c4").await, 401, "invalid_assertion");

    // Fund the wallet enough, then confirm properly.
    let good = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": payment_id}))
        .await;
    let (status, done) = confirm(good.clone(), "c5").await;
    // The wallet holds 9,000,000: the confirmed transfer fails for funds, recorded.
    assert_error(&(status, done.clone()), 422, "insufficient_funds");
    assert_eq!(done["error"]["details"]["payment_id"], payment_id.as_str());
    // The same assertion again is a replay.
    assert_error(&confirm(good, "c6").await, 401, "invalid_assertion");

    // A fresh step-up payment that the wallet can afford.
    let (_, small_big) = gw
        .post_as(
            &session,
            "/v1/payments",
            "big2",
            json!({"type": "transfer", "amount": 8_000_000, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    // 9,000,000 top-up + 8,000,000 = 17,000,000: under the day's 20,000,000.
    assert_eq!(small_big["status"], "succeeded", "{small_big}");
    let (_, over_day) = gw
        .post_as(
            &session,
            "/v1/payments",
            "big3",
            json!({"type": "transfer", "amount": 1_000_000, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_eq!(over_day["status"], "succeeded", "18,000,000 today: fine");
    let (_, needs) = gw
        .post_as(
            &session,
            "/v1/payments",
            "big4",
            json!({"type": "transfer", "amount": 2_000_001, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_eq!(
        needs["status"], "requires_step_up",
        "above 20,000,000 today"
    );
    let id = needs["id"].as_str().unwrap();
    let (_, funding) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(funding["wallet"]["balance"], 0);
    let link = gw.link_bank(&session, "970436", "0011000000004").await;
    // Topping up 5,000,000 also needs a step-up now; skip it: confirm fails for funds.
    let _ = link;
    let bio = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": id}))
        .await;
    let res = gw
        .post_as(
            &session,
            &format!("/v1/payments/{id}/confirm"),
            "c7",
            json!({"assertion": bio}),
        )
        .await;
    assert_error(&res, 422, "insufficient_funds");
    // Confirming a payment that no longer awaits a step-up is a conflict.
    let again = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": id}))
        .await;
    let res = gw
        .post_as(
            &session,
            &format!("/v1/payments/{id}/confirm"),
            "c8",
            json!({"assertion": again}),
        )
        .await;
    assert_error(&res, 409, "payment_not_awaiting_step_up");
}

#[tokio::test]
async fn a_confirmed_step_up_moves_the_money() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(14);
    let payee = Citizen::saigon(15);
    let (session, link) = gw
        .funded_citizen(&payer, "0011000000014", 90_000_000, 0)
        .await;
    let payee_session = gw.sign_in(&payee, 2).await;
    let (status, topup) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "big-topup",
            json!({"amount": 15_000_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(
        (status, topup["status"].as_str()),
        (201, Some("requires_step_up"))
    );
    let id = topup["id"].as_str().unwrap();
    let bio = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": id}))
        .await;
    let (status, done) = gw
        .post_as(
            &session,
            &format!("/v1/payments/{id}/confirm"),
            "ok",
            json!({"assertion": bio}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(gw.wallet_balance(&session).await, 15_000_000);
    assert_eq!(gw.bank_balance("970436", "0011000000014").await, 75_000_000);

    let (_, t) = gw
        .post_as(
            &session,
            "/v1/payments",
            "t",
            json!({"type": "transfer", "amount": 12_000_000, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    let id = t["id"].as_str().unwrap();
    let bio = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": id}))
        .await;
    let (status, done) = gw
        .post_as(
            &session,
            &format!("/v1/payments/{id}/confirm"),
            "ok2",
            json!({"assertion": bio}),
        )
        .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("succeeded")),
        "{done}"
    );
    assert_eq!(gw.wallet_balance(&payee_session).await, 12_000_000);
}

#[tokio::test]
async fn the_monthly_cap_counts_outflows_only_and_allows_reaching_it_exactly() {
    let gw = TestGateway::start_with(HashMap::from([("MONTHLY_OUTFLOW_CAP", "1000000")])).await;
    let payer = Citizen::hanoi(6);
    let payee = Citizen::saigon(7);
    let (session, link) = gw
        .funded_citizen(&payer, "0011000000006", 10_000_000, 3_000_000)
        .await;
    gw.sign_in(&payee, 2).await;
    let pay = |amount: i64, key: &'static str| {
        let (gw, session, cccd) = (&gw, &session, payee.cccd.clone());
        async move {
            gw.post_as(
                session,
                "/v1/payments",
                key,
                json!({"type": "transfer", "amount": amount, "payee": {"cccd": cccd}}),
            )
            .await
        }
    };
    assert_eq!(pay(600_000, "a").await.1["status"], "succeeded");
    let (status, w) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "w",
            json!({"amount": 300_000, "bank_link_id": link}),
        )
        .await;
    assert_eq!((status, w["status"].as_str()), (201, Some("succeeded")));
    let refused = pay(100_001, "b").await;
    assert_error(&refused, 422, "monthly_limit_exceeded");
    assert_eq!(refused.1["error"]["details"]["used"], 900_000);
    assert_eq!(
        pay(100_000, "c").await.1["status"],
        "succeeded",
        "exactly the cap is allowed"
    );
    assert_error(&pay(1, "d").await, 422, "monthly_limit_exceeded");
    // Top-ups are inflows and never capped.
    let (status, t) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "t",
            json!({"amount": 500_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!((status, t["status"].as_str()), (201, Some("succeeded")));
    // A refused request replays its refusal.
    let replay = gw
        .post_as(
            &session,
            "/v1/payments",
            "b",
            json!({"type": "transfer", "amount": 100_001, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_error(&replay, 422, "monthly_limit_exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_transfers_never_overdraw_the_wallet() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(8);
    let payee = Citizen::saigon(9);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000008", 10_000_000, 1_000_000)
        .await;
    let payee_session = gw.sign_in(&payee, 2).await;
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let (client, url, token, cccd) = (
                gw.client.clone(),
                gw.url("/v1/payments"),
                session.token.clone(),
                payee.cccd.clone(),
            );
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", format!("race-{i}"))
                    .json(&json!({"type": "transfer", "amount": 30_000, "payee": {"cccd": cccd}}))
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut accepted = Vec::new();
    let mut refused = 0;
    for call in calls {
        let (status, body) = call.await.unwrap();
        match status {
            201 => {
                assert_eq!(body["status"], "succeeded");
                accepted.push(body["id"].as_str().unwrap().to_string());
            }
            422 => {
                assert_eq!(body["error"]["code"], "insufficient_funds");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // 1,000,000 / 30,000 = 33 fit.
    assert_eq!(accepted.len(), 33);
    assert_eq!(refused, 67);
    assert_eq!(gw.wallet_balance(&session).await, 10_000);
    assert_eq!(gw.wallet_balance(&payee_session).await, 990_000);
    let mut ids = accepted.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 33, "every accepted transfer recorded once");
    let (_, verify) = gw.get("/v1/admin/ledger/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(
        verify["transfers_checked"], 34,
        "one top-up and 33 transfers"
    );
}

#[tokio::test]
async fn idempotency_replays_refuses_another_body_and_a_key_in_flight() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(10);
    let payee = Citizen::saigon(11);
    let (session, link) = gw
        .funded_citizen(&payer, "0011000000010", 10_000_000, 1_000_000)
        .await;
    gw.sign_in(&payee, 2).await;
    let body = json!({"type": "transfer", "amount": 250_000, "payee": {"cccd": payee.cccd}});
    let first = gw
        .post_as(&session, "/v1/payments", "same-key", body.clone())
        .await;
    assert_eq!(first.0, 201);
    // Same key, same JSON value (keys in another order): the stored response again.
    let reordered = r#"{"payee": {"cccd": "PAYEE"}, "amount": 250000, "type": "transfer"}"#
        .replace("PAYEE", &payee.cccd);
    let res = gw
        .client
        .post(gw.url("/v1/payments"))
        .bearer_auth(&session.token)
        .header("idempotency-key", "same-key")
        .header("content-type", "application/json")
        .body(reordered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.json::<Value>().await.unwrap(), first.1);
    assert_eq!(gw.wallet_balance(&session).await, 750_000, "moved once");

    let other = gw
        .post_as(
            &session,
            "/v1/payments",
            "same-key",
            json!({"type": "transfer", "amount": 250_001, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_error(&other, 422, "idempotency_key_reused");

    // Keys are per principal: another citizen may use the same key.
    let (other_session, _) = gw
        .funded_citizen(&Citizen::hanoi(12), "0011000000012", 1_000_000, 0)
        .await;
    let theirs = gw
        .post_as(&other_session, "/v1/payments", "same-key", body.clone())
        .await;
    assert_error(&theirs, 422, "insufficient_funds");

    // A request still running holds its key.
    gw.bank_faults("none", 1_500).await;
    let slow = {
        let (client, url, token, link) = (
            gw.client.clone(),
            gw.url("/v1/me/topups"),
            session.token.clone(),
            link.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "slow")
                .json(&json!({"amount": 5_000, "source": {"bank_link_id": link}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let busy = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "slow",
            json!({"amount": 5_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_error(&busy, 409, "idempotency_key_in_progress");
    assert_eq!(slow.await.unwrap(), 201);
    gw.bank_faults("none", 0).await;
    let done = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "slow",
            json!({"amount": 5_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(done.0, 201);
    assert_eq!(gw.wallet_balance(&session).await, 755_000);

    // Input errors are not stored: the key can be retried with a good body.
    let bad = gw
        .post_as(
            &session,
            "/v1/payments",
            "fix-me",
            json!({"type": "transfer", "amount": "12", "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_error(&bad, 400, "invalid_amount");
    let fixed = gw
        .post_as(
            &session,
            "/v1/payments",
            "fix-me",
            json!({"type": "transfer", "amount": 12, "payee": {"cccd": payee.cccd}}),
        )
        .await;
    assert_eq!(fixed.0, 201);
}

#[tokio::test]
async fn bank_failures_move_nothing() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(13);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000013", 100_000, 50_000)
        .await;
    // The bank refuses a top-up beyond the account's funds.
    let (status, failed) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "too-much",
            json!({"amount": 60_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(status, 201, "{failed}");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_code"], "bank_insufficient_funds");
    assert_eq!(gw.wallet_balance(&session).await, 50_000);
    assert_eq!(gw.bank_balance("970436", "0011000000013").await, 50_000);

    // The bank account is closed: the withdrawal's hold is voided, nothing moves.
    let close = gw
        .client
        .post(format!(
            "{}/napas/accounts/970436/0011000000013/close",
            gw.simulators_url
        ))
        .send()
        .await
        .unwrap();
    assert!(close.status().is_success());
    let (status, w) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "w",
            json!({"amount": 20_000, "bank_link_id": link}),
        )
        .await;
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["status"], "failed");
    assert_eq!(w["failure_code"], "bank_account_closed");
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(
        (
            me["wallet"]["balance"].as_i64(),
            me["wallet"]["available"].as_i64()
        ),
        (Some(50_000), Some(50_000))
    );

    // A bank that does not answer leaves the withdrawal pending, its funds held.
    let (_, healthy) = gw
        .funded_citizen(&Citizen::saigon(13), "0011000000099", 0, 0)
        .await;
    let _ = healthy;
    gw.bank_faults("unavailable", 0).await;
    let other = Citizen::hanoi(113);
    gw.open_bank_account("970415", "1011000000113", &other, 0)
        .await;
    let (status, w) = gw.post_as(&session, "/v1/payments", "out", json!({"type": "transfer", "amount": 10_000, "payee": {"bank_bin": "970415", "account_number": "1011000000113"}})).await;
    assert_eq!(
        (status, w["status"].as_str()),
        (201, Some("pending")),
        "{w}"
    );
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(
        (
            me["wallet"]["balance"].as_i64(),
            me["wallet"]["available"].as_i64()
        ),
        (Some(50_000), Some(40_000))
    );
    // When the bank is back, the resumer completes it.
    gw.bank_faults("none", 0).await;
    let id = w["id"].as_str().unwrap().to_string();
    let mut status = String::new();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (_, p) = gw
            .get(&format!("/v1/payments/{id}"), Some(&session.token))
            .await;
        status = p["status"].as_str().unwrap_or_default().to_string();
        if status != "pending" {
            break;
        }
    }
    assert_eq!(status, "succeeded");
    assert_eq!(gw.bank_balance("970415", "1011000000113").await, 10_000);
    assert_eq!(gw.wallet_balance(&session).await, 40_000);
}

#[tokio::test]
async fn bad_input_gets_the_documented_4xx() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(20);
    let other = Citizen::saigon(21);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000020", 1_000_000, 100_000)
        .await;
    let other_session = gw.sign_in(&other, 2).await;

    // Sessions: malformed bodies, a sub that is not a CCCD, bad and replayed assertions.
    assert_error(
        &gw.post_raw("/v1/sessions", None, &[], "{not json").await,
        400,
        "invalid_request",
    );
    assert_error(
        &gw.post_raw("/v1/sessions", None, &[], "[]").await,
        400,
        "invalid_request",
    );
    assert_error(
        &gw.post_raw("/v1/sessions", None, &[], r#"{"assertion": 5}"#)
            .await,
        400,
        "invalid_request",
    );
    let bad_cccd = Citizen {
        cccd: "000123456789".into(),
        ..who.clone()
    };
    let token = gw.assertion(&bad_cccd, 2, "password", Value::Null).await;
    assert_error(
        &gw.post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({"assertion": token}).to_string(),
        )
        .await,
        400,
        "invalid_cccd",
    );
    let expired = gw
        .assertion(
            &who,
            2,
            "password",
            json!({"iat": 1_600_000_000, "exp": 1_600_000_300}),
        )
        .await;
    assert_error(
        &gw.post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({"assertion": expired}).to_string(),
        )
        .await,
        401,
        "invalid_assertion",
    );
    let wrong_aud = gw
        .assertion(&who, 2, "password", json!({"aud": "someone-else"}))
        .await;
    assert_error(
        &gw.post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({"assertion": wrong_aud}).to_string(),
        )
        .await,
        401,
        "invalid_assertion",
    );
    let once = gw.assertion(&who, 2, "password", Value::Null).await;
    assert_eq!(
        gw.post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({"assertion": once}).to_string()
        )
        .await
        .0,
        201
    );
    assert_error(
        &gw.post_raw(
            "/v1/sessions",
            None,
            &[],
            &json!({"assertion": once}).to_string(),
        )
        .await,
        401,
        "invalid_assertion",
    );

    // Credentials.
    assert_error(&gw.get("/v1/me", None).await, 401, "unauthenticated");
    assert_error(
        &gw.get("/v1/me", Some("cit_nope")).await,
        401,
        "unauthenticated",
    );
    assert_error(&gw.get("/v1/me", Some(ADMIN_TOKEN)).await, 403, "forbidden");
    assert_error(
        &gw.get("/v1/admin/ledger/verify", Some(&session.token))
            .await,
        403,
        "forbidden",
    );

    // Amounts.
    for amount in [
        json!(1.5),
        json!(-100),
        json!(0),
        json!("1000"),
        json!(1_000_000_000_000_001i64),
        json!(null),
    ] {
        let body = json!({"type": "transfer", "amount": amount, "payee": {"cccd": other.cccd}});
        assert_error(
            &gw.post_as(&session, "/v1/payments", "amt", body).await,
            400,
            "invalid_amount",
        );
        let body = json!({"amount": amount, "source": {"bank_link_id": link}});
        assert_error(
            &gw.post_as(&session, "/v1/me/topups", "amt", body).await,
            400,
            "invalid_amount",
        );
        let body = json!({"amount": amount, "bank_link_id": link});
        assert_error(
            &gw.post_as(&session, "/v1/me/withdrawals", "amt", body)
                .await,
            400,
            "invalid_amount",
        );
    }
    // Idempotency keys.
    let body = json!({"type": "transfer", "amount": 1, "payee": {"cccd": other.cccd}}).to_string();
    assert_error(
        &gw.post_raw("/v1/payments", Some(&session.token), &[], &body)
            .await,
        400,
        "idempotency_key_required",
    );
    let long = "k".repeat(256);
    assert_error(
        &gw.post_raw(
            "/v1/payments",
            Some(&session.token),
            &[("idempotency-key", long.as_str())],
            &body,
        )
        .await,
        400,
        "idempotency_key_invalid",
    );
    // Payees.
    let invalid = json!({"type": "transfer", "amount": 1, "payee": {"cccd": "12345"}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p1", invalid).await,
        400,
        "invalid_cccd",
    );
    let unknown = json!({"type": "transfer", "amount": 1, "payee": {"cccd": "079301999999"}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p2", unknown).await,
        404,
        "payee_not_found",
    );
    let by_phone = json!({"type": "transfer", "amount": 1, "payee": {"phone": "0999999999"}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p3", by_phone).await,
        404,
        "payee_not_found",
    );
    let to_self = json!({"type": "transfer", "amount": 1, "payee": {"cccd": who.cccd}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p4", to_self).await,
        422,
        "payee_is_payer",
    );
    let both = json!({"type": "transfer", "amount": 1, "payee": {"cccd": other.cccd, "phone": other.phone}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p5", both).await,
        400,
        "invalid_request",
    );
    let kind = json!({"type": "gift", "amount": 1, "payee": {"cccd": other.cccd}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p6", kind).await,
        400,
        "invalid_request",
    );
    let poor = json!({"type": "transfer", "amount": 100_001, "payee": {"cccd": other.cccd}});
    assert_error(
        &gw.post_as(&session, "/v1/payments", "p7", poor).await,
        422,
        "insufficient_funds",
    );
    // Bank links and ids.
    let unknown_bank = json!({"bank_bin": "123456", "account_number": "0011000000020"}).to_string();
    assert_error(
        &gw.post_raw(
            "/v1/me/bank-links",
            Some(&session.token),
            &[],
            &unknown_bank,
        )
        .await,
        400,
        "invalid_request",
    );
    let missing = json!({"bank_bin": "970436", "account_number": "0011999999999"}).to_string();
    assert_error(
        &gw.post_raw("/v1/me/bank-links", Some(&session.token), &[], &missing)
            .await,
        404,
        "bank_account_not_found",
    );
    let not_mine = json!({"bank_bin": "970436", "account_number": "0011000000020"}).to_string();
    assert_error(
        &gw.post_raw(
            "/v1/me/bank-links",
            Some(&other_session.token),
            &[],
            &not_mine,
        )
        .await,
        422,
        "bank_account_holder_mismatch",
    );
    let body = json!({"amount": 1, "bank_link_id": "lnk_unknown"});
    assert_error(
        &gw.post_as(&session, "/v1/me/withdrawals", "l1", body).await,
        404,
        "bank_link_not_found",
    );
    let body = json!({"amount": 1, "bank_link_id": link});
    assert_error(
        &gw.post_as(&other_session, "/v1/me/withdrawals", "l2", body)
            .await,
        404,
        "bank_link_not_found",
    );
    assert_error(
        &gw.get("/v1/payments/pay_unknown", Some(&session.token))
            .await,
        404,
        "payment_not_found",
    );
    assert_error(
        &gw.get("/v1/payments/nope", Some(&session.token)).await,
        400,
        "invalid_id",
    );
    assert_error(
        &gw.get("/v1/me/payments?limit=0", Some(&session.token))
            .await,
        400,
        "invalid_request",
    );
    // Another citizen's payment is not found.
    let (_, list) = gw.get("/v1/me/payments", Some(&session.token)).await;
    let mine = list["data"][0]["id"].as_str().unwrap();
    assert_error(
        &gw.get(&format!("/v1/payments/{mine}"), Some(&other_session.token))
            .await,
        404,
        "payment_not_found",
    );
    let confirm = gw
        .post_as(
            &other_session,
            &format!("/v1/payments/{mine}/confirm"),
            "x",
            json!({"assertion": "a.b.c"}),
        )
        .await;
    assert_error(&confirm, 401, "invalid_assertion");
    // Nothing above moved money.
    assert_eq!(gw.wallet_balance(&session).await, 100_000);
}
