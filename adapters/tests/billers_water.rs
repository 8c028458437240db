//! HttpBillerAdapter against the water simulator over real HTTP.

mod common;

use adapters::biller::{BillStatus, BillerAdapter, BillerError, HttpBillerAdapter, MeterUnit};
use common::{Harness, TIMEOUT};
use serde_json::{json, Value};

const HANOI: &str = "HW12345678901";
const SAIGON: &str = "SW12345678901";

// A test helper, outside the `#[test]` functions clippy already exempts.
#[allow(clippy::expect_used)]
fn billers(h: &Harness) -> HttpBillerAdapter {
    HttpBillerAdapter::new(&h.running.base_url(), TIMEOUT).expect("client builds")
}

async fn create(h: &Harness, body: Value) -> Value {
    let (status, body) = h.post("/water/bills", body).await;
    assert_eq!(status, 201, "{body}");
    body
}

#[tokio::test]
async fn hanoi_water_is_priced_per_household_and_paid() {
    let h = Harness::start().await;
    // 10×8,500 + 10×9,900 + 5×16,000 = 264,000; VAT 5% 13,200; environmental fee 10%
    // 26,400 (billing::water's worked example).
    let bill = create(
        &h,
        json!({"biller_code": "HAWACO", "customer_code": HANOI, "customer_name": "TRAN THI BINH",
               "period": "2025-06", "m3": 25, "persons": 4}),
    )
    .await;
    assert_eq!(bill["amount_due"], 303_600);
    assert_eq!(bill["details"]["unit"], "m3");
    assert_eq!(bill["details"]["charges"], 26_400);

    let billers = billers(&h);
    let statement = billers.inquire("HAWACO", HANOI).await.expect("found");
    assert_eq!(statement.amount_due, 303_600);
    assert_eq!(statement.details.unit, MeterUnit::CubicMetre);
    assert_eq!(statement.details.persons, Some(4));
    assert_eq!(statement.details.pricing.tariff_id, "hanoi_water_2024");
    let paid = billers
        .confirm_payment("HAWACO", &statement.bill_ref, 303_600, "water-1")
        .await
        .expect("paid");
    assert_eq!(paid.biller_code, "HAWACO");
    assert_eq!(
        billers
            .inquire("HAWACO", HANOI)
            .await
            .expect("found")
            .status,
        BillStatus::Paid
    );
    assert_eq!(
        billers
            .confirm_payment("HAWACO", &statement.bill_ref, 303_600, "water-2")
            .await,
        Err(BillerError::AlreadyPaid)
    );
}

#[tokio::test]
async fn saigon_water_scales_blocks_with_persons() {
    let h = Harness::start().await;
    // 16×6,700 + 8×12,900 + 6×14,400 = 296,800; VAT 14,840; drainage 30% 89,040 and
    // its own VAT 8% 7,123.
    let bill = create(
        &h,
        json!({"biller_code": "SAWACO", "customer_code": SAIGON, "customer_name": "LE VAN C",
               "period": "2025-06", "m3": 30, "persons": 4}),
    )
    .await;
    assert_eq!(bill["amount_due"], 407_803);
    // Without persons the bill is for one person: the doc's 40 m³ example, 542,200
    // before VAT (27,110), drainage (162,660) and the drainage's VAT (13,013).
    let bill = create(
        &h,
        json!({"biller_code": "SAWACO", "customer_code": SAIGON, "customer_name": "LE VAN C",
               "period": "2025-03", "m3": 40}),
    )
    .await;
    assert_eq!(bill["amount_due"], 744_983);
    assert_eq!(bill["details"]["subtotal"], 542_200);
    assert_eq!(bill["details"]["charges"], 162_660 + 13_013);
    assert!(bill["details"].get("household").is_none());
}

