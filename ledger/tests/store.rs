//! The PostgreSQL store: durability of the rules across batches, the append-only and
//! hash-chained journal, reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestLedger;
use diesel::RunQueryDsl;
use ledger::{
    Account, AccountFlags as AF, CreateAccountResult, CreateTransferResult as R, EntrySide,
    LedgerError, Transfer, TransferFlags as TF,
};

const VND: u32 = 704;
const WALLET: u128 = 10;
const BANK: u128 = 20;
const BILLER: u128 = 30;

fn setup() -> TestLedger {
    let db = TestLedger::new();
    let results = db
        .ledger
        .create_accounts(&[
            Account::new(
                WALLET,
                VND,
                1,
                AF::DEBITS_MUST_NOT_EXCEED_CREDITS | AF::HISTORY,
            ),
            Account::new(BANK, VND, 2, AF::NONE),
            Account::new(BILLER, VND, 3, AF::NONE),
        ])
        .unwrap();
    assert!(results.iter().all(|r| *r == CreateAccountResult::Ok));
    db
}

fn tr(id: u128, dr: u128, cr: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        debit_account_id: dr,
        credit_account_id: cr,
        amount,
        ledger: VND,
        code: 1,
        ..Transfer::default()
    }
}

fn account(db: &TestLedger, id: u128) -> Account {
    db.ledger.lookup_accounts(&[id]).unwrap()[0]
}

#[test]
fn accounts_are_created_once_and_a_changed_field_is_named() {
    let db = setup();
    let again = db
        .ledger
        .create_accounts(&[
            Account::new(
                WALLET,
                VND,
                1,
                AF::DEBITS_MUST_NOT_EXCEED_CREDITS | AF::HISTORY,
            ),
            Account::new(BANK, VND, 9, AF::NONE),
        ])
        .unwrap();
    assert_eq!(
        again,
        vec![
            CreateAccountResult::Exists,
            CreateAccountResult::ExistsWithDifferentCode
        ]
    );
    assert!(account(&db, WALLET).timestamp > 0);
}

#[test]
fn a_failed_transfer_id_stays_failed_across_batches() {
    let db = setup();
    let spend = tr(1, WALLET, BILLER, 100);
    assert_eq!(
        db.ledger.create_transfers(&[spend]).unwrap(),
        vec![R::ExceedsCredits]
    );
    assert_eq!(
        db.ledger
            .create_transfers(&[tr(2, BANK, WALLET, 500)])
            .unwrap(),
        vec![R::Ok]
    );
    assert_eq!(
        db.ledger.create_transfers(&[spend]).unwrap(),
        vec![R::IdAlreadyFailed]
    );
    assert_eq!(account(&db, WALLET).debits_posted, 0);
}

#[test]
fn holds_post_partially_and_release_the_rest() {
    let db = setup();
    db.ledger
        .create_transfers(&[tr(1, BANK, WALLET, 1_000)])
        .unwrap();
    let hold = Transfer {
        flags: TF::PENDING,
        ..tr(2, WALLET, BILLER, 800)
    };
    assert_eq!(db.ledger.create_transfers(&[hold]).unwrap(), vec![R::Ok]);
    let post = Transfer {
        id: 3,
        pending_id: 2,
        amount: 500,
        flags: TF::POST_PENDING_TRANSFER,
        ..Transfer::default()
    };
    assert_eq!(db.ledger.create_transfers(&[post]).unwrap(), vec![R::Ok]);
    let w = account(&db, WALLET);
    assert_eq!(
        (w.debits_pending, w.debits_posted, w.credits_posted),
        (0, 500, 1_000)
    );
    assert_eq!(
        db.ledger.create_transfers(&[post]).unwrap(),
        vec![R::Exists]
    );
    let void = Transfer {
        id: 4,
        flags: TF::VOID_PENDING_TRANSFER,
        amount: 0,
        ..post
    };
    assert_eq!(
        db.ledger.create_transfers(&[void]).unwrap(),
        vec![R::PendingTransferAlreadyPosted]
    );
}

