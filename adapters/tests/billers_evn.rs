//! HttpBillerAdapter against the EVN simulator over real HTTP.

mod common;

use adapters::biller::{BillStatus, BillerAdapter, BillerError, HttpBillerAdapter, MeterUnit};
use common::{Harness, TIMEOUT};
use serde_json::{json, Value};
use std::time::Duration;

const CUSTOMER: &str = "PD29007350490";

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
fn billers(h: &Harness) -> HttpBillerAdapter {
    HttpBillerAdapter::new(&h.running.base_url(), TIMEOUT).expect("client builds")
}

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
async fn get(h: &Harness, path: &str) -> (u16, Value) {
    let response = h.http.get(h.url(path)).send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Issues a bill at the simulator and returns its ref.
// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
async fn issue(h: &Harness, customer_code: &str, period: &str, kwh: u32) -> (String, i64) {
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": customer_code, "customer_name": "NGUYEN VAN AN",
                   "period": period, "kwh": kwh}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bill_ref = body["bill_ref"].as_str().expect("bill_ref").to_owned();
    (bill_ref, body["amount_due"].as_i64().expect("amount_due"))
}

#[tokio::test]
async fn a_250_kwh_june_2025_bill_is_636_768_dong() {
    let h = Harness::start().await;
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": CUSTOMER, "customer_name": "NGUYEN VAN AN",
                   "period": "2025-06", "kwh": 250}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["amount_due"], 636_768);
    assert_eq!(body["biller_code"], "EVNHANOI");
    assert_eq!(body["status"], "unpaid");
    assert_eq!(body["lines"].as_array().map(Vec::len), Some(4));
    assert_eq!(body["details"]["vat"], 47_168);

    let statement = billers(&h)
        .inquire("EVNHANOI", CUSTOMER)
        .await
        .expect("found");
    assert_eq!(statement.bill_ref, body["bill_ref"].as_str().expect("ref"));
    assert_eq!(statement.amount_due, 636_768);
    assert_eq!(statement.status, BillStatus::Unpaid);
    assert_eq!(statement.period.to_string(), "2025-06");
    assert_eq!(statement.customer_name, "NGUYEN VAN AN");
    assert_eq!(statement.details.unit, MeterUnit::Kwh);
    assert_eq!(statement.details.consumption, 250);
    assert_eq!(statement.details.pricing.subtotal, 589_600);
    assert_eq!(
        statement.details.pricing.tariff_id,
        "evn_residential_1279_2025_vat8"
    );
}

#[tokio::test]
async fn may_2025_is_split_between_decisions_2699_and_1279() {
    // Decision 1279 took effect on 10 May 2025: 9 days at 2699, 22 at 1279
    // (billing::electricity's worked example): 581,732 + VAT 46,539.
    let h = Harness::start().await;
    let (_, amount) = issue(&h, CUSTOMER, "2025-05", 250).await;
    assert_eq!(amount, 628_271);
    let statement = billers(&h)
        .inquire("EVNHANOI", CUSTOMER)
        .await
        .expect("found");
    assert_eq!(
        statement.details.pricing.tariff_id,
        "evn_residential_2699_2024+evn_residential_1279_2025_vat8"
    );
    assert_eq!(statement.details.pricing.lines.len(), 8);
}

#[tokio::test]
async fn a_poor_households_bill_shows_evn_support_and_the_same_amount() {
    let h = Harness::start().await;
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": CUSTOMER, "customer_name": "NGUYEN VAN AN",
                   "period": "2025-06", "kwh": 250, "household": "poor"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // The support (30 kWh × 1,984 = 59,520) is paid to the household apart: the
    // amount due is the ordinary 636,768.
    assert_eq!(body["amount_due"], 636_768);
    assert_eq!(body["details"]["household"], "poor");
    assert_eq!(body["details"]["notes"][0]["amount"], 59_520);
    let statement = billers(&h)
        .inquire("EVNHANOI", CUSTOMER)
        .await
        .expect("found");
    assert_eq!(statement.amount_due, 636_768);
    assert_eq!(statement.details.pricing.notes.len(), 1);
    assert_eq!(
        statement.details.pricing.household,
        adapters::billing::HouseholdStatus::Poor
    );
    // Without the field nothing changes: no household, no notes.
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": "PD29007350491", "customer_name": "A",
                   "period": "2025-06", "kwh": 250}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["details"].get("household").is_none());
    assert!(body["details"].get("notes").is_none());
}

#[tokio::test]
async fn the_same_reference_pays_once_and_another_is_refused() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let (bill_ref, amount) = issue(&h, CUSTOMER, "2025-06", 250).await;
    let first = billers
        .confirm_payment("EVNHANOI", &bill_ref, amount, "pay-ref-1")
        .await
        .expect("paid");
    assert_eq!(first.bill_ref.as_deref(), Some(bill_ref.as_str()));
    assert_eq!(
        (first.amount, first.reference.as_str()),
        (636_768, "pay-ref-1")
    );
    let again = billers
        .confirm_payment("EVNHANOI", &bill_ref, amount, "pay-ref-1")
        .await
        .expect("replayed");
    assert_eq!(again, first);
    assert_eq!(
        billers
            .confirm_payment("EVNHANOI", &bill_ref, amount, "pay-ref-2")
            .await,
        Err(BillerError::AlreadyPaid)
    );

    let (status, bill) = get(&h, &format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(status, 200);
    assert_eq!(bill["status"], "paid");
    assert_eq!(bill["payment"]["reference"], "pay-ref-1");
    assert_eq!(
        bill["payment"]["biller_transaction_id"],
        first.biller_transaction_id.as_str()
    );
    let statement = billers.inquire("EVNHANOI", CUSTOMER).await.expect("found");
    assert_eq!(statement.status, BillStatus::Paid);
}

