//! Insurance end to end: quotes at the rates in force, contributions paid to Vietnam
//! Social Security, expiry and ownership of quotes, and step-up for large payments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use e2e::{assert_error, balance_and_available, bill_id, pay_bill, quote, Citizen, TestGateway};
use serde_json::json;

#[tokio::test]
async fn insurance_quotes_use_the_rates_in_force() {
    // Priced as of a fixed day, so the figures below hold whenever the test runs.
    let gw = TestGateway::start_with(HashMap::from([("PRICING_DATE", "2026-12-15")])).await;
    let who = Citizen::hanoi(260);
    let session = gw.sign_in(&who, 1).await;

    let (status, q) = quote(
        &gw,
        &session,
        json!({"scheme": "bhxh_voluntary", "monthly_income": 1_500_000, "months": 1, "support_group": "other"}),
    )
    .await;
    assert_eq!(status, 201, "{q}");
    assert!(q["quote_id"].as_str().unwrap().starts_with("quo_"));
    assert_eq!(q["scheme"], "bhxh_voluntary");
    assert_eq!(q["biller_code"], "VSS_BHXH");
    assert_eq!(q["amount"], 264_000);
    assert_eq!(q["monthly"], 264_000);
    assert_eq!(q["insured"]["cccd"], "001******260");
    assert_eq!(q["breakdown"][0]["code"], "contribution");
    assert_eq!(q["breakdown"][0]["monthly"], 330_000);
    assert_eq!(q["breakdown"][1]["code"], "state_support");
    assert_eq!(q["breakdown"][1]["monthly"], -66_000);
    assert!(q["expires_at"].as_str().unwrap() > q["created_at"].as_str().unwrap());

    let (_, poor) = quote(
        &gw,
        &session,
        json!({"scheme": "bhxh_voluntary", "monthly_income": 1_500_000, "months": 3, "support_group": "poor"}),
    )
    .await;
    assert_eq!(
        (&poor["monthly"], &poor["amount"]),
        (&json!(165_000), &json!(495_000))
    );

    // Household health insurance at the base salary from 2026-07-01.
    for (position, months, monthly, amount) in [
        (1, 1, 113_850, 113_850),
        (2, 1, 79_695, 79_695),
        (1, 12, 113_850, 1_366_200),
    ] {
        let (status, q) = quote(
            &gw,
            &session,
            json!({"scheme": "bhyt_household", "member_position": position, "months": months}),
        )
        .await;
        assert_eq!(status, 201, "{q}");
        assert_eq!(q["biller_code"], "VSS_BHYT");
        assert_eq!(q["base_salary"], 2_530_000);
        assert_eq!(
            (&q["monthly"], &q["amount"]),
            (&json!(monthly), &json!(amount))
        );
    }

    for (body, code) in [
        (json!({"scheme": "life", "months": 1}), "invalid_scheme"),
        (
            json!({"scheme": "bhyt_household", "member_position": 1, "months": 2}),
            "invalid_months",
        ),
        (
            json!({"scheme": "bhyt_household", "member_position": 6, "months": 1}),
            "invalid_member_position",
        ),
        (
            json!({"scheme": "bhxh_voluntary", "monthly_income": 1_500_000, "months": 1, "support_group": "rich"}),
            "invalid_support_group",
        ),
        (
            json!({"scheme": "bhxh_voluntary", "monthly_income": "1500000", "months": 1, "support_group": "other"}),
            "invalid_amount",
        ),
    ] {
        assert_error(&quote(&gw, &session, body).await, 400, code);
    }
    let low = quote(
        &gw,
        &session,
        json!({"scheme": "bhxh_voluntary", "monthly_income": 1_000_000, "months": 1, "support_group": "other"}),
    )
    .await;
    assert_error(&low, 400, "invalid_monthly_income");
    assert_eq!(low.1["error"]["details"]["min"], 1_500_000);
    assert_eq!(low.1["error"]["details"]["max"], 50_600_000);
}

