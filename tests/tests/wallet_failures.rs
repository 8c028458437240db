//! What goes wrong: an outside bank failing, and bad input on every endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::{assert_error, Citizen, TestGateway, ADMIN_TOKEN};
use serde_json::{json, Value};

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
    // The operator finds it among the pending payments, the payee masked.
    let id = w["id"].as_str().unwrap().to_string();
    let (status, pending) = gw
        .get("/v1/admin/payments?status=pending", Some(e2e::ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{pending}");
    let listed: Vec<&str> = pending["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![id.as_str()]);
    assert!(pending["data"][0]["payee"]["account_number_masked"]
        .as_str()
        .unwrap()
        .contains('*'));
    assert_error(
        &gw.get("/v1/admin/payments?status=lost", Some(e2e::ADMIN_TOKEN))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &gw.get("/v1/admin/payments", Some(&session.token)).await,
        403,
        "forbidden",
    );
    // When the bank is back, the resumer completes it.
    gw.bank_faults("none", 0).await;
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