#[tokio::test]
async fn a_wrong_amount_pays_nothing() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let (bill_ref, amount) = issue(&h, CUSTOMER, "2025-06", 250).await;
    assert_eq!(
        billers
            .confirm_payment("EVNHANOI", &bill_ref, amount - 1, "r1")
            .await,
        Err(BillerError::AmountMismatch)
    );
    let (_, bill) = get(&h, &format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(bill["status"], "unpaid");
    // A refusal is not recorded, so the reference may be used again.
    assert!(billers
        .confirm_payment("EVNHANOI", &bill_ref, amount, "r1")
        .await
        .is_ok());
}

#[tokio::test]
async fn unknown_customers_and_bills_are_not_found() {
    let h = Harness::start().await;
    let billers = billers(&h);
    issue(&h, CUSTOMER, "2025-06", 250).await;
    assert_eq!(
        billers.inquire("EVNHANOI", "PD00000000001").await,
        Err(BillerError::CustomerNotFound)
    );
    assert_eq!(
        billers.confirm_payment("EVNHANOI", "EVN000", 1, "r").await,
        Err(BillerError::CustomerNotFound)
    );
    let (status, body) = get(&h, "/evn/bills/EVN000").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("bill_not_found"))
    );
}

#[tokio::test]
async fn malformed_customer_codes_are_rejected() {
    let h = Harness::start().await;
    for (code, error) in [
        ("PD123", "invalid_customer_code"),
        ("pd29007350490", "invalid_customer_code"),
        ("PZ12345678901", "unknown_customer_code_prefix"),
    ] {
        let (status, body) = h
            .post(
                "/evn/bills",
                json!({"customer_code": code, "customer_name": "A", "period": "2025-06", "kwh": 1}),
            )
            .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (400, &json!(error)),
            "{code}"
        );
    }
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": CUSTOMER, "customer_name": "A", "period": "2025-13", "kwh": 1}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_period"))
    );

    let billers = billers(&h);
    assert_eq!(
        billers.inquire("EVNHANOI", "PD123").await,
        Err(BillerError::InvalidCustomerCode)
    );
    // The simulator itself refuses a code of another corporation, not only the adapter.
    let (status, body) = h
        .post(
            "/evn/v1/inquiry",
            json!({"biller_code": "EVNHANOI", "customer_code": "PE12345678901"}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_customer_code"))
    );
}

#[tokio::test]
async fn inquiry_answers_the_latest_period_priced_by_its_own_tariff() {
    let h = Harness::start().await;
    let (june, _) = issue(&h, CUSTOMER, "2025-06", 250).await;
    let (_, april_amount) = issue(&h, CUSTOMER, "2025-04", 250).await;
    // Decision 2699 was in force for April 2025 (domain doc §6.1 history rows).
    assert_eq!(april_amount, 607_554);
    let statement = billers(&h)
        .inquire("EVNHANOI", CUSTOMER)
        .await
        .expect("found");
    assert_eq!(statement.bill_ref, june);
    let (status, body) = h
        .post(
            "/evn/bills",
            json!({"customer_code": CUSTOMER, "customer_name": "A", "period": "2025-06", "kwh": 9}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("bill_exists"))
    );
}

#[tokio::test]
async fn an_unavailable_biller_clears_nothing() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let (bill_ref, amount) = issue(&h, CUSTOMER, "2025-06", 250).await;
    let (status, _) = h.post("/evn/faults", json!({"mode": "unavailable"})).await;
    assert_eq!(status, 200);
    let unavailable = Err(BillerError::Unavailable("unavailable".into()));
    assert_eq!(
        billers.inquire("EVNHANOI", CUSTOMER).await.map(|_| ()),
        unavailable
    );
    assert_eq!(
        billers
            .confirm_payment("EVNHANOI", &bill_ref, amount, "r1")
            .await
            .map(|_| ()),
        unavailable
    );
    let (_, bill) = get(&h, &format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(bill["status"], "unpaid");
    let (status, faults) = get(&h, "/evn/faults").await;
    assert_eq!((status, &faults["mode"]), (200, &json!("unavailable")));
    h.post("/evn/faults", json!({"mode": "none"})).await;
    assert!(billers.inquire("EVNHANOI", CUSTOMER).await.is_ok());
}

#[tokio::test]
async fn a_timed_out_payment_is_retried_with_the_same_reference() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let (bill_ref, amount) = issue(&h, CUSTOMER, "2025-06", 250).await;
    let delay = TIMEOUT + Duration::from_millis(1_000);
    let delay_ms = u64::try_from(delay.as_millis()).expect("small");
    h.post(
        "/evn/faults",
        json!({"mode": "timeout", "delay_ms": delay_ms}),
    )
    .await;
    assert_eq!(
        billers
            .confirm_payment("EVNHANOI", &bill_ref, amount, "r1")
            .await,
        Err(BillerError::Timeout)
    );
    // The biller recorded it although we never heard so.
    let (_, bill) = get(&h, &format!("/evn/bills/{bill_ref}")).await;
    assert_eq!(bill["status"], "paid");
    h.post("/evn/faults", json!({"mode": "none"})).await;
    let retried = billers
        .confirm_payment("EVNHANOI", &bill_ref, amount, "r1")
        .await
        .expect("answered from the record");
    assert_eq!(
        bill["payment"]["biller_transaction_id"],
        retried.biller_transaction_id.as_str()
    );
}