/// The 2026–2030 poverty line: from 1 Jan 2027 the rural line is 2,200,000, so the
/// voluntary social-insurance minimum is 22% × 2,200,000 = 484,000 before support; on
/// 31 Dec 2026 the old 1,500,000 line still applies.
#[tokio::test]
async fn quotes_follow_the_poverty_line_in_force_on_their_day() {
    let old = TestGateway::start_with(HashMap::from([("PRICING_DATE", "2026-12-31")])).await;
    let new = TestGateway::start_with(HashMap::from([("PRICING_DATE", "2027-01-01")])).await;
    let who = Citizen::hanoi(268);
    let minimum = |income: i64, group: &str| json!({"scheme": "bhxh_voluntary", "monthly_income": income, "months": 1, "support_group": group});
    let s_old = old.sign_in(&who, 1).await;
    let (status, q) = quote(&old, &s_old, minimum(1_500_000, "other")).await;
    assert_eq!(status, 201, "{q}");
    assert_eq!(q["monthly"], 264_000);
    let s_new = new.sign_in(&who, 1).await;
    for (group, monthly) in [
        ("poor", 242_000),
        ("near_poor", 290_400),
        ("ethnic_minority", 338_800),
        ("other", 387_200),
    ] {
        let (status, q) = quote(&new, &s_new, minimum(2_200_000, group)).await;
        assert_eq!(status, 201, "{q}");
        assert_eq!(q["monthly"], monthly, "{group}");
        assert_eq!(q["breakdown"][0]["monthly"], 484_000);
    }
    // The old minimum income is below the new floor.
    let low = quote(&new, &s_new, minimum(1_500_000, "other")).await;
    assert_error(&low, 400, "invalid_monthly_income");
    assert_eq!(low.1["error"]["details"]["min"], 2_200_000);
}

#[tokio::test]
async fn an_insurance_contribution_is_paid_and_recorded_at_vss() {
    let gw = TestGateway::start().await;
    let who = Citizen::hanoi(270);
    let (session, _) = gw
        .funded_citizen(&who, "0011000000270", 5_000_000, 1_000_000)
        .await;
    let (_, q) = quote(
        &gw,
        &session,
        json!({"scheme": "bhxh_voluntary", "monthly_income": 1_500_000, "months": 1, "support_group": "other"}),
    )
    .await;
    let quote_id = q["quote_id"].as_str().unwrap();
    let (status, paid) = gw
        .post_as(
            &session,
            "/v1/payments",
            "bhxh-1",
            json!({"type": "insurance", "quote_id": quote_id}),
        )
        .await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["type"], "insurance");
    assert_eq!(paid["amount"], 264_000);
    assert_eq!(paid["status"], "succeeded");
    let receipt = &paid["receipt"];
    assert_eq!(receipt["biller_code"], "VSS_BHXH");
    assert_eq!(receipt["customer_code"], "001******270");
    assert_eq!(receipt["customer_name"], who.name.as_str());
    assert_eq!(receipt["scheme"], "bhxh_voluntary");
    assert_eq!(receipt["months"], 1);
    assert_eq!(receipt["amount"], 264_000);
    assert!(receipt["biller_transaction_id"]
        .as_str()
        .unwrap()
        .starts_with("VSS"));
    assert!(!paid.to_string().contains(&who.cccd));
    assert_eq!(gw.wallet_balance(&session).await, 1_000_000 - 264_000);
    assert_eq!(gw.biller_collection("VSS_BHXH").await["balance"], 264_000);
    let (status, recorded) = gw
        .simulator_get(&format!("/vss/contributions/{}", who.cccd))
        .await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(recorded["data"][0]["reference"], paid["id"]);
    assert_eq!(recorded["data"][0]["amount"], 264_000);

    // A quote pays once.
    let again = gw
        .post_as(
            &session,
            "/v1/payments",
            "bhxh-2",
            json!({"type": "insurance", "quote_id": quote_id}),
        )
        .await;
    assert_error(&again, 409, "quote_already_paid");

    // Health insurance goes to its own collection account.
    let (_, q) = quote(
        &gw,
        &session,
        json!({"scheme": "bhyt_household", "member_position": 1, "months": 1}),
    )
    .await;
    let (status, paid) = gw
        .post_as(
            &session,
            "/v1/payments",
            "bhyt-1",
            json!({"type": "insurance", "quote_id": q["quote_id"]}),
        )
        .await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (201, Some("succeeded")),
        "{paid}"
    );
    assert_eq!(gw.biller_collection("VSS_BHYT").await["balance"], 113_850);
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(me["usage"]["month"]["capped_outflows"], 0);
}

