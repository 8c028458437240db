//! Bills end to end: the biller catalogue, inquiries at the EVN and water simulators,
//! paying through `POST /v1/payments` with the money held toward the biller's
//! collection account, and every way that can go wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use e2e::{
    assert_error, balance_and_available, bill_id, inquire, pay_bill, Citizen, TestGateway,
    BILL_250_KWH,
};
use serde_json::{json, Value};

#[tokio::test]
async fn the_biller_catalogue_is_public() {
    let gw = TestGateway::start().await;
    let (status, body) = gw.get("/v1/billers", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["has_more"], false);
    let billers = body["data"].as_array().unwrap();
    assert_eq!(billers.len(), 9);
    let hanoi = billers.iter().find(|b| b["code"] == "EVNHANOI").unwrap();
    assert_eq!(hanoi["kind"], "electricity");
    assert_eq!(hanoi["customer_code_pattern"], "^PD[0-9]{11}$");
    assert!(hanoi["name"].as_str().unwrap().contains("Hanoi"));
    for kind in [
        "electricity",
        "water",
        "social_insurance",
        "health_insurance",
    ] {
        assert!(billers.iter().any(|b| b["kind"] == kind), "{kind}");
    }
}

#[tokio::test]
async fn an_electricity_bill_is_inquired_paid_and_collected() {
    let gw = TestGateway::start().await;
    let issued = gw
        .evn_bill("PD00000000001", "Nguyễn Văn Điện", "2025-06", 250)
        .await;
    assert_eq!(issued["amount_due"], BILL_250_KWH);
    let bill_ref = issued["bill_ref"].as_str().unwrap().to_string();

    // Level 1 may inquire but not pay.
    let reader = gw.sign_in(&Citizen::hanoi(201), 1).await;
    let (status, bill) = inquire(&gw, &reader, json!({"customer_code": "PD00000000001"})).await;
    assert_eq!(status, 200, "{bill}");
    assert!(bill["bill_id"].as_str().unwrap().starts_with("bill_"));
    assert!(bill["bill_id"].as_str().unwrap().len() <= 24);
    assert_eq!(bill["biller_code"], "EVNHANOI");
    assert_eq!(bill["customer_code"], "PD00000000001");
    assert_eq!(bill["customer_name"], "Nguyễn Văn Điện");
    assert_eq!(bill["period"], "2025-06");
    assert_eq!(bill["amount_due"], BILL_250_KWH);
    assert_eq!(bill["status"], "unpaid");
    assert_eq!(bill["details"]["consumption"], 250);
    assert_eq!(bill["details"]["subtotal"], 589_600);
    assert_eq!(bill["details"]["vat"], 47_168);
    assert_eq!(bill["details"]["lines"].as_array().unwrap().len(), 4);
    let read_only = bill["bill_id"].as_str().unwrap();
    assert_error(
        &pay_bill(&gw, &reader, "l1", read_only).await,
        403,
        "vneid_level_insufficient",
    );

    let (payer, _) = gw
        .funded_citizen(&Citizen::hanoi(202), "0011000000202", 5_000_000, 1_000_000)
        .await;
    let bill_id = bill_id(&gw, &payer, "PD00000000001").await;
    let (status, paid) = pay_bill(&gw, &payer, "bill-1", &bill_id).await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["type"], "bill");
    assert_eq!(paid["amount"], BILL_250_KWH);
    assert_eq!(paid["fee"], 0);
    assert_eq!(paid["status"], "succeeded");
    let history: Vec<&str> = paid["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["pending", "succeeded"]);
    let receipt = &paid["receipt"];
    assert_eq!(receipt["biller_code"], "EVNHANOI");
    assert_eq!(receipt["customer_code"], "PD00000000001");
    assert_eq!(receipt["customer_name"], "Nguyễn Văn Điện");
    assert_eq!(receipt["period"], "2025-06");
    assert_eq!(receipt["bill_ref"], bill_ref.as_str());
    assert_eq!(receipt["amount"], BILL_250_KWH);
    assert!(receipt["biller_transaction_id"].as_str().is_some());
    let lines = receipt["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines
            .iter()
            .map(|l| l["amount"].as_i64().unwrap())
            .sum::<i64>(),
        BILL_250_KWH
    );
    assert!(lines
        .iter()
        .any(|l| l["label"].as_str().unwrap().starts_with("VAT 8") && l["amount"] == 47_168));
    let payment_id = paid["id"].as_str().unwrap().to_string();

    // The wallet paid, the biller's collection account holds it, the bill is cleared.
    assert_eq!(
        balance_and_available(&gw, &payer).await,
        (1_000_000 - BILL_250_KWH, 1_000_000 - BILL_250_KWH)
    );
    let collection = gw.biller_collection("EVNHANOI").await;
    assert_eq!(collection["balance"], BILL_250_KWH);
    assert_eq!(collection["credits_pending"], 0);
    let (_, at_evn) = gw.simulator_get(&format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(at_evn["status"], "paid");
    assert_eq!(at_evn["payment"]["reference"], payment_id.as_str());
    assert_eq!(
        at_evn["payment"]["biller_transaction_id"],
        receipt["biller_transaction_id"]
    );

    // Replays answer the same payment; reading it shows the receipt too.
    let (status, again) = pay_bill(&gw, &payer, "bill-1", &bill_id).await;
    assert_eq!((status, &again["id"]), (201, &paid["id"]));
    let (status, read) = gw
        .get(&format!("/v1/payments/{payment_id}"), Some(&payer.token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["receipt"], paid["receipt"]);

    // Paid once: by the same inquiry, or a fresh one that the biller answers "paid".
    let res = pay_bill(&gw, &payer, "bill-2", &bill_id).await;
    assert_error(&res, 409, "bill_already_paid");
    let (_, fresh) = inquire(&gw, &payer, json!({"customer_code": "PD00000000001"})).await;
    assert_eq!(fresh["status"], "paid");
    let fresh_id = fresh["bill_id"].as_str().unwrap();
    assert_error(
        &pay_bill(&gw, &payer, "bill-3", fresh_id).await,
        409,
        "bill_already_paid",
    );

    // Bills are exempt from the monthly cap on wallet outflows.
    let (_, me) = gw.get("/v1/me", Some(&payer.token)).await;
    assert_eq!(me["usage"]["month"]["capped_outflows"], 0);
    assert_eq!(gw.wallet_balance(&payer).await, 1_000_000 - BILL_250_KWH);
}

#[tokio::test]
async fn a_bill_paid_twice_at_once_is_paid_once() {
    let gw = TestGateway::start().await;
    let issued = gw
        .evn_bill("PD00000000002", "Lê Thị Đồng Thời", "2025-07", 100)
        .await;
    let amount = issued["amount_due"].as_i64().unwrap();
    let (an, _) = gw
        .funded_citizen(&Citizen::hanoi(210), "0011000000210", 5_000_000, 1_000_000)
        .await;
    let (binh, _) = gw
        .funded_citizen(&Citizen::saigon(211), "0011000000211", 5_000_000, 1_000_000)
        .await;
    let an_bill = bill_id(&gw, &an, "PD00000000002").await;
    let binh_bill = bill_id(&gw, &binh, "PD00000000002").await;

    let (first, second, third) = tokio::join!(
        pay_bill(&gw, &an, "race-1", &an_bill),
        pay_bill(&gw, &an, "race-2", &an_bill),
        pay_bill(&gw, &binh, "race-3", &binh_bill),
    );
    let results = [first, second, third];
    let succeeded = results
        .iter()
        .filter(|(status, body)| *status == 201 && body["status"] == "succeeded")
        .count();
    assert_eq!(succeeded, 1, "{results:?}");
    for refused in results.iter().filter(|(status, _)| *status != 201) {
        assert_error(refused, 409, "bill_already_paid");
    }

    // One debit in all, and no hold left behind.
    let (an_balance, an_available) = balance_and_available(&gw, &an).await;
    let (binh_balance, binh_available) = balance_and_available(&gw, &binh).await;
    assert_eq!(an_balance + binh_balance, 2_000_000 - amount);
    assert_eq!((an_available, binh_available), (an_balance, binh_balance));
    let collection = gw.biller_collection("EVNHANOI").await;
    assert_eq!(collection["balance"], amount);
    assert_eq!(collection["credits_pending"], 0);
}

#[tokio::test]
async fn a_biller_that_does_not_answer_leaves_the_payment_pending_until_it_does() {
    let gw = TestGateway::start().await;
    let issued = gw
        .evn_bill("PD00000000003", "Phạm Văn Chờ", "2025-06", 250)
        .await;
    let bill_ref = issued["bill_ref"].as_str().unwrap().to_string();
    let (session, _) = gw
        .funded_citizen(&Citizen::hanoi(220), "0011000000220", 5_000_000, 1_000_000)
        .await;
    let bill_id = bill_id(&gw, &session, "PD00000000003").await;

    gw.biller_faults("evn", "unavailable", 0).await;
    let down = inquire(&gw, &session, json!({"customer_code": "PD00000000003"})).await;
    assert_error(&down, 503, "service_unavailable");
    let (status, pending) = pay_bill(&gw, &session, "slow", &bill_id).await;
    assert_eq!(
        (status, pending["status"].as_str()),
        (201, Some("pending")),
        "{pending}"
    );
    assert!(pending["receipt"]["biller_transaction_id"].is_null());
    assert_eq!(
        balance_and_available(&gw, &session).await,
        (1_000_000, 1_000_000 - BILL_250_KWH)
    );
    assert_eq!(
        gw.biller_collection("EVNHANOI").await["credits_pending"],
        BILL_250_KWH
    );

    // When EVN answers again, the resumer pays the bill with the same reference.
    gw.biller_faults("evn", "none", 0).await;
    let id = pending["id"].as_str().unwrap();
    let settled = gw.settled_payment(&session, id, 40).await;
    assert_eq!(settled["status"], "succeeded", "{settled}");
    assert!(settled["receipt"]["biller_transaction_id"].is_string());
    assert_eq!(
        balance_and_available(&gw, &session).await,
        (1_000_000 - BILL_250_KWH, 1_000_000 - BILL_250_KWH)
    );
    assert_eq!(
        gw.biller_collection("EVNHANOI").await["balance"],
        BILL_250_KWH
    );
    let (_, at_evn) = gw.simulator_get(&format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(at_evn["payment"]["reference"], id);
}

#[tokio::test]
async fn a_biller_that_clears_the_bill_but_answers_too_late_is_asked_again() {
    let gw = TestGateway::start_with(HashMap::from([("OUTSIDE_TIMEOUT_MS", "500")])).await;
    let issued = gw
        .evn_bill("PD00000000008", "Ngô Văn Muộn", "2025-06", 250)
        .await;
    let bill_ref = issued["bill_ref"].as_str().unwrap().to_string();
    let (session, _) = gw
        .funded_citizen(&Citizen::hanoi(225), "0011000000225", 5_000_000, 1_000_000)
        .await;
    let bill_id = bill_id(&gw, &session, "PD00000000008").await;

    // EVN records the payment, then answers after our timeout: the outcome is unknown.
    gw.biller_faults("evn", "timeout", 2_000).await;
    let (status, pending) = pay_bill(&gw, &session, "late-answer", &bill_id).await;
    assert_eq!(
        (status, pending["status"].as_str()),
        (201, Some("pending")),
        "{pending}"
    );
    let (_, at_evn) = gw.simulator_get(&format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(at_evn["status"], "paid");
    assert_eq!(
        balance_and_available(&gw, &session).await,
        (1_000_000, 1_000_000 - BILL_250_KWH)
    );

    // Asked again with the same reference, EVN answers from its record: paid once.
    gw.biller_faults("evn", "none", 0).await;
    let id = pending["id"].as_str().unwrap();
    let settled = gw.settled_payment(&session, id, 40).await;
    assert_eq!(settled["status"], "succeeded", "{settled}");
    assert_eq!(
        settled["receipt"]["biller_transaction_id"],
        at_evn["payment"]["biller_transaction_id"]
    );
    assert_eq!(gw.wallet_balance(&session).await, 1_000_000 - BILL_250_KWH);
    assert_eq!(
        gw.biller_collection("EVNHANOI").await["balance"],
        BILL_250_KWH
    );
}

#[tokio::test]
async fn a_bill_paid_elsewhere_is_refused_and_its_hold_voided() {
    let gw = TestGateway::start().await;
    let issued = gw
        .evn_bill("PD00000000004", "Hoàng Văn Quầy", "2025-06", 250)
        .await;
    let (session, _) = gw
        .funded_citizen(&Citizen::hanoi(230), "0011000000230", 5_000_000, 1_000_000)
        .await;
    let bill_id = bill_id(&gw, &session, "PD00000000004").await;

    // Paid at a counter after our inquiry: only EVN knows.
    let (status, counter) = gw
        .simulator_post(
            "/evn/v1/payments",
            json!({
                "biller_code": "EVNHANOI", "bill_ref": issued["bill_ref"],
                "amount": BILL_250_KWH, "reference": "counter-0001",
            }),
        )
        .await;
    assert_eq!(status, 200, "{counter}");

    let refused = pay_bill(&gw, &session, "late", &bill_id).await;
    assert_error(&refused, 409, "bill_already_paid");
    let payment_id = refused.1["error"]["details"]["payment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, failed) = gw
        .get(&format!("/v1/payments/{payment_id}"), Some(&session.token))
        .await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_code"], "bill_already_paid");
    let history: Vec<&str> = failed["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["pending", "failed"]);
    assert_eq!(
        balance_and_available(&gw, &session).await,
        (1_000_000, 1_000_000)
    );
    let collection = gw.biller_collection("EVNHANOI").await;
    assert_eq!(
        (&collection["balance"], &collection["credits_pending"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test]
async fn a_wallet_that_cannot_cover_the_bill_leaves_it_payable() {
    let gw = TestGateway::start().await;
    gw.evn_bill("PD00000000006", "Đỗ Văn Thiếu", "2025-06", 250)
        .await;
    let (session, link) = gw
        .funded_citizen(&Citizen::hanoi(240), "0011000000240", 5_000_000, 100_000)
        .await;
    let bill_id = bill_id(&gw, &session, "PD00000000006").await;
    let short = pay_bill(&gw, &session, "short", &bill_id).await;
    assert_error(&short, 422, "insufficient_funds");
    assert!(short.1["error"]["details"]["payment_id"].is_string());

    let (status, topup) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "more",
            json!({"amount": 1_000_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(status, 201, "{topup}");
    let (status, paid) = pay_bill(&gw, &session, "enough", &bill_id).await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (201, Some("succeeded")),
        "{paid}"
    );
    assert_eq!(gw.wallet_balance(&session).await, 1_100_000 - BILL_250_KWH);
}

#[tokio::test]
async fn unknown_and_malformed_customer_codes_and_bill_ids() {
    let gw = TestGateway::start().await;
    let session = gw.sign_in(&Citizen::hanoi(250), 2).await;
    let ask = |body: Value| inquire(&gw, &session, body);

    assert_error(
        &ask(json!({"customer_code": "PD99999999999"})).await,
        404,
        "bill_not_found",
    );
    assert_error(
        &ask(json!({"customer_code": "pd99999999999"})).await,
        404,
        "bill_not_found",
    );
    assert_error(
        &ask(json!({"customer_code": "PD123"})).await,
        400,
        "invalid_customer_code",
    );
    let unknown = ask(json!({"customer_code": "XZ12345678901"})).await;
    assert_error(&unknown, 400, "invalid_customer_code");
    assert_eq!(unknown.1["error"]["details"]["reason"], "unknown_prefix");
    // A digits-only code could be a CCCD number: it is never echoed back.
    let digits = ask(json!({"customer_code": "001090000250"})).await;
    assert_error(&digits, 400, "invalid_customer_code");
    assert!(!digits.1.to_string().contains("001090000250"));
    assert_error(
        &ask(json!({"customer_code": "PD00000000001", "biller_code": "EVNHCMC"})).await,
        400,
        "invalid_customer_code",
    );
    assert_error(
        &ask(json!({"customer_code": "PD00000000001", "biller_code": "NOPE"})).await,
        400,
        "unknown_biller",
    );
    assert_error(
        &ask(json!({"customer_code": "001090000250", "biller_code": "VSS_BHXH"})).await,
        400,
        "biller_has_no_bills",
    );
    assert_error(
        &ask(json!({"biller_code": "EVNHANOI"})).await,
        400,
        "invalid_request",
    );
    let anonymous = gw
        .post_raw(
            "/v1/bills/inquiry",
            None,
            &[],
            &json!({"customer_code": "PD99999999999"}).to_string(),
        )
        .await;
    assert_error(&anonymous, 401, "unauthenticated");

    // A water bill is found from its prefix too.
    let (status, water) = gw
        .simulator_post(
            "/water/bills",
            json!({
                "biller_code": "HAWACO", "customer_code": "HW00000000250",
                "customer_name": "Vũ Thị Nước", "period": "2025-06", "m3": 15,
            }),
        )
        .await;
    assert_eq!(status, 201, "{water}");
    let (status, bill) = ask(json!({"customer_code": "HW00000000250"})).await;
    assert_eq!(status, 200, "{bill}");
    assert_eq!(bill["biller_code"], "HAWACO");
    assert_eq!(bill["amount_due"], water["amount_due"]);

    assert_error(
        &pay_bill(&gw, &session, "p1", "bill_nosuchbill0000").await,
        404,
        "bill_not_found",
    );
    assert_error(
        &pay_bill(&gw, &session, "p2", "quo_0000").await,
        400,
        "invalid_id",
    );
    let missing = gw
        .post_as(&session, "/v1/payments", "p3", json!({"type": "bill"}))
        .await;
    assert_error(&missing, 400, "invalid_request");
    let no_key = gw
        .post_raw(
            "/v1/payments",
            Some(&session.token),
            &[],
            &json!({"type": "bill", "bill_id": bill["bill_id"]}).to_string(),
        )
        .await;
    assert_error(&no_key, 400, "idempotency_key_required");
}
