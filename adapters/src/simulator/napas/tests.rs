//! Unit tests of the books and the fault settings.

use super::book::{Book, BookError};
use super::{FaultMode, Faults};
use crate::bank::wire::TransferRequest;
use crate::bank::TransferDirection;
use crate::identity::Cccd;
use chrono::Utc;

const BIN: &str = "970436";

fn book() -> Book {
    let mut book = Book::default();
    let cccd = Cccd::parse("001099012345").expect("valid");
    book.open(BIN, "0011", cccd, "NGUYEN VAN AN".into(), 1_000_000)
        .expect("opens");
    book
}

fn request(amount: i64, reference: &str) -> TransferRequest {
    TransferRequest {
        bank_bin: BIN.into(),
        account_number: "0011".into(),
        amount,
        reference: reference.into(),
    }
}

fn balance(book: &Book) -> i64 {
    book.view(BIN, "0011").expect("exists").balance
}

#[test]
fn debit_then_credit_moves_the_balance() {
    let mut book = book();
    let (receipt, replayed) = book
        .apply(
            TransferDirection::Debit,
            &request(400_000, "r1"),
            Utc::now(),
        )
        .expect("debits");
    assert!(!replayed);
    assert_eq!(receipt.amount, 400_000);
    assert_eq!(balance(&book), 600_000);
    book.apply(
        TransferDirection::Credit,
        &request(50_000, "r2"),
        Utc::now(),
    )
    .expect("credits");
    assert_eq!(balance(&book), 650_000);
}

#[test]
fn a_reference_applies_once() {
    let mut book = book();
    let first = book
        .apply(TransferDirection::Debit, &request(100, "r1"), Utc::now())
        .expect("debits");
    let again = book
        .apply(TransferDirection::Debit, &request(100, "r1"), Utc::now())
        .expect("replays");
    assert_eq!(again, (first.0, true));
    assert_eq!(balance(&book), 999_900);
    assert_eq!(
        book.apply(TransferDirection::Debit, &request(200, "r1"), Utc::now()),
        Err(BookError::ReferenceConflict)
    );
    assert_eq!(
        book.apply(TransferDirection::Credit, &request(100, "r1"), Utc::now()),
        Err(BookError::ReferenceConflict)
    );
}

#[test]
fn refusals_move_nothing_and_are_not_recorded() {
    let mut book = book();
    assert_eq!(
        book.apply(
            TransferDirection::Debit,
            &request(1_000_001, "r1"),
            Utc::now()
        ),
        Err(BookError::InsufficientFunds)
    );
    assert_eq!(balance(&book), 1_000_000);
    assert!(book
        .apply(
            TransferDirection::Debit,
            &request(1_000_000, "r1"),
            Utc::now()
        )
        .is_ok());
    assert_eq!(balance(&book), 0);
    assert_eq!(
        book.apply(
            TransferDirection::Credit,
            &request(i64::MAX, "r2"),
            Utc::now()
        )
        .map(|_| ()),
        Ok(())
    );
    assert_eq!(
        book.apply(TransferDirection::Credit, &request(1, "r3"), Utc::now()),
        Err(BookError::OutOfRange)
    );
}

#[test]
fn closed_and_missing_accounts() {
    let mut book = book();
    book.close(BIN, "0011").expect("closes");
    assert_eq!(
        book.inquire(BIN, "0011").map(|_| ()),
        Err(BookError::Closed)
    );
    assert_eq!(
        book.apply(TransferDirection::Credit, &request(1, "r1"), Utc::now()),
        Err(BookError::Closed)
    );
    assert_eq!(
        book.inquire(BIN, "9999").map(|_| ()),
        Err(BookError::NotFound)
    );
    assert_eq!(
        book.close(BIN, "9999").map(|_| ()),
        Err(BookError::NotFound)
    );
    let cccd = Cccd::parse("001099012345").expect("valid");
    assert_eq!(
        book.open(BIN, "0011", cccd, "X".into(), 0).map(|_| ()),
        Err(BookError::AlreadyExists)
    );
}

#[test]
fn fault_delays() {
    let faults = |mode, delay_ms| Faults { mode, delay_ms }.delay().as_millis();
    assert_eq!(faults(FaultMode::None, None), 0);
    assert_eq!(faults(FaultMode::None, Some(250)), 250);
    assert_eq!(faults(FaultMode::Timeout, None), 30_000);
    assert_eq!(faults(FaultMode::Timeout, Some(2_000)), 2_000);
    assert_eq!(faults(FaultMode::Unavailable, Some(2_000)), 0);
    assert_eq!(faults(FaultMode::Timeout, Some(u64::MAX)), 600_000);
}

#[test]
fn fault_body_parses() {
    let parsed: Faults =
        serde_json::from_str(r#"{"mode":"timeout","delay_ms":1500}"#).expect("parses");
    assert_eq!(parsed.mode, FaultMode::Timeout);
    assert_eq!(parsed.delay_ms, Some(1500));
    assert!(serde_json::from_str::<Faults>(r#"{"mode":"slow"}"#).is_err());
}