#[tokio::test]
async fn quotes_expire_and_bills_and_quotes_belong_to_their_citizen() {
    let gw = TestGateway::start_with(HashMap::from([("INSURANCE_QUOTE_TTL_SECONDS", "1")])).await;
    gw.evn_bill("PD00000000007", "Trịnh Văn Riêng", "2025-06", 250)
        .await;
    let (an, _) = gw
        .funded_citizen(&Citizen::hanoi(280), "0011000000280", 5_000_000, 1_000_000)
        .await;
    let (binh, _) = gw
        .funded_citizen(&Citizen::saigon(281), "0011000000281", 5_000_000, 1_000_000)
        .await;
    let (_, q) = quote(
        &gw,
        &an,
        json!({"scheme": "bhyt_household", "member_position": 1, "months": 1}),
    )
    .await;
    let quote_id = q["quote_id"].as_str().unwrap();
    let an_bill = bill_id(&gw, &an, "PD00000000007").await;

    let theirs = gw
        .post_as(
            &binh,
            "/v1/payments",
            "not-mine-1",
            json!({"type": "insurance", "quote_id": quote_id}),
        )
        .await;
    assert_error(&theirs, 404, "quote_not_found");
    assert_error(
        &pay_bill(&gw, &binh, "not-mine-2", &an_bill).await,
        404,
        "bill_not_found",
    );

    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let late = gw
        .post_as(
            &an,
            "/v1/payments",
            "late",
            json!({"type": "insurance", "quote_id": quote_id}),
        )
        .await;
    assert_error(&late, 409, "quote_expired");
    assert_eq!(gw.wallet_balance(&an).await, 1_000_000);
    assert_eq!(gw.wallet_balance(&binh).await, 1_000_000);
}

#[tokio::test]
async fn a_bill_above_ten_million_needs_a_step_up() {
    let gw = TestGateway::start().await;
    let issued = gw
        .evn_bill("PD00000000005", "Bùi Văn Lớn", "2025-06", 3_000)
        .await;
    // 50×1,984 + 50×2,050 + 100×2,380 + 100×2,998 + 100×3,350 + 2,600×3,460 = 10,070,500,
    // plus VAT 8% 805,640.
    let amount = issued["amount_due"].as_i64().unwrap();
    assert_eq!(amount, 10_876_140, "{issued}");
    let who = Citizen::hanoi(290);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000290", 30_000_000, 6_000_000)
        .await;
    let (status, topup) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "second",
            json!({"amount": 6_000_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!((status, topup["status"].as_str()), (201, Some("succeeded")));
    let bill_id = bill_id(&gw, &session, "PD00000000005").await;

    let (status, big) = pay_bill(&gw, &session, "big", &bill_id).await;
    assert_eq!(status, 201, "{big}");
    assert_eq!(big["status"], "requires_step_up");
    let id = big["id"].as_str().unwrap();
    assert_eq!(big["step_up_nonce"], id);
    assert_eq!(
        balance_and_available(&gw, &session).await,
        (12_000_000, 12_000_000)
    );

    let bio = gw
        .assertion(&who, 2, "biometric", json!({"nonce": id}))
        .await;
    let (status, done) = gw
        .post_as(
            &session,
            &format!("/v1/payments/{id}/confirm"),
            "confirm",
            json!({"assertion": bio}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["receipt"]["amount"], amount);
    assert_eq!(gw.wallet_balance(&session).await, 12_000_000 - amount);
    let (_, at_evn) = gw
        .simulator_get(&format!(
            "/evn/bills/{}",
            issued["bill_ref"].as_str().unwrap()
        ))
        .await;
    assert_eq!(at_evn["status"], "paid");
}
