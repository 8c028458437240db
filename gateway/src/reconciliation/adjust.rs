//! The ledger side of a resolution that credits or reverses, as pure functions of the
//! payment and the accounts involved. Every transfer's id derives from the payment and
//! the step, so differences about one payment found in several runs, or resolved
//! twice, move its money once.
//!
//! - `complete`: a payment we failed that the outside system settled, booked as it
//!   should have gone (amount and fee). A top-up uses the payment's own `credit`
//!   transfers, so a late provider callback can never credit it a second time.
//! - `undo`: a payment we settled that the outside system did not, booked back (amount
//!   and fee).
//! - `difference`: both settled it, for different amounts: the part we lack or the
//!   part we booked too much, in or against the payment's direction.

use ledger::Transfer;

use super::matching::Action;
use crate::chart::{Purpose, VND};
use crate::payments::model::{PaymentKind, PaymentRow};
use crate::payments::steps::{self, ledger_transfer_id};
use crate::system_accounts::{system_account_id, FEE_REVENUE};

/// Which way a payment moves money, and why.
fn direction(p: &PaymentRow) -> Option<(bool, Purpose)> {
    Some(match p.kind()? {
        PaymentKind::Topup => (true, Purpose::Topup),
        PaymentKind::Withdrawal => (false, Purpose::Withdrawal),
        PaymentKind::Transfer => (false, Purpose::Transfer),
        PaymentKind::Bill => (false, Purpose::Bill),
        PaymentKind::Insurance => (false, Purpose::Insurance),
        PaymentKind::Merchant => return None,
    })
}

/// The payment booked as settled by `outside`.
pub fn complete(p: &PaymentRow, wallet: u128, outside: u128) -> Vec<Transfer> {
    match direction(p) {
        Some((true, _)) => steps::credit(p, outside, wallet),
        Some((false, purpose)) => steps::with_fee(
            p,
            "reconciled",
            steps::movement(p, "reconciled", wallet, outside, purpose),
            wallet,
        ),
        None => Vec::new(),
    }
}

/// The payment's settled movement (amount and fee) booked back.
pub fn undo(p: &PaymentRow, wallet: u128, outside: u128) -> Vec<Transfer> {
    let Some((into_wallet, _)) = direction(p) else {
        return Vec::new();
    };
    let (debit, credit) = if into_wallet {
        (wallet, outside)
    } else {
        (outside, wallet)
    };
    // The fee was paid by the outside settlement for a top-up, by the wallet otherwise.
    let fee_back_to = if into_wallet { outside } else { wallet };
    let mut chain = vec![steps::movement(
        p,
        "reconciled-reverse",
        debit,
        credit,
        Purpose::Adjustment,
    )];
    if p.fee > 0 {
        chain.push(Transfer {
            id: ledger_transfer_id(&p.id, "reconciled-reverse-fee"),
            debit_account_id: system_account_id(FEE_REVENUE),
            credit_account_id: fee_back_to,
            amount: p.fee.unsigned_abs(),
            ledger: VND,
            code: Purpose::Adjustment.code(),
            ..Transfer::default()
        });
    }
    steps::linked(chain)
}

/// The part of a payment's amount one side lacks: `Credit` books it in the payment's
/// direction, `Reverse` against it.
pub fn difference(
    p: &PaymentRow,
    action: Action,
    wallet: u128,
    outside: u128,
    amount: i64,
) -> Option<Transfer> {
    let (into_wallet, _) = direction(p)?;
    let (step, with_payment) = match action {
        Action::Credit => ("reconciled-difference-credit", true),
        Action::Reverse => ("reconciled-difference-reverse", false),
        Action::PostHold | Action::VoidHold | Action::Dismiss => return None,
    };
    let (debit, credit) = if into_wallet == with_payment {
        (outside, wallet)
    } else {
        (wallet, outside)
    };
    Some(Transfer {
        id: ledger_transfer_id(&p.id, step),
        debit_account_id: debit,
        credit_account_id: credit,
        amount: amount.unsigned_abs(),
        ledger: VND,
        code: Purpose::Adjustment.code(),
        ..Transfer::default()
    })
}

