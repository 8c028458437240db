//! Property tests of the ledger's invariants: in memory against the reference replay
//! (many cases, with time and expiry), and on the real PostgreSQL against the model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};

use common::model::{balances, expired_holds, replay, MemoryLedger};
use common::TestLedger;
use ledger::{
    Account, AccountFlags as AF, CreateTransferResult as R, Transfer, TransferFlags as TF,
};
use proptest::prelude::*;

const VND: u32 = 704;
const S: u64 = 1_000_000_000;

/// Account 1 is an unlimited funding source; 2-4 are wallets that may not overdraw;
/// 5 may not take more credits than debits; 6 is unconstrained; 7 is another currency.
fn chart() -> Vec<Account> {
    vec![
        Account::new(1, VND, 1, AF::NONE),
        Account::new(2, VND, 2, AF::DEBITS_MUST_NOT_EXCEED_CREDITS | AF::HISTORY),
        Account::new(3, VND, 2, AF::DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account::new(4, VND, 2, AF::DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account::new(5, VND, 3, AF::CREDITS_MUST_NOT_EXCEED_DEBITS),
        Account::new(6, VND, 3, AF::NONE),
        Account::new(7, 840, 3, AF::NONE),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Plain,
    Pending,
    Post,
    Void,
    BalancingDebit,
}

fn transfer_strategy(with_timeouts: bool) -> impl Strategy<Value = Transfer> {
    let kind = prop_oneof![
        4 => Just(Kind::Plain),
        2 => Just(Kind::Pending),
        2 => Just(Kind::Post),
        1 => Just(Kind::Void),
        1 => Just(Kind::BalancingDebit),
    ];
    (
        1u128..60,
        1u128..8,
        1u128..8,
        0u64..600,
        kind,
        1u128..60,
        prop::bool::weighted(0.2),
        if with_timeouts { 0u32..4 } else { 0u32..1 },
    )
        .prop_map(|(id, dr, cr, amount, kind, pending_id, linked, timeout)| {
            let mut t = Transfer {
                id,
                debit_account_id: dr,
                credit_account_id: cr,
                amount,
                ledger: if dr == 7 || cr == 7 { 840 } else { VND },
                code: 1,
                ..Transfer::default()
            };
            t.flags = match kind {
                Kind::Plain => TF::NONE,
                Kind::Pending => {
                    t.timeout = timeout;
                    TF::PENDING
                }
                Kind::Post | Kind::Void => {
                    t.pending_id = pending_id;
                    t.debit_account_id = 0;
                    t.credit_account_id = 0;
                    t.ledger = 0;
                    t.code = 0;
                    if matches!(kind, Kind::Post) {
                        TF::POST_PENDING_TRANSFER
                    } else {
                        t.amount = 0;
                        TF::VOID_PENDING_TRANSFER
                    }
                }
                Kind::BalancingDebit => TF::BALANCING_DEBIT,
            };
            if linked {
                t.flags = t.flags | TF::LINKED;
            }
            t
        })
}

fn batches(with_timeouts: bool) -> impl Strategy<Value = Vec<Vec<Transfer>>> {
    prop::collection::vec(
        prop::collection::vec(transfer_strategy(with_timeouts), 1..10),
        1..8,
    )
}

/// Money enters the wallets first, so limits are exercised both ways.
fn funding() -> Vec<Transfer> {
    (2..=4)
        .map(|w| Transfer {
            id: 1_000 + w,
            debit_account_id: 1,
            credit_account_id: w,
            amount: 1_000,
            ledger: VND,
            code: 1,
            ..Transfer::default()
        })
        .chain(std::iter::once(Transfer {
            id: 1_005,
            debit_account_id: 5,
            credit_account_id: 6,
            amount: 500,
            ledger: VND,
            code: 1,
            ..Transfer::default()
        }))
        .collect()
}

/// The chains of a batch, as index ranges.
fn chains(batch: &[Transfer]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, t) in batch.iter().enumerate() {
        let linked = t.flags.contains(TF::LINKED);
        if linked && start.is_none() {
            start = Some(i);
        }
        if !linked || i + 1 == batch.len() {
            if let Some(s) = start.take() {
                out.push(s..i + 1);
            }
        }
    }
    out
}

fn check_batch_invariants(batch: &[Transfer], results: &[R]) -> Result<(), TestCaseError> {
    prop_assert_eq!(batch.len(), results.len());
    for chain in chains(batch) {
        let oks = results[chain.clone()]
            .iter()
            .filter(|r| **r == R::Ok)
            .count();
        prop_assert!(
            oks == 0 || oks == chain.len(),
            "chain {:?} partly applied: {:?}",
            chain,
            &results[chain.clone()]
        );
    }
    Ok(())
}

fn check_ledger_invariants(accounts: &[Account], m: &MemoryLedger) -> Result<(), TestCaseError> {
    // Double entry: totals per currency balance, posted and pending alike.
    let mut totals: HashMap<u32, [i128; 4]> = HashMap::new();
    for a in m.set.accounts.values() {
        let t = totals.entry(a.ledger).or_default();
        for (x, y) in t.iter_mut().zip(balances(a)) {
            *x += y;
        }
    }
    for (ledger, [dp, dpo, cp, cpo]) in totals {
        prop_assert_eq!(dp, cp, "pending unbalanced in ledger {}", ledger);
        prop_assert_eq!(dpo, cpo, "posted unbalanced in ledger {}", ledger);
    }
    // Limits hold for every account.
    for a in m.set.accounts.values() {
        if a.flags.contains(AF::DEBITS_MUST_NOT_EXCEED_CREDITS) {
            prop_assert!(
                a.debits_pending + a.debits_posted <= a.credits_posted,
                "{:?}",
                a
            );
        }
        if a.flags.contains(AF::CREDITS_MUST_NOT_EXCEED_DEBITS) {
            prop_assert!(
                a.credits_pending + a.credits_posted <= a.debits_posted,
                "{:?}",
                a
            );
        }
    }
    // No transfer applies twice, and a hold resolves at most once.
    let mut ids = HashSet::new();
    let mut resolved = HashSet::new();
    for t in &m.journal {
        prop_assert!(ids.insert(t.id), "transfer {} applied twice", t.id);
        if t.flags.is_post_or_void() {
            prop_assert!(
                resolved.insert(t.pending_id),
                "hold {} resolved twice",
                t.pending_id
            );
        }
    }
    // The incremental balances equal a replay of the journal.
    let replayed = replay(accounts, &m.journal, &expired_holds(m));
    for a in m.set.accounts.values() {
        prop_assert_eq!(
            replayed[&a.id],
            balances(a),
            "account {} drifted from its journal",
            a.id
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_model_keeps_double_entry_limits_and_idempotency(batches in batches(true), steps in prop::collection::vec(0u64..3, 8)) {
        let accounts = chart();
        let mut m = MemoryLedger::with_accounts(&accounts);
        let mut now = 1_000 * S;
        m.create_transfers(&funding(), now);
        for (i, batch) in batches.iter().enumerate() {
            now += steps[i % steps.len()] * S;
            let results = m.create_transfers(batch, now);
            check_batch_invariants(batch, &results)?;
            check_ledger_invariants(&accounts, &m)?;
            // Submitting the same batch again changes nothing.
            let before = m.set.accounts.clone();
            let again = m.create_transfers(batch, now);
            prop_assert!(!again.contains(&R::Ok), "a resubmitted batch applied again: {:?}", again);
            prop_assert_eq!(&before, &m.set.accounts);
        }
        // Let every hold lapse: all pending balances return to zero.
        m.create_transfers(&[], now + 10 * S);
        check_ledger_invariants(&accounts, &m)?;
        for hold in m.set.holds.values() {
            prop_assert!(
                hold.status != ledger::PendingStatus::Pending || hold.expires_at.is_none(),
                "a lapsed hold still holds funds: {:?}",
                hold
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn postgres_agrees_with_the_model(batches in batches(false)) {
        let db = TestLedger::with_pool(2);
        let accounts = chart();
        let created = db.ledger.create_accounts(&accounts).unwrap();
        prop_assert!(created.iter().all(|r| *r == ledger::CreateAccountResult::Ok));
        let mut m = MemoryLedger::with_accounts(&accounts);
        let now = 1_000 * S;
        for batch in std::iter::once(funding()).chain(batches) {
            let expected = m.create_transfers(&batch, now);
            let got = db.ledger.create_transfers(&batch).unwrap();
            prop_assert_eq!(&got, &expected, "batch {:?}", batch);
            check_batch_invariants(&batch, &got)?;
        }
        check_ledger_invariants(&accounts, &m)?;
        let stored: HashMap<u128, Account> = db
            .ledger
            .lookup_accounts(&accounts.iter().map(|a| a.id).collect::<Vec<_>>())
            .unwrap()
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        for a in &accounts {
            prop_assert_eq!(balances(&stored[&a.id]), balances(&m.account(a.id)), "account {}", a.id);
        }
        for t in db.ledger.totals().unwrap() {
            prop_assert!(t.balanced(), "{:?}", t);
        }
        let report = db.ledger.verify().unwrap();
        prop_assert!(report.ok, "{:?}", report);
        prop_assert_eq!(report.transfers_checked, m.journal.len() as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// A batch applied a chain at a time (as a caller inside its own transaction does)
    /// gives every event the result, and the ledger the state, of the batch applied
    /// whole: what shares a batch never changes an outcome.
    #[test]
    fn applying_chain_by_chain_equals_applying_the_batch(batches in batches(true)) {
        let accounts = chart();
        let mut whole = MemoryLedger::with_accounts(&accounts);
        let mut pieces = MemoryLedger::with_accounts(&accounts);
        let now = 1_000 * S;
        whole.create_transfers(&funding(), now);
        pieces.create_transfers(&funding(), now);
        for batch in batches {
            let expected = whole.create_transfers(&batch, now);
            let mut spans = chains(&batch);
            // Single events outside any chain are spans of their own.
            let mut covered = vec![false; batch.len()];
            for s in &spans {
                covered[s.clone()].iter_mut().for_each(|c| *c = true);
            }
            spans.extend((0..batch.len()).filter(|i| !covered[*i]).map(|i| i..i + 1));
            spans.sort_by_key(|s| s.start);
            let first = ledger::engine::first_timestamp(now, pieces.last_timestamp);
            let mut engine = ledger::engine::TransferEngine::new(std::mem::take(&mut pieces.set), now, first);
            let mut got = Vec::new();
            for s in spans {
                got.extend(engine.apply(&batch[s]));
            }
            let (set, fx) = engine.finish(got.clone());
            pieces.set = set;
            pieces.absorb(&fx);
            prop_assert_eq!(&got, &expected, "batch {:?}", batch);
            prop_assert_eq!(&pieces.set.accounts, &whole.set.accounts);
        }
    }
}
