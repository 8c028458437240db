//! HttpBillerAdapter against the Vietnam Social Security simulator over real HTTP.

mod common;

use adapters::biller::{BillerAdapter, BillerError, HttpBillerAdapter};
use adapters::billing::{bhyt_household, InsuranceRates, InsuranceScheme};
use adapters::identity::Cccd;
use chrono::NaiveDate;
use common::{Harness, HOLDER, TIMEOUT};
use serde_json::{json, Value};

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
fn billers(h: &Harness) -> HttpBillerAdapter {
    HttpBillerAdapter::new(&h.running.base_url(), TIMEOUT).expect("client builds")
}

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
fn insured() -> Cccd {
    Cccd::parse(HOLDER).expect("valid")
}

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
async fn contributions(h: &Harness, cccd: &str) -> (u16, Value, String) {
    let url = h.url(&format!("/vss/contributions/{cccd}"));
    let response = h.http.get(url).send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body, text)
}

#[tokio::test]
async fn a_contribution_is_recorded_once_per_reference() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let date = NaiveDate::from_ymd_opt(2025, 8, 1).expect("date");
    // The gateway quotes; VSS only records. First member, 3 months: 3 × 105,300.
    let quote = bhyt_household(1, 3, date, InsuranceRates::vietnam()).expect("quote");
    assert_eq!(quote.amount, 315_900);
    let cccd = insured();
    let submit = || {
        billers.submit_contribution(
            InsuranceScheme::BhytHousehold,
            &cccd,
            quote.amount,
            quote.months,
            "ins-ref-1",
        )
    };
    let first = submit().await.expect("recorded");
    assert_eq!(first.biller_code, "VSS_BHYT");
    assert_eq!((first.amount, first.bill_ref.as_deref()), (315_900, None));
    assert!(!first.biller_transaction_id.is_empty());
    let again = submit().await.expect("replayed");
    assert_eq!(again, first);

    let (status, body, text) = contributions(&h, HOLDER).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().expect("list");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["insured_cccd"], "001******345");
    assert_eq!(data[0]["months"], 3);
    assert_eq!(data[0]["scheme"], "bhyt_household");
    assert!(!text.contains(HOLDER), "the full number never leaves VSS");
}

#[tokio::test]
async fn a_reused_reference_or_bad_input_is_refused() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let cccd = insured();
    billers
        .submit_contribution(InsuranceScheme::BhxhVoluntary, &cccd, 264_000, 1, "r1")
        .await
        .expect("recorded");
    assert_eq!(
        billers
            .submit_contribution(InsuranceScheme::BhxhVoluntary, &cccd, 528_000, 2, "r1")
            .await,
        Err(BillerError::Rejected("invalid_months".into()))
    );
    assert_eq!(
        billers
            .submit_contribution(InsuranceScheme::BhxhVoluntary, &cccd, 792_000, 3, "r1")
            .await,
        Err(BillerError::Rejected("reference_conflict".into()))
    );
    let (status, body) = h
        .post(
            "/vss/v1/contributions",
            json!({"scheme": "bhxh_voluntary", "insured_cccd": "123", "amount": 1, "months": 1,
                   "reference": "r2"}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_cccd"))
    );
    let (status, body, _) = contributions(&h, "not-a-number").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_cccd"))
    );
    let (_, body, _) = contributions(&h, HOLDER).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_unavailable_vss_records_nothing() {
    let h = Harness::start().await;
    let billers = billers(&h);
    h.post("/vss/faults", json!({"mode": "unavailable"})).await;
    assert_eq!(
        billers
            .submit_contribution(InsuranceScheme::BhytHousehold, &insured(), 105_300, 1, "r1")
            .await,
        Err(BillerError::Unavailable("unavailable".into()))
    );
    let (_, body, _) = contributions(&h, HOLDER).await;
    assert_eq!(body["data"], json!([]));
    h.post("/vss/faults", json!({"mode": "none"})).await;
    assert!(billers
        .submit_contribution(InsuranceScheme::BhytHousehold, &insured(), 105_300, 1, "r1")
        .await
        .is_ok());
}