/// Every transfer a resolution about `p` may make, for the ledger to prefetch.
pub fn candidates(p: &PaymentRow, wallet: u128, outside: u128) -> Vec<Transfer> {
    let mut out = complete(p, wallet, outside);
    out.extend(undo(p, wallet, outside));
    out.extend(difference(p, Action::Credit, wallet, outside, 1));
    out.extend(difference(p, Action::Reverse, wallet, outside, 1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(kind: PaymentKind, amount: i64, fee: i64) -> PaymentRow {
        let mut p = PaymentRow::blank("pay_test".into(), "idn_1", amount, fee, chrono::Utc::now());
        p.idempotency_key = "k".into();
        p.kind = kind.as_str().into();
        p.status = "failed".into();
        p.cap = "general".into();
        p
    }

    const WALLET: u128 = 7;
    const OUTSIDE: u128 = 9;

    /// Worked example: a 200,000 withdrawal with a 1,100 fee that the bank paid out
    /// although we failed it: completing it takes 200,000 to the bank's settlement and
    /// 1,100 to fee revenue from the wallet; undoing a settled one gives both back.
    #[test]
    fn a_withdrawal_completed_and_undone() {
        let p = payment(PaymentKind::Withdrawal, 200_000, 1_100);
        let done = complete(&p, WALLET, OUTSIDE);
        assert_eq!(done.len(), 2);
        assert_eq!(
            (
                done[0].debit_account_id,
                done[0].credit_account_id,
                done[0].amount
            ),
            (WALLET, OUTSIDE, 200_000)
        );
        assert_eq!((done[1].debit_account_id, done[1].amount), (WALLET, 1_100));
        let back = undo(&p, WALLET, OUTSIDE);
        assert_eq!(
            (
                back[0].debit_account_id,
                back[0].credit_account_id,
                back[0].amount
            ),
            (OUTSIDE, WALLET, 200_000)
        );
        assert_eq!(
            (
                back[1].debit_account_id,
                back[1].credit_account_id,
                back[1].amount
            ),
            (system_account_id(FEE_REVENUE), WALLET, 1_100)
        );
    }

    #[test]
    fn a_topup_completes_with_its_own_credit() {
        let p = payment(PaymentKind::Topup, 50_000, 0);
        assert_eq!(
            complete(&p, WALLET, OUTSIDE),
            steps::credit(&p, OUTSIDE, WALLET)
        );
        let back = undo(&p, WALLET, OUTSIDE);
        assert_eq!(
            (back[0].debit_account_id, back[0].credit_account_id),
            (WALLET, OUTSIDE)
        );
    }

    #[test]
    fn differences_follow_or_go_against_the_payment() {
        let topup = payment(PaymentKind::Topup, 50_000, 0);
        let more = difference(&topup, Action::Credit, WALLET, OUTSIDE, 10_000).unwrap();
        assert_eq!(
            (more.debit_account_id, more.credit_account_id, more.amount),
            (OUTSIDE, WALLET, 10_000)
        );
        let bill = payment(PaymentKind::Bill, 50_000, 0);
        let less = difference(&bill, Action::Reverse, WALLET, OUTSIDE, 10_000).unwrap();
        assert_eq!(
            (less.debit_account_id, less.credit_account_id),
            (OUTSIDE, WALLET)
        );
        assert!(difference(&bill, Action::PostHold, WALLET, OUTSIDE, 1).is_none());
        // Ids never collide with each other or with the payment's own steps.
        let mut ids: Vec<u128> = candidates(&bill, WALLET, OUTSIDE)
            .iter()
            .map(|t| t.id)
            .collect();
        ids.push(ledger_transfer_id(&bill.id, "hold"));
        ids.push(ledger_transfer_id(&bill.id, "post"));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