#[test]
fn an_expired_hold_is_released_by_the_store_and_cannot_be_posted() {
    let db = setup();
    db.ledger
        .create_transfers(&[tr(1, BANK, WALLET, 1_000)])
        .unwrap();
    let hold = Transfer {
        flags: TF::PENDING,
        timeout: 1,
        ..tr(2, WALLET, BILLER, 700)
    };
    assert_eq!(db.ledger.create_transfers(&[hold]).unwrap(), vec![R::Ok]);
    assert_eq!(account(&db, WALLET).debits_pending, 700);
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert_eq!(db.ledger.expire_pending_transfers().unwrap(), 1);
    assert_eq!(account(&db, WALLET).debits_pending, 0);
    assert_eq!(account(&db, BILLER).credits_pending, 0);
    let post = Transfer {
        id: 3,
        pending_id: 2,
        flags: TF::POST_PENDING_TRANSFER,
        ..Transfer::default()
    };
    assert_eq!(
        db.ledger.create_transfers(&[post]).unwrap(),
        vec![R::PendingTransferExpired]
    );
    // The released funds can be spent.
    assert_eq!(
        db.ledger
            .create_transfers(&[tr(4, WALLET, BILLER, 1_000)])
            .unwrap(),
        vec![R::Ok]
    );
}

#[test]
fn the_journal_refuses_update_and_delete() {
    let db = setup();
    db.ledger
        .create_transfers(&[tr(1, BANK, WALLET, 5)])
        .unwrap();
    let mut conn = db.connection();
    let update = diesel::sql_query("UPDATE ledger_transfers SET amount = 6").execute(&mut conn);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM ledger_transfers").execute(&mut conn);
    assert!(delete.is_err());
    let truncate = diesel::sql_query("TRUNCATE ledger_transfers").execute(&mut conn);
    assert!(truncate.is_err());
}

