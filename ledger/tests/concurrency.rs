//! Limits and idempotency under many concurrent writers against the real PostgreSQL:
//! direct batches on separate connections, and single transfers through the
//! group-commit writer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::TestLedger;
use ledger::{
    Account, AccountFlags as AF, CreateTransferResult as R, Transfer, TransferWriter, WriterConfig,
};

const VND: u32 = 704;
const WALLET: u128 = 1;
const BANK: u128 = 2;
const BILLER: u128 = 3;

fn setup(funds: u64, pool: u32) -> TestLedger {
    let db = TestLedger::with_pool(pool);
    db.ledger
        .create_accounts(&[
            Account::new(WALLET, VND, 1, AF::DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account::new(BANK, VND, 2, AF::NONE),
            Account::new(BILLER, VND, 3, AF::NONE),
        ])
        .unwrap();
    let fund = Transfer {
        id: u128::from(u64::MAX),
        debit_account_id: BANK,
        credit_account_id: WALLET,
        amount: funds,
        ledger: VND,
        code: 1,
        ..Transfer::default()
    };
    assert_eq!(db.ledger.create_transfers(&[fund]).unwrap(), vec![R::Ok]);
    db
}

fn spend(id: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        debit_account_id: WALLET,
        credit_account_id: BILLER,
        amount,
        ledger: VND,
        code: 2,
        ..Transfer::default()
    }
}

#[test]
fn concurrent_batches_never_overdraw_a_wallet() {
    let db = setup(10_000, 8);
    let ledger = Arc::new(db.ledger.clone());
    let threads: Vec<_> = (0..8u128)
        .map(|t| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                let mut ok = 0u64;
                for round in 0..10u128 {
                    let batch: Vec<Transfer> = (0..5u128)
                        .map(|i| spend(1 + t * 1_000 + round * 10 + i, 100))
                        .collect();
                    let results = ledger.create_transfers(&batch).unwrap();
                    ok += results.iter().filter(|r| **r == R::Ok).count() as u64;
                    assert!(results
                        .iter()
                        .all(|r| matches!(r, R::Ok | R::ExceedsCredits)));
                }
                ok
            })
        })
        .collect();
    let accepted: u64 = threads.into_iter().map(|h| h.join().unwrap()).sum();
    // 400 attempts of 100 against 10,000: exactly 100 fit.
    assert_eq!(accepted, 100);
    let wallet = db.ledger.lookup_accounts(&[WALLET]).unwrap()[0];
    assert_eq!(wallet.debits_posted, 10_000);
    assert_eq!(wallet.credits_posted, 10_000);
    assert!(db.ledger.verify().unwrap().ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_commit_writer_answers_each_caller_and_holds_the_limit() {
    let db = setup(5_000, 4);
    let (writer, _task) = TransferWriter::spawn(db.ledger.clone(), WriterConfig::default());
    // 300 callers each spend 50 from a wallet holding 5,000: exactly 100 succeed.
    let calls: Vec<_> = (1..=300u128)
        .map(|id| {
            let writer = writer.clone();
            tokio::spawn(async move { (id, writer.submit(vec![spend(id, 50)]).await.unwrap()) })
        })
        .collect();
    let mut accepted = HashSet::new();
    for call in calls {
        let (id, results) = call.await.unwrap();
        assert_eq!(results.len(), 1);
        match results[0] {
            R::Ok => {
                accepted.insert(id);
            }
            R::ExceedsCredits => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted.len(), 100);
    let ids: Vec<u128> = (1..=300).collect();
    let recorded: HashSet<u128> = db
        .ledger
        .lookup_transfers(&ids)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        recorded, accepted,
        "every accepted transfer recorded, nothing else"
    );
    let wallet = db.ledger.lookup_accounts(&[WALLET]).unwrap()[0];
    assert_eq!(wallet.debits_posted, 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_transfer_submitted_concurrently_applies_once() {
    let db = setup(1_000_000, 4);
    let (writer, _task) = TransferWriter::spawn(db.ledger.clone(), WriterConfig::default());
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.submit(vec![spend(42, 700)]).await.unwrap()[0] })
        })
        .collect();
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|r| **r == R::Ok).count(), 1);
    assert!(outcomes.iter().all(|r| matches!(r, R::Ok | R::Exists)));
    let wallet = db.ledger.lookup_accounts(&[WALLET]).unwrap()[0];
    assert_eq!(wallet.debits_posted, 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_chain_through_the_writer_is_all_or_nothing() {
    let db = setup(100, 4);
    let (writer, _task) = TransferWriter::spawn(db.ledger.clone(), WriterConfig::default());
    let mut first = spend(1, 60);
    first.flags = ledger::TransferFlags::LINKED;
    let chain = vec![first, spend(2, 60)];
    let other = writer.clone();
    let (chain_results, single) =
        tokio::join!(writer.submit(chain), other.submit(vec![spend(3, 10)]));
    assert_eq!(
        chain_results.unwrap(),
        vec![R::LinkedEventFailed, R::ExceedsCredits]
    );
    assert_eq!(single.unwrap(), vec![R::Ok]);
    // A chain left open is refused on its own without touching anyone else's.
    let mut open = spend(4, 1);
    open.flags = ledger::TransferFlags::LINKED;
    assert_eq!(
        writer.submit(vec![open]).await.unwrap(),
        vec![R::LinkedEventChainOpen]
    );
    let wallet = db.ledger.lookup_accounts(&[WALLET]).unwrap()[0];
    assert_eq!(wallet.debits_posted, 10);
}
