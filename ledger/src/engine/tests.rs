use super::*;
use crate::types::{AccountFlags as AF, TransferFlags as TF};
use crate::CreateTransferResult as R;

const VND: u32 = 704;
const WALLET: u128 = 1;
const BANK: u128 = 2;
const BILLER: u128 = 3;
const S: u64 = 1_000_000_000;

fn set() -> WorkingSet {
    let mut s = WorkingSet::default();
    for (id, flags) in [
        (WALLET, AF::DEBITS_MUST_NOT_EXCEED_CREDITS | AF::HISTORY),
        (BANK, AF::NONE),
        (BILLER, AF::NONE),
        (4, AF::CLOSED),
        (5, AF::CREDITS_MUST_NOT_EXCEED_DEBITS),
    ] {
        s.accounts.insert(id, Account::new(id, VND, 1, flags));
    }
    s.accounts.insert(9, Account::new(9, 840, 1, AF::NONE));
    s
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

fn with(t: Transfer, flags: TF) -> Transfer {
    Transfer { flags, ..t }
}

fn post(id: u128, pending_id: u128, amount: u64) -> Transfer {
    Transfer {
        id,
        pending_id,
        amount,
        flags: TF::POST_PENDING_TRANSFER,
        ..Transfer::default()
    }
}

fn void(id: u128, pending_id: u128) -> Transfer {
    Transfer {
        flags: TF::VOID_PENDING_TRANSFER,
        ..post(id, pending_id, 0)
    }
}

fn run(s: &mut WorkingSet, batch: &[Transfer]) -> Vec<R> {
    apply_transfers(s, batch, 1_000 * S, 1_000 * S).results
}

#[test]
fn a_plain_transfer_moves_posted_balances_on_both_sides() {
    let mut s = set();
    let fx = apply_transfers(&mut s, &[tr(10, BANK, WALLET, 500)], 50, 60);
    assert_eq!(fx.results, vec![R::Ok]);
    assert_eq!(s.accounts[&BANK].debits_posted, 500);
    assert_eq!(s.accounts[&WALLET].credits_posted, 500);
    assert_eq!(fx.created[0].timestamp, 60);
    assert_eq!(fx.accounts.len(), 2);
    // The wallet keeps history; the bank does not.
    assert_eq!(fx.history.len(), 1);
    assert_eq!(fx.history[0].credits_posted, 500);
}

#[test]
fn field_errors_follow_tigerbeetle_precedence() {
    let mut s = set();
    let cases = [
        (
            Transfer {
                timestamp: 1,
                ..tr(0, 0, 0, 1)
            },
            R::TimestampMustBeZero,
        ),
        (
            with(tr(0, 0, 0, 1), TF::from_bits(1 << 10)),
            R::ReservedFlag,
        ),
        (tr(0, 0, 0, 1), R::IdMustNotBeZero),
        (tr(u128::MAX, 0, 0, 1), R::IdMustNotBeIntMax),
        (tr(20, 0, 0, 1), R::DebitAccountIdMustNotBeZero),
        (tr(20, u128::MAX, 0, 1), R::DebitAccountIdMustNotBeIntMax),
        (tr(20, BANK, 0, 1), R::CreditAccountIdMustNotBeZero),
        (
            tr(20, BANK, u128::MAX, 1),
            R::CreditAccountIdMustNotBeIntMax,
        ),
        (tr(20, BANK, BANK, 1), R::AccountsMustBeDifferent),
        (
            Transfer {
                pending_id: 7,
                ..tr(20, BANK, WALLET, 1)
            },
            R::PendingIdMustBeZero,
        ),
        (
            Transfer {
                timeout: 5,
                ..tr(20, BANK, WALLET, 1)
            },
            R::TimeoutReservedForPendingTransfer,
        ),
        (
            Transfer {
                ledger: 0,
                ..tr(20, BANK, WALLET, 1)
            },
            R::LedgerMustNotBeZero,
        ),
        (
            Transfer {
                code: 0,
                ..tr(20, BANK, WALLET, 1)
            },
            R::CodeMustNotBeZero,
        ),
        (tr(20, 77, WALLET, 1), R::DebitAccountNotFound),
        (tr(21, BANK, 77, 1), R::CreditAccountNotFound),
        (tr(22, BANK, 9, 1), R::AccountsMustHaveTheSameLedger),
        (
            Transfer {
                ledger: 840,
                ..tr(23, BANK, WALLET, 1)
            },
            R::TransferMustHaveTheSameLedgerAsAccounts,
        ),
        (tr(24, 4, WALLET, 1), R::DebitAccountAlreadyClosed),
        (tr(25, BANK, 4, 1), R::CreditAccountAlreadyClosed),
        (
            tr(26, BANK, WALLET, crate::MAX_AMOUNT + 1),
            R::OverflowsDebitsPosted,
        ),
        (tr(27, WALLET, BANK, 1), R::ExceedsCredits),
        (tr(28, BANK, 5, 1), R::ExceedsDebits),
    ];
    for (t, expected) in cases {
        assert_eq!(run(&mut s, &[t]), vec![expected], "{t:?}");
    }
    // Nothing above moved money.
    assert!(s
        .accounts
        .values()
        .all(|a| a.debits_posted == 0 && a.credits_posted == 0));
}

#[test]
fn resubmitting_a_transfer_is_idempotent_and_a_changed_field_is_named() {
    let mut s = set();
    let t = tr(30, BANK, WALLET, 100);
    assert_eq!(run(&mut s, &[t]), vec![R::Ok]);
    assert_eq!(run(&mut s, &[t]), vec![R::Exists]);
    assert_eq!(
        run(&mut s, &[Transfer { amount: 101, ..t }]),
        vec![R::ExistsWithDifferentAmount]
    );
    assert_eq!(
        run(
            &mut s,
            &[Transfer {
                credit_account_id: BILLER,
                ..t
            }]
        ),
        vec![R::ExistsWithDifferentCreditAccountId]
    );
    assert_eq!(
        run(&mut s, &[Transfer { code: 2, ..t }]),
        vec![R::ExistsWithDifferentCode]
    );
    assert_eq!(
        run(
            &mut s,
            &[Transfer {
                user_data_64: 2,
                ..t
            }]
        ),
        vec![R::ExistsWithDifferentUserData64]
    );
    assert_eq!(
        run(&mut s, &[with(t, TF::PENDING)]),
        vec![R::ExistsWithDifferentFlags]
    );
    assert_eq!(s.accounts[&WALLET].credits_posted, 100);
}

#[test]
fn a_transient_failure_is_remembered_so_a_retry_cannot_succeed_later() {
    let mut s = set();
    let spend = tr(40, WALLET, BILLER, 100);
    let fx = apply_transfers(&mut s, &[spend], 1, 1);
    assert_eq!(fx.results, vec![R::ExceedsCredits]);
    assert_eq!(fx.failed, vec![(40, R::ExceedsCredits)]);
    assert_eq!(run(&mut s, &[tr(41, BANK, WALLET, 1_000)]), vec![R::Ok]);
    assert_eq!(run(&mut s, &[spend]), vec![R::IdAlreadyFailed]);
    // A validation error is not remembered: fixing the transfer is allowed.
    assert_eq!(
        run(
            &mut s,
            &[Transfer {
                code: 0,
                ..tr(42, BANK, WALLET, 1)
            }]
        ),
        vec![R::CodeMustNotBeZero]
    );
    assert_eq!(run(&mut s, &[tr(42, BANK, WALLET, 1)]), vec![R::Ok]);
}

#[test]
fn a_hold_reserves_funds_and_posting_part_releases_the_rest() {
    let mut s = set();
    run(&mut s, &[tr(1, BANK, WALLET, 1_000)]);
    let hold = with(tr(50, WALLET, BILLER, 800), TF::PENDING);
    assert_eq!(run(&mut s, &[hold]), vec![R::Ok]);
    assert_eq!(s.accounts[&WALLET].debits_pending, 800);
    // The held funds cannot be spent twice.
    assert_eq!(
        run(&mut s, &[tr(51, WALLET, BILLER, 300)]),
        vec![R::ExceedsCredits]
    );
    assert_eq!(
        run(&mut s, &[post(52, 50, 900)]),
        vec![R::ExceedsPendingTransferAmount]
    );
    assert_eq!(run(&mut s, &[post(53, 50, 600)]), vec![R::Ok]);
    let w = s.accounts[&WALLET];
    assert_eq!((w.debits_pending, w.debits_posted), (0, 600));
    assert_eq!(s.accounts[&BILLER].credits_posted, 600);
    assert_eq!(s.holds[&50].status, PendingStatus::Posted);
    assert_eq!(
        run(&mut s, &[post(54, 50, 0)]),
        vec![R::PendingTransferAlreadyPosted]
    );
    assert_eq!(
        run(&mut s, &[void(55, 50)]),
        vec![R::PendingTransferAlreadyPosted]
    );
}

#[test]
fn post_and_void_checks_follow_tigerbeetle_precedence() {
    let mut s = set();
    run(
        &mut s,
        &[
            tr(1, BANK, WALLET, 1_000),
            with(tr(60, WALLET, BILLER, 500), TF::PENDING),
        ],
    );
    let cases = [
        (
            with(
                post(61, 60, 0),
                TF::POST_PENDING_TRANSFER | TF::VOID_PENDING_TRANSFER,
            ),
            R::FlagsAreMutuallyExclusive,
        ),
        (
            with(post(61, 60, 0), TF::POST_PENDING_TRANSFER | TF::PENDING),
            R::FlagsAreMutuallyExclusive,
        ),
        (post(61, 0, 0), R::PendingIdMustNotBeZero),
        (post(61, u128::MAX, 0), R::PendingIdMustNotBeIntMax),
        (post(61, 61, 0), R::PendingIdMustBeDifferent),
        (
            Transfer {
                timeout: 1,
                ..post(61, 60, 0)
            },
            R::TimeoutReservedForPendingTransfer,
        ),
        (post(61, 99, 0), R::PendingTransferNotFound),
        (post(61, 1, 0), R::PendingTransferNotPending),
        (
            Transfer {
                debit_account_id: BANK,
                ..post(61, 60, 0)
            },
            R::PendingTransferHasDifferentDebitAccountId,
        ),
        (
            Transfer {
                credit_account_id: BANK,
                ..post(61, 60, 0)
            },
            R::PendingTransferHasDifferentCreditAccountId,
        ),
        (
            Transfer {
                ledger: 840,
                ..post(61, 60, 0)
            },
            R::PendingTransferHasDifferentLedger,
        ),
        (
            Transfer {
                code: 9,
                ..post(61, 60, 0)
            },
            R::PendingTransferHasDifferentCode,
        ),
        (post(61, 60, 501), R::ExceedsPendingTransferAmount),
        (
            Transfer {
                amount: 100,
                ..void(61, 60)
            },
            R::PendingTransferHasDifferentAmount,
        ),
    ];
    // Fresh ids: a transient failure (not found) would make the id fail forever.
    for (i, (t, expected)) in cases.into_iter().enumerate() {
        let t = Transfer {
            id: 1_000 + i as u128,
            ..t
        };
        let t = if t.pending_id == 61 {
            Transfer {
                pending_id: t.id,
                ..t
            }
        } else {
            t
        };
        assert_eq!(run(&mut s, &[t]), vec![expected], "{t:?}");
    }
    assert_eq!(run(&mut s, &[void(62, 60)]), vec![R::Ok]);
    assert_eq!(s.accounts[&WALLET].debits_pending, 0);
    assert_eq!(
        run(&mut s, &[post(63, 60, 0)]),
        vec![R::PendingTransferAlreadyVoided]
    );
}

#[test]
fn an_expired_hold_releases_its_funds_and_cannot_be_posted() {
    let mut s = set();
    let t0 = 1_000 * S;
    apply_transfers(&mut s, &[tr(1, BANK, WALLET, 1_000)], t0, t0);
    let hold = Transfer {
        timeout: 60,
        ..with(tr(70, WALLET, BILLER, 400), TF::PENDING)
    };
    let fx = apply_transfers(&mut s, &[hold], t0 + S, t0 + S);
    assert_eq!(fx.new_holds[0].expires_at, Some(t0 + 61 * S));
    // Still within the timeout: nothing lapses.
    let fx = apply_transfers(&mut s, &[], t0 + 60 * S, t0 + 60 * S);
    assert!(fx.resolved_holds.is_empty());
    // After it: the hold lapses before the batch's own events are applied.
    let later = t0 + 62 * S;
    let fx = apply_transfers(&mut s, &[post(71, 70, 0)], later, later);
    assert_eq!(fx.results, vec![R::PendingTransferExpired]);
    assert_eq!(fx.resolved_holds, vec![(70, PendingStatus::Expired)]);
    assert_eq!(s.accounts[&WALLET].debits_pending, 0);
    assert_eq!(s.accounts[&BILLER].credits_pending, 0);
    assert_eq!(fx.created.len(), 0);
    // The expiry took the first timestamp; the post the next.
    assert_eq!(fx.last_timestamp, later + 1);
}

#[test]
fn a_timeout_that_overflows_the_clock_is_refused() {
    let mut s = set();
    run(&mut s, &[tr(1, BANK, WALLET, 10)]);
    let t = Transfer {
        timeout: u32::MAX,
        ..with(tr(80, WALLET, BILLER, 1), TF::PENDING)
    };
    let near_end = crate::MAX_AMOUNT - 10 * S;
    let fx = apply_transfers(&mut s, &[t], near_end, near_end);
    assert_eq!(fx.results, vec![R::OverflowsTimeout]);
}

#[test]
fn balancing_transfers_take_only_what_the_account_allows() {
    let mut s = set();
    run(&mut s, &[tr(1, BANK, WALLET, 700)]);
    let sweep = with(tr(90, WALLET, BILLER, 1_000), TF::BALANCING_DEBIT);
    let fx = apply_transfers(&mut s, &[sweep], 1, 1);
    assert_eq!(fx.results, vec![R::Ok]);
    assert_eq!(fx.created[0].amount, 700);
    assert_eq!(s.accounts[&WALLET].debits_posted, 700);
    // Resubmitting with the same requested amount is the same transfer.
    assert_eq!(run(&mut s, &[sweep]), vec![R::Exists]);
}

#[test]
fn a_linked_chain_rolls_back_balances_holds_and_history() {
    let mut s = set();
    run(&mut s, &[tr(1, BANK, WALLET, 1_000)]);
    let before = s.clone();
    let fx = apply_transfers(
        &mut s,
        &[
            with(tr(100, WALLET, BILLER, 300), TF::LINKED | TF::PENDING),
            with(tr(101, WALLET, BANK, 200), TF::LINKED),
            tr(102, WALLET, BILLER, 600),
            tr(103, BANK, BILLER, 5),
        ],
        1,
        1,
    );
    assert_eq!(
        fx.results,
        vec![
            R::LinkedEventFailed,
            R::LinkedEventFailed,
            R::ExceedsCredits,
            R::Ok
        ]
    );
    assert_eq!(
        fx.created.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![103]
    );
    assert!(fx.new_holds.is_empty());
    assert!(fx.history.is_empty());
    assert_eq!(s.accounts[&WALLET], before.accounts[&WALLET]);
    assert!(!s.transfers.contains_key(&100));
    assert!(!s.holds.contains_key(&100));
}

#[test]
fn a_hold_created_and_posted_in_one_batch_is_written_once_with_its_final_status() {
    let mut s = set();
    run(&mut s, &[tr(1, BANK, WALLET, 1_000)]);
    let fx = apply_transfers(
        &mut s,
        &[
            with(tr(110, WALLET, BILLER, 300), TF::PENDING),
            post(111, 110, 0),
        ],
        1,
        1,
    );
    assert_eq!(fx.results, vec![R::Ok, R::Ok]);
    assert_eq!(fx.new_holds.len(), 1);
    assert_eq!(fx.new_holds[0].status, PendingStatus::Posted);
    assert!(fx.resolved_holds.is_empty());
}

#[test]
fn timestamps_never_go_backwards() {
    assert_eq!(first_timestamp(100, 50), 100);
    assert_eq!(first_timestamp(100, 200), 201);
}
