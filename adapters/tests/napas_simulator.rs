//! HttpBankAdapter against the NAPAS simulator over real HTTP.

mod common;

use adapters::bank::{BankAdapter, BankError, HttpBankAdapter, TransferDirection};
use common::{Harness, ACCOUNT, BIN, HOLDER, TIMEOUT};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn inquiry_finds_the_holder() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 0).await;
    let holder = h.bank.inquire_account(BIN, ACCOUNT).await.expect("found");
    assert_eq!(holder.holder_cccd.expose(), HOLDER);
    assert_eq!(holder.holder_name, "NGUYEN VAN AN");
    assert_eq!(
        (holder.bank_bin.as_str(), holder.account_number.as_str()),
        (BIN, ACCOUNT)
    );
    assert!(!format!("{holder:?}").contains(HOLDER));
}

#[tokio::test]
async fn inquiry_of_an_unknown_account() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 0).await;
    assert_eq!(
        h.bank.inquire_account(BIN, "999").await,
        Err(BankError::AccountNotFound)
    );
    assert_eq!(
        h.bank.inquire_account("970415", ACCOUNT).await,
        Err(BankError::AccountNotFound)
    );
}

#[tokio::test]
async fn debit_and_credit_move_the_balance() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 1_000_000).await;
    let receipt = h
        .bank
        .debit(BIN, ACCOUNT, 250_000, "ref-debit-1")
        .await
        .expect("debited");
    assert_eq!(receipt.direction, TransferDirection::Debit);
    assert_eq!(receipt.amount, 250_000);
    assert_eq!(receipt.reference, "ref-debit-1");
    assert!(!receipt.bank_transaction_id.is_empty());
    assert_eq!(h.balance(ACCOUNT).await, 750_000);
    let receipt = h
        .bank
        .credit(BIN, ACCOUNT, 50_000, "ref-credit-1")
        .await
        .expect("credited");
    assert_eq!(receipt.direction, TransferDirection::Credit);
    assert_eq!(h.balance(ACCOUNT).await, 800_000);
}

#[tokio::test]
async fn insufficient_funds_moves_nothing() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 100_000).await;
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 100_001, "ref-1").await,
        Err(BankError::InsufficientFunds)
    );
    assert_eq!(h.balance(ACCOUNT).await, 100_000);
    // A refused reference was not recorded and may be used again.
    assert!(h.bank.debit(BIN, ACCOUNT, 100_000, "ref-1").await.is_ok());
    assert_eq!(h.balance(ACCOUNT).await, 0);
}

#[tokio::test]
async fn the_same_reference_moves_money_once() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 1_000_000).await;
    let first = h
        .bank
        .debit(BIN, ACCOUNT, 300_000, "ref-once")
        .await
        .expect("debited");
    let again = h
        .bank
        .debit(BIN, ACCOUNT, 300_000, "ref-once")
        .await
        .expect("replayed");
    assert_eq!(first, again);
    assert_eq!(h.balance(ACCOUNT).await, 700_000);
    let (status, body) = h
        .post(
            "/napas/v1/debits",
            json!({"bank_bin": BIN, "account_number": ACCOUNT, "amount": 1, "reference": "ref-once"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("reference_conflict"))
    );
    assert_eq!(
        h.bank.credit(BIN, ACCOUNT, 300_000, "ref-once").await,
        Err(BankError::Rejected("reference_conflict".into()))
    );
    assert_eq!(h.balance(ACCOUNT).await, 700_000);
}

#[tokio::test]
async fn replays_are_marked() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 10).await;
    let body = json!({"bank_bin": BIN, "account_number": ACCOUNT, "amount": 5, "reference": "r"});
    let send = || h.http.post(h.url("/napas/v1/credits")).json(&body).send();
    let first = send().await.expect("sent");
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let second = send().await.expect("sent");
    assert_eq!(
        second
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
}

