//! Resolving pending holds: post (all or part), void, and expiry of lapsed holds.

use super::transfers::{sum_exceeds, TransferScope};
use crate::types::{AccountFlags, PendingHold, PendingStatus, Transfer, TransferFlags};
use crate::CreateTransferResult as R;

impl TransferScope<'_> {
    pub(super) fn post_or_void_pending_transfer(&mut self, t: &Transfer, timestamp: u64) -> R {
        let post = t.flags.contains(TransferFlags::POST_PENDING_TRANSFER);
        let void = t.flags.contains(TransferFlags::VOID_PENDING_TRANSFER);
        if (post && void)
            || t.flags.contains(TransferFlags::PENDING)
            || t.flags.contains(TransferFlags::BALANCING_DEBIT)
            || t.flags.contains(TransferFlags::BALANCING_CREDIT)
        {
            return R::FlagsAreMutuallyExclusive;
        }
        if t.pending_id == 0 {
            return R::PendingIdMustNotBeZero;
        }
        if t.pending_id == u128::MAX {
            return R::PendingIdMustNotBeIntMax;
        }
        if t.pending_id == t.id {
            return R::PendingIdMustBeDifferent;
        }
        if t.timeout != 0 {
            return R::TimeoutReservedForPendingTransfer;
        }
        let Some(p) = self.set.transfers.get(&t.pending_id).copied() else {
            return R::PendingTransferNotFound;
        };
        if !p.flags.contains(TransferFlags::PENDING) {
            return R::PendingTransferNotPending;
        }
        if t.debit_account_id != 0 && t.debit_account_id != p.debit_account_id {
            return R::PendingTransferHasDifferentDebitAccountId;
        }
        if t.credit_account_id != 0 && t.credit_account_id != p.credit_account_id {
            return R::PendingTransferHasDifferentCreditAccountId;
        }
        if t.ledger != 0 && t.ledger != p.ledger {
            return R::PendingTransferHasDifferentLedger;
        }
        if t.code != 0 && t.code != p.code {
            return R::PendingTransferHasDifferentCode;
        }
        let amount = if t.amount > 0 { t.amount } else { p.amount };
        if amount > p.amount {
            return R::ExceedsPendingTransferAmount;
        }
        if void && amount < p.amount {
            return R::PendingTransferHasDifferentAmount;
        }
        let Some(hold) = self.set.holds.get(&t.pending_id).copied() else {
            return R::PendingTransferNotFound;
        };
        match hold.status {
            PendingStatus::Pending => {}
            PendingStatus::Posted => return R::PendingTransferAlreadyPosted,
            PendingStatus::Voided => return R::PendingTransferAlreadyVoided,
            PendingStatus::Expired => return R::PendingTransferExpired,
        }
        if hold.expires_at.is_some_and(|at| at <= timestamp) {
            return R::PendingTransferExpired;
        }
        let (Some(mut dr), Some(mut cr)) = (
            self.account(p.debit_account_id),
            self.account(p.credit_account_id),
        ) else {
            return R::PendingTransferNotFound;
        };
        if post {
            if dr.flags.contains(AccountFlags::CLOSED) {
                return R::DebitAccountAlreadyClosed;
            }
            if cr.flags.contains(AccountFlags::CLOSED) {
                return R::CreditAccountAlreadyClosed;
            }
            if sum_exceeds(&[amount, dr.debits_posted]) {
                return R::OverflowsDebitsPosted;
            }
            if sum_exceeds(&[amount, cr.credits_posted]) {
                return R::OverflowsCreditsPosted;
            }
        }

        dr.debits_pending -= p.amount;
        cr.credits_pending -= p.amount;
        if post {
            dr.debits_posted += amount;
            cr.credits_posted += amount;
        }
        self.set_account(dr, timestamp);
        self.set_account(cr, timestamp);
        self.record(Transfer {
            debit_account_id: p.debit_account_id,
            credit_account_id: p.credit_account_id,
            ledger: p.ledger,
            code: p.code,
            amount,
            timestamp,
            ..*t
        });
        let status = if post {
            PendingStatus::Posted
        } else {
            PendingStatus::Voided
        };
        self.set_hold_status(t.pending_id, status);
        R::Ok
    }

    /// Releases every hold in the working set that has lapsed by `cutoff`, before the
    /// batch's own events: an expired hold's funds are free again and it can no longer
    /// be posted. Expiry is not part of any chain, so it is never rolled back.
    pub(super) fn expire_lapsed_holds(&mut self, cutoff: u64, mut timestamp: u64) -> u64 {
        let mut lapsed: Vec<PendingHold> = self
            .set
            .holds
            .values()
            .filter(|h| {
                h.status == PendingStatus::Pending && h.expires_at.is_some_and(|at| at <= cutoff)
            })
            .copied()
            .collect();
        lapsed.sort_by_key(|h| (h.expires_at, h.id));
        for hold in lapsed {
            let (Some(mut dr), Some(mut cr)) = (
                self.account(hold.debit_account_id),
                self.account(hold.credit_account_id),
            ) else {
                continue;
            };
            dr.debits_pending = dr.debits_pending.saturating_sub(hold.amount);
            cr.credits_pending = cr.credits_pending.saturating_sub(hold.amount);
            self.set_account(dr, timestamp);
            self.set_account(cr, timestamp);
            self.set_hold_status(hold.id, PendingStatus::Expired);
            timestamp += 1;
        }
        self.undo.clear();
        timestamp
    }
}
