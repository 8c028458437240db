//! Unit tests of the bill and contribution books.

use super::book::{BillBook, BookError, NewBill};
use super::vss::{ContributionBook, ContributionError};
use crate::biller::wire::{ContributionRequest, PaymentRequest};
use crate::biller::{BillDetails, BillStatus, MeterUnit};
use crate::billing::{price_electricity, BillerKind, InsuranceScheme, TariffTable};
use crate::identity::Cccd;
use chrono::Utc;

const CUSTOMER: &str = "PD29007350490";

fn bill(period: &str, kwh: u32) -> NewBill {
    let period = period.parse().unwrap();
    NewBill {
        biller_code: "EVNHANOI".into(),
        customer_code: CUSTOMER.into(),
        customer_name: "NGUYEN VAN AN".into(),
        period,
        details: BillDetails {
            kind: BillerKind::Electricity,
            unit: MeterUnit::Kwh,
            consumption: kwh,
            persons: None,
            pricing: price_electricity(kwh, period, TariffTable::vietnam()).unwrap(),
        },
    }
}

fn payment(bill_ref: &str, amount: i64, reference: &str) -> PaymentRequest {
    PaymentRequest {
        biller_code: "EVNHANOI".into(),
        bill_ref: bill_ref.into(),
        amount,
        reference: reference.into(),
    }
}

#[test]
fn issues_priced_bills_and_finds_the_latest() {
    let mut book = BillBook::new("EVN");
    let june = book.issue(bill("2025-06", 250)).unwrap();
    assert_eq!(june.statement.amount_due, 636_768);
    assert_eq!(june.lines.len(), 4);
    assert!(june.statement.bill_ref.starts_with("EVN"));
    let may = book.issue(bill("2025-05", 100)).unwrap();
    assert_ne!(may.statement.bill_ref, june.statement.bill_ref);
    let latest = book.latest("EVNHANOI", CUSTOMER).unwrap();
    assert_eq!(latest.bill_ref, june.statement.bill_ref);
    assert_eq!(latest.status, BillStatus::Unpaid);
    assert_eq!(
        book.issue(bill("2025-06", 1)).unwrap_err(),
        BookError::BillExists
    );
    assert_eq!(
        book.latest("EVNHCMC", CUSTOMER).unwrap_err(),
        BookError::CustomerNotFound
    );
}

#[test]
fn pays_once_per_reference_and_refuses_the_rest() {
    let mut book = BillBook::new("EVN");
    let bill_ref = book.issue(bill("2025-06", 250)).unwrap().statement.bill_ref;
    let wrong = book.pay(&payment(&bill_ref, 636_767, "r1"), Utc::now());
    assert_eq!(wrong.unwrap_err(), BookError::AmountMismatch);
    let (first, replayed) = book
        .pay(&payment(&bill_ref, 636_768, "r1"), Utc::now())
        .unwrap();
    assert!(!replayed);
    let (again, replayed) = book
        .pay(&payment(&bill_ref, 636_768, "r1"), Utc::now())
        .unwrap();
    assert!(replayed);
    assert_eq!(again, first);
    let other = book.pay(&payment(&bill_ref, 636_768, "r2"), Utc::now());
    assert_eq!(other.unwrap_err(), BookError::AlreadyPaid);
    let reused = book.pay(&payment("EVNX", 636_768, "r1"), Utc::now());
    assert_eq!(reused.unwrap_err(), BookError::ReferenceConflict);
    let view = book.view(&bill_ref).unwrap();
    assert_eq!(view.statement.status, BillStatus::Paid);
    assert_eq!(view.payment, Some(first));
}

#[test]
fn another_billers_bill_is_not_found() {
    let mut book = BillBook::new("EVN");
    let bill_ref = book.issue(bill("2025-06", 250)).unwrap().statement.bill_ref;
    let mut request = payment(&bill_ref, 636_768, "r1");
    request.biller_code = "EVNHCMC".into();
    assert_eq!(
        book.pay(&request, Utc::now()).unwrap_err(),
        BookError::BillNotFound
    );
    assert_eq!(book.view("nope").unwrap_err(), BookError::BillNotFound);
}

#[test]
fn contributions_are_recorded_once_per_reference() {
    let cccd = Cccd::parse("001099012345").unwrap();
    let request = ContributionRequest {
        scheme: InsuranceScheme::BhytHousehold,
        insured_cccd: cccd.expose().into(),
        amount: 315_900,
        months: 3,
        reference: "c1".into(),
    };
    let mut book = ContributionBook::default();
    let (first, replayed) = book.record(&request, &cccd, Utc::now()).unwrap();
    assert!(!replayed);
    assert_eq!(first.insured_cccd, "001******345");
    assert_eq!(first.biller_code, "VSS_BHYT");
    let (again, replayed) = book.record(&request, &cccd, Utc::now()).unwrap();
    assert!(replayed);
    assert_eq!(again, first);
    let changed = ContributionRequest {
        amount: 1,
        ..request.clone()
    };
    assert_eq!(
        book.record(&changed, &cccd, Utc::now()).unwrap_err(),
        ContributionError::ReferenceConflict
    );
    assert_eq!(book.of(&cccd), vec![first]);
}
