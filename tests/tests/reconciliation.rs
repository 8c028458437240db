//! Reconciliation end to end: real payments through the simulators, the simulators
//! made to disagree on purpose (their statement tweaks), a run per system, and each
//! kind of difference resolved through the ledger with its audit record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use chrono::Duration;
use e2e::reconciliation::{
    actions, differences, find, payment, resolve, run, run_detail, start_run, tweak, vietnam_today,
    withdraw,
};
use e2e::{
    assert_error, bill_id, control, pay_bill, start_topup, wait_for_status, Citizen, TestGateway,
    ADMIN_TOKEN,
};
use serde_json::{json, Value};

#[tokio::test]
async fn every_kind_of_difference_with_napas_is_found_and_resolved_through_the_ledger() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(300);
    let (session, link) = gw
        .funded_citizen(&payer, "0011000000300", 10_000_000, 2_000_000)
        .await;
    let (_, me) = gw.get("/v1/me/payments", Some(&session.token)).await;
    let topup = me["data"][0]["id"].as_str().unwrap().to_string();
    let w1 = withdraw(&gw, &session, &link, "w1", 300_000).await;
    let w2 = withdraw(&gw, &session, &link, "w2", 200_000).await;
    let w3 = withdraw(&gw, &session, &link, "w3", 100_000).await;
    assert_eq!(gw.wallet_balance(&session).await, 1_400_000);

    tweak(&gw, "napas", json!({"reference": w1, "change": "omit"})).await;
    tweak(
        &gw,
        "napas",
        json!({"reference": w2, "change": "amount", "amount": 190_000}),
    )
    .await;
    tweak(
        &gw,
        "napas",
        json!({"reference": w3, "change": "duplicate"}),
    )
    .await;
    tweak(
        &gw,
        "napas",
        json!({"reference": topup, "change": "status", "status": "failed"}),
    )
    .await;
    let phantom = "pay_neverhere0000001";
    tweak(
        &gw,
        "napas",
        json!({"reference": phantom, "change": "add", "amount": 55_000, "party": "credit"}),
    )
    .await;

    let detail = run(&gw, "napas").await;
    assert_eq!(detail["source"], "napas");
    assert_eq!(detail["origin"], "fetched");
    assert_eq!(detail["discrepancies"], 5, "{detail}");
    assert_eq!(detail["open"], 5);
    assert_eq!(
        detail["lines"], 5,
        "the top-up, w2, w3 twice and the phantom; w1 omitted"
    );
    let gone = find(&detail, "missing_at_them", &w1);
    assert_eq!(actions(&gone), ["reverse", "dismiss"]);
    assert_eq!(
        gone["ours"],
        json!({"amount": 300_000, "status": "settled"})
    );
    let short = find(&detail, "amount_mismatch", &w2);
    assert_eq!(
        (&short["theirs"]["amount"], &short["ours"]["amount"]),
        (&json!(190_000), &json!(200_000))
    );
    assert_eq!(actions(&short), ["reverse", "dismiss"]);
    let twice = find(&detail, "duplicate", &w3);
    assert_eq!(actions(&twice), ["dismiss"]);
    let unknown = find(&detail, "missing_at_us", phantom);
    assert_eq!(unknown["payment_id"], Value::Null);
    let failed = find(&detail, "status_mismatch", &topup);
    assert_eq!(
        (&failed["theirs"]["status"], &failed["ours"]["status"]),
        (&json!("failed"), &json!("settled"))
    );

    // NAPAS never paid out w1: it is booked back and the payment fails.
    let reason = json!({"action": "reverse", "reason": "NAPAS confirms no credit for w1 (ticket 81)", "operator": "lan.nguyen"});
    let (status, resolved) =
        resolve(&gw, gone["id"].as_str().unwrap(), "r-w1", reason.clone()).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["resolution"]["action"], "reverse");
    assert_eq!(resolved["resolution"]["operator"], "lan.nguyen");
    assert_eq!(resolved["resolution"]["amount"], 300_000);
    assert!(resolved["resolution"]["transfer_id"]
        .as_str()
        .unwrap()
        .starts_with("trf_"));
    assert_eq!(resolved["resolution"]["payment_status"], "failed");
    assert_eq!(gw.wallet_balance(&session).await, 1_700_000);
    let p = payment(&gw, &session, &w1).await;
    assert_eq!(
        (&p["status"], &p["failure_code"]),
        (&json!("failed"), &json!("reversed_by_reconciliation"))
    );
    // The same key answers the same; another key finds it resolved already.
    let (status, again) = resolve(&gw, gone["id"].as_str().unwrap(), "r-w1", reason.clone()).await;
    assert_eq!((status, &again), (200, &resolved));
    assert_error(
        &resolve(&gw, gone["id"].as_str().unwrap(), "r-w1-bis", reason).await,
        409,
        "discrepancy_already_resolved",
    );
    assert_eq!(
        gw.wallet_balance(&session).await,
        1_700_000,
        "nothing moved twice"
    );

    // NAPAS paid out 190,000 of w2: the 10,000 it did not pay goes back.
    let (status, r) = resolve(
        &gw,
        short["id"].as_str().unwrap(),
        "r-w2",
        json!({"action": "reverse", "reason": "NAPAS file shows 190,000"}),
    )
    .await;
    assert_eq!(
        (status, &r["resolution"]["amount"]),
        (200, &json!(10_000)),
        "{r}"
    );
    assert_eq!(gw.wallet_balance(&session).await, 1_710_000);
    assert_eq!(payment(&gw, &session, &w2).await["status"], "succeeded");

    // A duplicate line moves nothing here; only dismiss resolves it.
    assert_error(
        &resolve(
            &gw,
            twice["id"].as_str().unwrap(),
            "r-w3a",
            json!({"action": "credit", "reason": "x"}),
        )
        .await,
        422,
        "resolution_not_allowed",
    );
    assert_error(
        &resolve(
            &gw,
            twice["id"].as_str().unwrap(),
            "r-w3b",
            json!({"action": "dismiss"}),
        )
        .await,
        400,
        "invalid_resolution",
    );
    assert_error(
        &resolve(
            &gw,
            twice["id"].as_str().unwrap(),
            "r-w3c",
            json!({"action": "refund", "reason": "x"}),
        )
        .await,
        400,
        "invalid_action",
    );
    let (status, _) = resolve(
        &gw,
        twice["id"].as_str().unwrap(),
        "r-w3",
        json!({"action": "dismiss", "reason": "NAPAS duplicated the line; raised with them"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = resolve(
        &gw,
        unknown["id"].as_str().unwrap(),
        "r-ph",
        json!({"action": "dismiss", "reason": "not ours; NAPAS to return the funds"}),
    )
    .await;
    assert_eq!(status, 200);

    // Booking the failed top-up back needs 2,000,000 the wallet no longer holds.
    assert_error(
        &resolve(
            &gw,
            failed["id"].as_str().unwrap(),
            "r-t",
            json!({"action": "reverse", "reason": "NAPAS failed the debit"}),
        )
        .await,
        422,
        "insufficient_funds",
    );
    assert_eq!(gw.wallet_balance(&session).await, 1_710_000);

    let after = run_detail(&gw, detail["id"].as_str().unwrap()).await;
    assert_eq!(after["open"], 1);
    let (_, open) = gw
        .get(
            &format!(
                "/v1/admin/reconciliation/runs/{}/discrepancies?status=open",
                detail["id"].as_str().unwrap()
            ),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(open["data"].as_array().unwrap().len(), 1);
    let (_, list) = gw
        .get(
            "/v1/admin/reconciliation/runs?source=napas",
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(list["data"][0]["id"], detail["id"]);
    let (_, balance) = gw
        .get("/v1/admin/ledger/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(balance["currencies"][0]["balanced"], true);

    // A later run finds w2's gap again (the file still says 190,000); resolving it
    // again books nothing twice.
    let rerun = run(&gw, "napas").await;
    assert!(
        differences(&rerun)
            .iter()
            .all(|d| d["reference"] != json!(w1)),
        "w1 agrees now"
    );
    let again = find(&rerun, "amount_mismatch", &w2);
    let (status, _) = resolve(
        &gw,
        again["id"].as_str().unwrap(),
        "r-w2-again",
        json!({"action": "reverse", "reason": "same gap"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(gw.wallet_balance(&session).await, 1_710_000);

    // Refusals before anything is read.
    assert_error(
        &gw.get("/v1/admin/reconciliation/runs", Some(&session.token))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &resolve(
            &gw,
            "dsc_doesnotexist00000",
            "r-x",
            json!({"action": "dismiss", "reason": "x"}),
        )
        .await,
        404,
        "discrepancy_not_found",
    );
    let (status, missing_key) = gw
        .post_raw(
            &format!(
                "/v1/admin/reconciliation/discrepancies/{}/resolve",
                failed["id"].as_str().unwrap()
            ),
            Some(ADMIN_TOKEN),
            &[],
            &json!({"action": "dismiss", "reason": "x"}).to_string(),
        )
        .await;
    assert_error(&(status, missing_key), 400, "idempotency_key_required");
    assert_error(
        &gw.get(
            "/v1/admin/reconciliation/runs/rcn_nothere",
            Some(ADMIN_TOKEN),
        )
        .await,
        404,
        "reconciliation_run_not_found",
    );
}

#[tokio::test]
async fn a_topup_a_provider_settled_after_we_failed_it_is_credited_once() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(301);
    let session = gw.sign_in(&who, 2).await;
    // MoMo declines: the payer is not biometrically verified (resultCode 4002).
    let declined = start_topup(&gw, &session, "momo", "m1", 150_000).await;
    let id = declined["id"].as_str().unwrap().to_string();
    control(
        &gw,
        "momo",
        declined["provider_reference"].as_str().unwrap(),
        "cancel",
        json!({"result_code": "4002"}),
    )
    .await;
    let failed = wait_for_status(&gw, &session, &id, "failed").await;
    assert_eq!(
        (&failed["status"], &failed["failure_code"]),
        (
            &json!("failed"),
            &json!("momo_payer_not_biometric_verified")
        )
    );
    // ZaloPay pays one normally: its file names it by app_trans_id, and it agrees.
    let paid = start_topup(&gw, &session, "zalopay", "z1", 80_000).await;
    control(
        &gw,
        "zalopay",
        paid["provider_reference"].as_str().unwrap(),
        "pay",
        json!({}),
    )
    .await;
    wait_for_status(&gw, &session, paid["id"].as_str().unwrap(), "succeeded").await;
    let zalopay = run(&gw, "zalopay").await;
    assert_eq!(
        (&zalopay["discrepancies"], &zalopay["matched"]),
        (&json!(0), &json!(1)),
        "{zalopay}"
    );

    // MoMo's file says it settled the declined one after all.
    tweak(
        &gw,
        "momo",
        json!({"reference": id, "change": "status", "status": "settled"}),
    )
    .await;
    let momo = run(&gw, "momo").await;
    let d = find(&momo, "status_mismatch", &id);
    assert_eq!(actions(&d), ["credit", "dismiss"]);
    let (status, r) = resolve(
        &gw,
        d["id"].as_str().unwrap(),
        "c1",
        json!({"action": "credit", "reason": "MoMo settlement 2026-12 shows transId paid"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["resolution"]["payment_status"], "succeeded");
    assert_eq!(gw.wallet_balance(&session).await, 80_000 + 150_000);
    let p = payment(&gw, &session, &id).await;
    assert_eq!(p["status"], "succeeded");
    // The next run agrees, and nothing can credit it again.
    let again = run(&gw, "momo").await;
    assert_eq!(again["discrepancies"], 0, "{again}");
    assert_eq!(gw.wallet_balance(&session).await, 230_000);
}

#[tokio::test]
async fn a_bill_the_biller_never_recorded_is_refunded_and_uploaded_files_are_checked() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(302);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000302", 5_000_000, 1_000_000)
        .await;
    gw.evn_bill("PD00000000302", "Nguyễn Văn Đối Soát", "2025-06", 250)
        .await;
    let bill = bill_id(&gw, &session, "PD00000000302").await;
    let (status, paid) = pay_bill(&gw, &session, "b1", &bill).await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (201, Some("succeeded")),
        "{paid}"
    );
    let id = paid["id"].as_str().unwrap().to_string();
    let amount = paid["amount"].as_i64().unwrap();
    let before = gw.wallet_balance(&session).await;

    // An operator downloads EVN's file and uploads it.
    let today = vietnam_today().to_string();
    let file = gw
        .client
        .get(format!("{}/evn/statements/{today}", gw.simulators_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (status, uploaded) = start_run(
        &gw,
        json!({"source": "evn", "business_date": today, "file": file, "file_name": "evn.txt"}),
    )
    .await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(
        (
            &uploaded["origin"],
            &uploaded["discrepancies"],
            &uploaded["matched"]
        ),
        (&json!("uploaded"), &json!(0), &json!(1))
    );
    // A file of another system, garbage, another day, a day to come: refused.
    assert_error(
        &start_run(
            &gw,
            json!({"source": "napas", "business_date": today, "file": file}),
        )
        .await,
        400,
        "invalid_statement",
    );
    assert_error(
        &start_run(
            &gw,
            json!({"source": "evn", "business_date": today, "file": "hello"}),
        )
        .await,
        400,
        "invalid_statement",
    );
    let yesterday = (vietnam_today() - Duration::days(1)).to_string();
    assert_error(
        &start_run(
            &gw,
            json!({"source": "evn", "business_date": yesterday, "file": file}),
        )
        .await,
        400,
        "statement_date_mismatch",
    );
    let tomorrow = (vietnam_today() + Duration::days(1)).to_string();
    assert_error(
        &start_run(&gw, json!({"source": "evn", "business_date": tomorrow})).await,
        400,
        "invalid_business_date",
    );
    assert_error(
        &start_run(&gw, json!({"source": "paypal", "business_date": today})).await,
        400,
        "invalid_source",
    );

    // EVN's file says the payment failed: the citizen gets the bill's amount back.
    tweak(
        &gw,
        "evn",
        json!({"reference": id, "change": "status", "status": "failed"}),
    )
    .await;
    let detail = run(&gw, "evn").await;
    let d = find(&detail, "status_mismatch", &id);
    let (status, r) = resolve(
        &gw,
        d["id"].as_str().unwrap(),
        "e1",
        json!({"action": "reverse", "reason": "EVN Hà Nội: payment not recorded"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(gw.wallet_balance(&session).await, before + amount);
    assert_eq!(payment(&gw, &session, &id).await["status"], "failed");
}

#[tokio::test]
async fn yesterday_is_reconciled_with_every_system_at_the_configured_hour() {
    let gw = TestGateway::start_with(HashMap::from([("RECONCILIATION_HOUR", "0")])).await;
    let yesterday = (vietnam_today() - Duration::days(1)).to_string();
    let path = format!("/v1/admin/reconciliation/runs?business_date={yesterday}&limit=100");
    let mut runs = Vec::new();
    for _ in 0..100 {
        let (_, page) = gw.get(&path, Some(ADMIN_TOKEN)).await;
        runs = page["data"].as_array().unwrap().clone();
        if runs.len() == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut sources: Vec<&str> = runs.iter().map(|r| r["source"].as_str().unwrap()).collect();
    sources.sort_unstable();
    assert_eq!(
        sources,
        ["evn", "momo", "napas", "vnpay", "vss", "water", "zalopay"]
    );
    assert!(runs
        .iter()
        .all(|r| r["origin"] == "scheduled" && r["lines"] == 0));
}
