//! The citizen wallet end to end: sessions, bank links, top-ups, transfers and
//! withdrawals; the VNeID level; step-up confirmation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::{assert_error, Citizen, TestGateway, ADMIN_TOKEN};
use serde_json::json;

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
        .transfer_to_cccd(&session, "big", 10_000_001, &payee.cccd)
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
        .transfer_to_cccd(&session, "big2", 8_000_000, &payee.cccd)
        .await;
    // 9,000,000 top-up + 8,000,000 = 17,000,000: under the day's 20,000,000.
    assert_eq!(small_big["status"], "succeeded", "{small_big}");
    let (_, over_day) = gw
        .transfer_to_cccd(&session, "big3", 1_000_000, &payee.cccd)
        .await;
    assert_eq!(over_day["status"], "succeeded", "18,000,000 today: fine");
    let (_, needs) = gw
        .transfer_to_cccd(&session, "big4", 2_000_001, &payee.cccd)
        .await;
    assert_eq!(
        needs["status"], "requires_step_up",
        "above 20,000,000 today"
    );
    let id = needs["id"].as_str().unwrap();
    let (_, funding) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(funding["wallet"]["balance"], 0);
    // The wallet is empty: the confirmed transfer fails for funds, and is recorded.
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
        .transfer_to_cccd(&session, "t", 12_000_000, &payee.cccd)
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
async fn a_citizen_reads_their_own_wallet_account_and_no_one_elses() {
    let gw = TestGateway::start().await;
    let (session, _) = gw
        .funded_citizen(&Citizen::hanoi(30), "0011000000030", 1_000_000, 400_000)
        .await;
    let other = gw.sign_in(&Citizen::saigon(31), 2).await;
    let mine = session.identity["wallet_account_id"].as_str().unwrap();
    let (status, account) = gw
        .get(&format!("/v1/accounts/{mine}"), Some(&session.token))
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["balance"], 400_000);
    let (status, entries) = gw
        .get(
            &format!("/v1/accounts/{mine}/entries"),
            Some(&session.token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(entries["data"][0]["direction"], "credit");
    assert_eq!(entries["data"][0]["amount"], 400_000);
    assert_error(
        &gw.get(&format!("/v1/accounts/{mine}"), Some(&other.token))
            .await,
        404,
        "account_not_found",
    );
    assert_error(
        &gw.get(&format!("/v1/accounts/{mine}/entries"), Some(&other.token))
            .await,
        404,
        "account_not_found",
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_at_once() {
    let gw = TestGateway::start().await;
    let session = gw.sign_in(&Citizen::hanoi(32), 2).await;
    assert_eq!(gw.get("/v1/me", Some(&session.token)).await.0, 200);
    let res = gw
        .client
        .delete(gw.url("/v1/sessions/current"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_error(
        &gw.get("/v1/me", Some(&session.token)).await,
        401,
        "unauthenticated",
    );
    let again = gw
        .client
        .delete(gw.url("/v1/sessions/current"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
}