#[tokio::test]
async fn a_closed_account_refuses_everything() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 500_000).await;
    let (status, body) = h
        .post(&format!("/napas/accounts/{BIN}/{ACCOUNT}/close"), json!({}))
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("closed")));
    assert_eq!(
        h.bank.inquire_account(BIN, ACCOUNT).await,
        Err(BankError::AccountClosed)
    );
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 1, "r1").await,
        Err(BankError::AccountClosed)
    );
    assert_eq!(
        h.bank.credit(BIN, ACCOUNT, 1, "r2").await,
        Err(BankError::AccountClosed)
    );
    assert_eq!(h.balance(ACCOUNT).await, 500_000);
}

#[tokio::test]
async fn timeout_then_a_safe_retry() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 1_000_000).await;
    h.faults(json!({"mode": "timeout", "delay_ms": 5_000}))
        .await;
    let started = Instant::now();
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 200_000, "ref-t").await,
        Err(BankError::Timeout)
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= TIMEOUT && elapsed < TIMEOUT + Duration::from_millis(1_500),
        "{elapsed:?}"
    );
    assert_eq!(
        h.bank.inquire_account(BIN, ACCOUNT).await.map(|_| ()),
        Err(BankError::Timeout)
    );
    // The simulated bank applied the debit although its answer never came.
    assert_eq!(h.balance(ACCOUNT).await, 800_000);
    h.faults(json!({"mode": "none"})).await;
    let receipt = h
        .bank
        .debit(BIN, ACCOUNT, 200_000, "ref-t")
        .await
        .expect("replayed");
    assert_eq!(receipt.amount, 200_000);
    assert_eq!(h.balance(ACCOUNT).await, 800_000);
}

#[tokio::test]
async fn unavailable_bank() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 1_000).await;
    h.faults(json!({"mode": "unavailable"})).await;
    let err = h
        .bank
        .debit(BIN, ACCOUNT, 100, "ref-u")
        .await
        .expect_err("unavailable");
    assert_eq!(err, BankError::Unavailable("unavailable".into()));
    assert!(err.is_retryable());
    assert_eq!(h.balance(ACCOUNT).await, 1_000);
}

#[tokio::test]
async fn unreachable_switch_and_local_refusals() {
    let h = Harness::start().await;
    let nowhere = HttpBankAdapter::new("http://127.0.0.1:9/napas", TIMEOUT).expect("builds");
    assert!(matches!(
        nowhere.inquire_account(BIN, ACCOUNT).await,
        Err(BankError::Unavailable(_))
    ));
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 0, "r").await,
        Err(BankError::Rejected("invalid_amount".into()))
    );
    assert_eq!(
        h.bank.credit(BIN, ACCOUNT, -5, "r").await,
        Err(BankError::Rejected("invalid_amount".into()))
    );
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 1, "").await,
        Err(BankError::Rejected("invalid_reference".into()))
    );
}

#[tokio::test]
async fn control_api_validates_accounts() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 0).await;
    let account = |bin: &str, cccd: &str, balance: i64| {
        json!({"bank_bin": bin, "account_number": "42", "holder_cccd": cccd,
               "holder_name": "X", "balance": balance})
    };
    let cases = [
        (account(BIN, "123", 0), 400, "invalid_cccd"),
        (account("97043", HOLDER, 0), 400, "invalid_bank_bin"),
        (account(BIN, HOLDER, -1), 400, "invalid_amount"),
        (json!({"bank_bin": BIN}), 400, "invalid_request"),
        (
            json!({"bank_bin": BIN, "account_number": ACCOUNT, "holder_cccd": HOLDER,
                "holder_name": "X", "balance": 0}),
            409,
            "account_exists",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = h.post("/napas/accounts", body).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
    }
    let (status, view) = h.post("/napas/accounts", account(BIN, HOLDER, 7)).await;
    assert_eq!(status, 201);
    assert_eq!(view["holder_cccd"], "001******345");
    let missing = h
        .http
        .get(h.url("/napas/accounts/970436/nope"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status().as_u16(), 404);
}