#[test]
fn verify_names_the_first_tampered_transfer() {
    let db = setup();
    for i in 1..=5u128 {
        db.ledger
            .create_transfers(&[tr(i, BANK, WALLET, 10 * i as u64)])
            .unwrap();
    }
    let clean = db.ledger.verify().unwrap();
    assert!(clean.ok);
    assert_eq!(clean.transfers_checked, 5);
    assert_eq!(clean.head_hash.len(), 64);

    // Someone with the power to lift the trigger edits the third transfer.
    let mut conn = db.connection();
    for sql in [
        "ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfers_append_only",
        "UPDATE ledger_transfers SET amount = 999 WHERE seq = 3",
        "ALTER TABLE ledger_transfers ENABLE TRIGGER ledger_transfers_append_only",
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let report = db.ledger.verify().unwrap();
    assert!(!report.ok);
    let broken = report.first_broken.unwrap();
    assert_eq!((broken.seq, broken.transfer_id), (3, Some(3)));
    assert_eq!(report.transfers_checked, 2);
}

#[test]
fn verify_notices_a_deleted_transfer() {
    let db = setup();
    for i in 1..=3u128 {
        db.ledger
            .create_transfers(&[tr(i, BANK, WALLET, 1)])
            .unwrap();
    }
    let mut conn = db.connection();
    for sql in [
        "ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfers_append_only",
        "DELETE FROM ledger_transfers WHERE seq = 3",
        "ALTER TABLE ledger_transfers ENABLE TRIGGER ledger_transfers_append_only",
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let report = db.ledger.verify().unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_broken.unwrap().reason, "missing_transfer");
}

#[test]
fn entries_page_newest_first_without_gaps_or_repeats() {
    let db = setup();
    let batch: Vec<Transfer> = (1..=25u128)
        .map(|i| {
            if i % 2 == 0 {
                tr(i, BANK, WALLET, 100)
            } else {
                tr(i, BANK, BILLER, 1)
            }
        })
        .chain((26..=30u128).map(|i| tr(i, WALLET, BILLER, 10)))
        .collect();
    assert!(db
        .ledger
        .create_transfers(&batch)
        .unwrap()
        .iter()
        .all(|r| *r == R::Ok));
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = db.ledger.account_entries(WALLET, 4, before).unwrap();
        seen.extend(page.entries.iter().map(|e| (e.transfer.id, e.side)));
        before = page.entries.last().map(|e| e.transfer.timestamp);
        if !page.has_more {
            break;
        }
    }
    let expected: Vec<(u128, EntrySide)> = (26..=30u128)
        .rev()
        .map(|i| (i, EntrySide::Debit))
        .chain(
            (1..=25u128)
                .rev()
                .filter(|i| i % 2 == 0)
                .map(|i| (i, EntrySide::Credit)),
        )
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn balances_can_be_read_as_of_a_past_moment() {
    let db = setup();
    db.ledger
        .create_transfers(&[tr(1, BANK, WALLET, 300)])
        .unwrap();
    let t1 = db.ledger.lookup_transfers(&[1]).unwrap()[0].timestamp;
    db.ledger
        .create_transfers(&[tr(2, WALLET, BILLER, 100)])
        .unwrap();
    let at_t1 = db.ledger.balance_as_of(WALLET, t1).unwrap().unwrap();
    assert_eq!((at_t1.credits_posted, at_t1.debits_posted), (300, 0));
    let now = db
        .ledger
        .balance_as_of(WALLET, u64::MAX / 2)
        .unwrap()
        .unwrap();
    assert_eq!((now.credits_posted, now.debits_posted), (300, 100));
    assert_eq!(
        db.ledger
            .balance_as_of(WALLET, t1 - 1)
            .unwrap()
            .unwrap()
            .credits_posted,
        0
    );
    assert!(matches!(
        db.ledger.balance_as_of(BANK, t1),
        Err(LedgerError::HistoryNotKept(_))
    ));
    assert_eq!(db.ledger.balance_as_of(999, t1).unwrap(), None);
}

#[test]
fn the_trial_balance_balances_per_currency() {
    let db = setup();
    db.ledger
        .create_transfers(&[
            tr(1, BANK, WALLET, 300),
            Transfer {
                flags: TF::PENDING,
                ..tr(2, WALLET, BILLER, 100)
            },
        ])
        .unwrap();
    let totals = db.ledger.totals().unwrap();
    assert_eq!(totals.len(), 1);
    assert!(totals[0].balanced());
    assert_eq!(
        (totals[0].debits_posted, totals[0].debits_pending),
        (300, 100)
    );
}

#[test]
fn an_oversized_batch_is_refused_whole() {
    let db = setup();
    let batch: Vec<Transfer> = (1..=8191u128).map(|i| tr(i, BANK, BILLER, 1)).collect();
    assert!(matches!(
        db.ledger.create_transfers(&batch),
        Err(LedgerError::BatchTooLarge { .. })
    ));
    assert_eq!(account(&db, BANK).debits_posted, 0);
}

/// A caller's own rows and the ledger's commit together, and roll back together.
#[test]
fn a_batch_inside_the_callers_transaction_commits_or_rolls_back_with_it() {
    use diesel::Connection;
    let db = setup();
    let mut conn = db.connection();
    diesel::sql_query("CREATE TABLE caller_rows (id bigint PRIMARY KEY)")
        .execute(&mut conn)
        .unwrap();
    let fund = tr(1, BANK, WALLET, 1_000);
    let spend = tr(2, WALLET, BILLER, 600);
    let again = tr(3, WALLET, BILLER, 600);
    conn.transaction::<_, LedgerError, _>(|conn| {
        let lock = ledger::TransferBatch::lock(conn)?;
        let mut batch = ledger::TransferBatch::begin(conn, lock, &[fund, spend, again])?;
        assert_eq!(batch.apply(&[fund])?, vec![R::Ok]);
        // The caller decides each step from what the ledger now holds.
        assert_eq!(batch.account(WALLET).unwrap().credits_posted, 1_000);
        assert_eq!(batch.apply(&[spend])?, vec![R::Ok]);
        assert_eq!(batch.apply(&[again])?, vec![R::ExceedsCredits]);
        // Something the batch was not told about at the start is refused.
        let unknown = tr(4, BANK, WALLET, 1);
        assert!(matches!(
            batch.apply(&[unknown]),
            Err(LedgerError::NotPrefetched(4))
        ));
        batch.write(conn)?;
        diesel::sql_query("INSERT INTO caller_rows VALUES (1)").execute(conn)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(account(&db, WALLET).credits_posted, 1_000);
    assert_eq!(account(&db, WALLET).debits_posted, 600);

    let failed = conn.transaction::<(), LedgerError, _>(|conn| {
        let lock = ledger::TransferBatch::lock(conn)?;
        let mut batch = ledger::TransferBatch::begin(conn, lock, &[tr(5, BANK, WALLET, 50)])?;
        batch.apply(&[tr(5, BANK, WALLET, 50)])?;
        batch.write(conn)?;
        // The caller's own write fails: the ledger's must not survive it.
        diesel::sql_query("INSERT INTO caller_rows VALUES (1)").execute(conn)?;
        Ok(())
    });
    assert!(failed.is_err());
    assert_eq!(account(&db, WALLET).credits_posted, 1_000, "rolled back");
    assert!(db.ledger.lookup_transfers(&[5]).unwrap().is_empty());
    assert!(db.ledger.verify().unwrap().ok);
}