#[tokio::test]
async fn poor_and_near_poor_households_pay_the_social_prices() {
    let h = Harness::start().await;
    // Hanoi, poor: 10×5,973 + 10×9,900 + 5×16,000 = 238,730; VAT 11,937; fee 23,873.
    let bill = create(
        &h,
        json!({"biller_code": "HAWACO", "customer_code": HANOI, "customer_name": "TRAN THI BINH",
               "period": "2025-06", "m3": 25, "household": "poor"}),
    )
    .await;
    assert_eq!(bill["amount_due"], 274_540);
    assert_eq!(bill["details"]["household"], "poor");
    assert_eq!(bill["lines"][0]["unit_price"], "5973");
    // The inquiry's details show the status too.
    let statement = billers(&h).inquire("HAWACO", HANOI).await.expect("found");
    assert_eq!(statement.amount_due, 274_540);
    assert_eq!(
        statement.details.pricing.household,
        adapters::billing::HouseholdStatus::Poor
    );
    // HCMC, near-poor, one person, 40 m³: 4×6,300 + 2×12,900 + 34×14,400 = 540,600;
    // VAT 27,030; drainage 162,180 and its VAT 12,974.
    let bill = create(
        &h,
        json!({"biller_code": "SAWACO", "customer_code": SAIGON, "customer_name": "LE VAN C",
               "period": "2025-03", "m3": 40, "household": "near_poor"}),
    )
    .await;
    assert_eq!(bill["amount_due"], 742_784);
    assert_eq!(bill["details"]["household"], "near_poor");
    // "none" is the ordinary price, as when the field is absent.
    let bill = create(
        &h,
        json!({"biller_code": "SAWACO", "customer_code": SAIGON, "customer_name": "LE VAN C",
               "period": "2025-04", "m3": 40, "household": "none"}),
    )
    .await;
    assert_eq!(bill["amount_due"], 744_983);
    assert!(bill["details"].get("household").is_none());
    let (status, answer) = h
        .post(
            "/water/bills",
            json!({"biller_code": "SAWACO", "customer_code": SAIGON, "customer_name": "A",
                   "period": "2025-05", "m3": 4, "household": "rich"}),
        )
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_request"))
    );
}

#[tokio::test]
async fn malformed_water_bills_are_rejected() {
    let h = Harness::start().await;
    let cases = [
        (
            json!({"biller_code": "NOPE", "customer_code": HANOI}),
            "unknown_biller",
        ),
        (
            json!({"biller_code": "EVNHANOI", "customer_code": HANOI}),
            "unknown_biller",
        ),
        (
            json!({"biller_code": "HAWACO", "customer_code": "HW123"}),
            "invalid_customer_code",
        ),
        (
            json!({"biller_code": "SAWACO", "customer_code": HANOI}),
            "invalid_customer_code",
        ),
        (
            json!({"biller_code": "SAWACO", "customer_code": SAIGON, "persons": 0}),
            "invalid_persons",
        ),
        (
            json!({"biller_code": "HAWACO", "customer_code": HANOI, "m3": 0}),
            "invalid_consumption",
        ),
        (
            json!({"biller_code": "HAWACO", "customer_code": HANOI, "customer_name": " "}),
            "invalid_customer_name",
        ),
    ];
    for (overrides, code) in cases {
        let mut body = json!({"customer_name": "A", "period": "2025-06", "m3": 10});
        for (key, value) in overrides.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, answer) = h.post("/water/bills", body).await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &json!(code)),
            "{overrides}"
        );
    }
    let (status, answer) = h
        .post("/water/bills", json!({"biller_code": "HAWACO"}))
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_request"))
    );
    let billers = billers(&h);
    assert_eq!(
        billers.inquire("HAWACO", SAIGON).await,
        Err(BillerError::InvalidCustomerCode)
    );
    assert_eq!(
        billers.inquire("SAWACO", SAIGON).await,
        Err(BillerError::CustomerNotFound)
    );
}

#[tokio::test]
async fn each_system_has_its_own_bills_and_faults() {
    let h = Harness::start().await;
    let billers = billers(&h);
    let (status, evn) = h
        .post(
            "/evn/bills",
            json!({"customer_code": "PD29007350490", "customer_name": "A", "period": "2025-06",
                   "kwh": 250}),
        )
        .await;
    assert_eq!(status, 201);
    let evn_ref = evn["bill_ref"].as_str().expect("ref");
    // An EVN bill cannot be cleared through a water company.
    assert_eq!(
        billers
            .confirm_payment("HAWACO", evn_ref, 636_768, "x1")
            .await,
        Err(BillerError::CustomerNotFound)
    );
    create(
        &h,
        json!({"biller_code": "HAWACO", "customer_code": HANOI, "customer_name": "A",
               "period": "2025-06", "m3": 25}),
    )
    .await;
    h.post("/water/faults", json!({"mode": "unavailable"}))
        .await;
    assert_eq!(
        billers.inquire("HAWACO", HANOI).await.map(|_| ()),
        Err(BillerError::Unavailable("unavailable".into()))
    );
    assert!(billers.inquire("EVNHANOI", "PD29007350490").await.is_ok());
}
