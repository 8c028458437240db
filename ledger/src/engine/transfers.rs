//! `create_transfers`: TigerBeetle's validation order, pending holds (post, partial
//! post, void, expiry), balancing transfers, limits, and linked chains.

use std::collections::HashSet;

use super::chain::{execute, ChainScope};
use super::{TransferBatchEffects, WorkingSet};
use crate::types::{
    Account, AccountBalance, AccountFlags, PendingHold, PendingStatus, Transfer, TransferFlags,
    MAX_AMOUNT,
};
use crate::CreateTransferResult as R;

const NS_PER_SECOND: u64 = 1_000_000_000;

pub(super) enum Undo {
    Account(Account),
    TransferCreated(u128),
    HoldCreated(u128),
    HoldStatus(u128, PendingStatus),
}

#[derive(Clone, Copy)]
pub(super) struct Savepoint {
    undo: usize,
    created: usize,
    new_holds: usize,
    resolved: usize,
    history: usize,
}

pub(super) struct TransferScope<'a> {
    pub(super) set: &'a mut WorkingSet,
    pub(super) first_event_timestamp: u64,
    pub(super) created: Vec<Transfer>,
    pub(super) new_holds: Vec<u128>,
    pub(super) resolved: Vec<(u128, PendingStatus)>,
    pub(super) failed: Vec<(u128, R)>,
    pub(super) history: Vec<AccountBalance>,
    pub(super) touched: HashSet<u128>,
    pub(super) undo: Vec<Undo>,
}

pub(super) fn sum_exceeds(values: &[u64]) -> bool {
    values.iter().map(|&v| u128::from(v)).sum::<u128>() > u128::from(MAX_AMOUNT)
}

fn snapshot(a: &Account, timestamp: u64) -> AccountBalance {
    AccountBalance {
        account_id: a.id,
        timestamp,
        debits_pending: a.debits_pending,
        debits_posted: a.debits_posted,
        credits_pending: a.credits_pending,
        credits_posted: a.credits_posted,
    }
}

/// The stored transfer with the same id: compare every field the client chose.
fn compare_existing(t: &Transfer, e: &Transfer) -> R {
    let post_or_void = t.flags.is_post_or_void();
    // Post and void may leave accounts, ledger, code and amount to the pending transfer.
    let differs = |given: u128, stored: u128| !(post_or_void && given == 0) && given != stored;
    if t.flags != e.flags {
        return R::ExistsWithDifferentFlags;
    }
    if t.pending_id != e.pending_id {
        return R::ExistsWithDifferentPendingId;
    }
    if t.timeout != e.timeout {
        return R::ExistsWithDifferentTimeout;
    }
    if differs(t.debit_account_id, e.debit_account_id) {
        return R::ExistsWithDifferentDebitAccountId;
    }
    if differs(t.credit_account_id, e.credit_account_id) {
        return R::ExistsWithDifferentCreditAccountId;
    }
    let balancing = t.flags.contains(TransferFlags::BALANCING_DEBIT)
        || t.flags.contains(TransferFlags::BALANCING_CREDIT);
    let amount_differs = if balancing {
        t.amount < e.amount
    } else {
        differs(u128::from(t.amount), u128::from(e.amount))
    };
    if amount_differs {
        return R::ExistsWithDifferentAmount;
    }
    if t.user_data_128 != e.user_data_128 {
        return R::ExistsWithDifferentUserData128;
    }
    if t.user_data_64 != e.user_data_64 {
        return R::ExistsWithDifferentUserData64;
    }
    if t.user_data_32 != e.user_data_32 {
        return R::ExistsWithDifferentUserData32;
    }
    if differs(u128::from(t.ledger), u128::from(e.ledger)) {
        return R::ExistsWithDifferentLedger;
    }
    if differs(u128::from(t.code), u128::from(e.code)) {
        return R::ExistsWithDifferentCode;
    }
    R::Exists
}

impl TransferScope<'_> {
    pub(super) fn account(&self, id: u128) -> Option<Account> {
        self.set.accounts.get(&id).copied()
    }

    pub(super) fn set_account(&mut self, updated: Account, timestamp: u64) {
        if let Some(previous) = self.set.accounts.insert(updated.id, updated) {
            self.undo.push(Undo::Account(previous));
        }
        self.touched.insert(updated.id);
        if updated.flags.contains(AccountFlags::HISTORY) {
            self.history.push(snapshot(&updated, timestamp));
        }
    }

    pub(super) fn record(&mut self, stored: Transfer) {
        self.set.transfers.insert(stored.id, stored);
        self.undo.push(Undo::TransferCreated(stored.id));
        self.created.push(stored);
    }

    pub(super) fn set_hold_status(&mut self, id: u128, status: PendingStatus) {
        if let Some(hold) = self.set.holds.get_mut(&id) {
            self.undo.push(Undo::HoldStatus(id, hold.status));
            hold.status = status;
            self.resolved.push((id, status));
        }
    }

    fn create_transfer(&mut self, t: &Transfer, timestamp: u64) -> R {
        if t.timestamp != 0 {
            return R::TimestampMustBeZero;
        }
        if t.flags.has_unknown_bits() {
            return R::ReservedFlag;
        }
        if t.id == 0 {
            return R::IdMustNotBeZero;
        }
        if t.id == u128::MAX {
            return R::IdMustNotBeIntMax;
        }
        if let Some(e) = self.set.transfers.get(&t.id) {
            return compare_existing(t, e);
        }
        if self.set.failed.contains_key(&t.id) {
            return R::IdAlreadyFailed;
        }
        if t.flags.is_post_or_void() {
            return self.post_or_void_pending_transfer(t, timestamp);
        }
        if t.debit_account_id == 0 {
            return R::DebitAccountIdMustNotBeZero;
        }
        if t.debit_account_id == u128::MAX {
            return R::DebitAccountIdMustNotBeIntMax;
        }
        if t.credit_account_id == 0 {
            return R::CreditAccountIdMustNotBeZero;
        }
        if t.credit_account_id == u128::MAX {
            return R::CreditAccountIdMustNotBeIntMax;
        }
        if t.credit_account_id == t.debit_account_id {
            return R::AccountsMustBeDifferent;
        }
        if t.pending_id != 0 {
            return R::PendingIdMustBeZero;
        }
        let pending = t.flags.contains(TransferFlags::PENDING);
        if !pending && t.timeout != 0 {
            return R::TimeoutReservedForPendingTransfer;
        }
        if t.ledger == 0 {
            return R::LedgerMustNotBeZero;
        }
        if t.code == 0 {
            return R::CodeMustNotBeZero;
        }
        let Some(mut dr) = self.account(t.debit_account_id) else {
            return R::DebitAccountNotFound;
        };
        let Some(mut cr) = self.account(t.credit_account_id) else {
            return R::CreditAccountNotFound;
        };
        if dr.ledger != cr.ledger {
            return R::AccountsMustHaveTheSameLedger;
        }
        if t.ledger != dr.ledger {
            return R::TransferMustHaveTheSameLedgerAsAccounts;
        }
        if dr.flags.contains(AccountFlags::CLOSED) {
            return R::DebitAccountAlreadyClosed;
        }
        if cr.flags.contains(AccountFlags::CLOSED) {
            return R::CreditAccountAlreadyClosed;
        }

        let mut amount = t.amount;
        if t.flags.contains(TransferFlags::BALANCING_DEBIT) {
            let spent = u128::from(dr.debits_pending) + u128::from(dr.debits_posted);
            let room = u128::from(dr.credits_posted).saturating_sub(spent);
            amount = amount.min(u64::try_from(room).unwrap_or(u64::MAX));
        }
        if t.flags.contains(TransferFlags::BALANCING_CREDIT) {
            let owed = u128::from(cr.credits_pending) + u128::from(cr.credits_posted);
            let room = u128::from(cr.debits_posted).saturating_sub(owed);
            amount = amount.min(u64::try_from(room).unwrap_or(u64::MAX));
        }

        if pending {
            if sum_exceeds(&[amount, dr.debits_pending]) {
                return R::OverflowsDebitsPending;
            }
            if sum_exceeds(&[amount, cr.credits_pending]) {
                return R::OverflowsCreditsPending;
            }
        }
        if sum_exceeds(&[amount, dr.debits_posted]) {
            return R::OverflowsDebitsPosted;
        }
        if sum_exceeds(&[amount, cr.credits_posted]) {
            return R::OverflowsCreditsPosted;
        }
        if sum_exceeds(&[amount, dr.debits_pending, dr.debits_posted]) {
            return R::OverflowsDebits;
        }
        if sum_exceeds(&[amount, cr.credits_pending, cr.credits_posted]) {
            return R::OverflowsCredits;
        }
        let expires_at = if t.timeout > 0 {
            let lapse = u128::from(timestamp) + u128::from(t.timeout) * u128::from(NS_PER_SECOND);
            if lapse > u128::from(MAX_AMOUNT) {
                return R::OverflowsTimeout;
            }
            Some(lapse as u64)
        } else {
            None
        };
        if dr.debits_exceed_credits(amount) {
            return R::ExceedsCredits;
        }
        if cr.credits_exceed_debits(amount) {
            return R::ExceedsDebits;
        }

        if pending {
            dr.debits_pending += amount;
            cr.credits_pending += amount;
        } else {
            dr.debits_posted += amount;
            cr.credits_posted += amount;
        }
        self.set_account(dr, timestamp);
        self.set_account(cr, timestamp);
        let stored = Transfer {
            amount,
            timestamp,
            ..*t
        };
        self.record(stored);
        if pending {
            let hold = PendingHold {
                id: t.id,
                debit_account_id: dr.id,
                credit_account_id: cr.id,
                amount,
                expires_at,
                status: PendingStatus::Pending,
            };
            self.set.holds.insert(t.id, hold);
            self.undo.push(Undo::HoldCreated(t.id));
            self.new_holds.push(t.id);
        }
        R::Ok
    }
}

impl ChainScope for TransferScope<'_> {
    type Event = Transfer;
    type Outcome = R;
    type Savepoint = Savepoint;
    const OK: R = R::Ok;
    const LINKED_EVENT_FAILED: R = R::LinkedEventFailed;
    const LINKED_EVENT_CHAIN_OPEN: R = R::LinkedEventChainOpen;

    fn is_linked(event: &Transfer) -> bool {
        event.flags.contains(TransferFlags::LINKED)
    }

    fn apply(&mut self, t: &Transfer, index: usize) -> R {
        let timestamp = self.first_event_timestamp + index as u64;
        let result = self.create_transfer(t, timestamp);
        if result.is_transient() {
            self.set.failed.insert(t.id, result);
            self.failed.push((t.id, result));
        }
        result
    }

    fn savepoint(&self) -> Savepoint {
        Savepoint {
            undo: self.undo.len(),
            created: self.created.len(),
            new_holds: self.new_holds.len(),
            resolved: self.resolved.len(),
            history: self.history.len(),
        }
    }

    fn rollback(&mut self, sp: Savepoint) {
        while self.undo.len() > sp.undo {
            match self.undo.pop() {
                Some(Undo::Account(previous)) => {
                    self.set.accounts.insert(previous.id, previous);
                }
                Some(Undo::TransferCreated(id)) => {
                    self.set.transfers.remove(&id);
                }
                Some(Undo::HoldCreated(id)) => {
                    self.set.holds.remove(&id);
                }
                Some(Undo::HoldStatus(id, status)) => {
                    if let Some(h) = self.set.holds.get_mut(&id) {
                        h.status = status;
                    }
                }
                None => break,
            }
        }
        self.created.truncate(sp.created);
        self.new_holds.truncate(sp.new_holds);
        self.resolved.truncate(sp.resolved);
        self.history.truncate(sp.history);
    }
}

/// The engine across several calls: one database transaction's worth of events,
/// applied a chain at a time so a caller can decide what to submit next from what the
/// previous events did. Every call is its own scope for linked chains (a chain left
/// open at the end of a call fails), and timestamps run on across calls.
pub struct TransferEngine {
    set: WorkingSet,
    next_timestamp: u64,
    first_event_timestamp: u64,
    acc: Accumulated,
}

/// What the engine has done so far, carried from one call to the next.
#[derive(Default)]
struct Accumulated {
    created: Vec<Transfer>,
    new_holds: Vec<u128>,
    resolved: Vec<(u128, PendingStatus)>,
    failed: Vec<(u128, R)>,
    history: Vec<AccountBalance>,
    touched: HashSet<u128>,
}

fn open_scope(set: &mut WorkingSet, acc: Accumulated, timestamp: u64) -> TransferScope<'_> {
    TransferScope {
        set,
        first_event_timestamp: timestamp,
        created: acc.created,
        new_holds: acc.new_holds,
        resolved: acc.resolved,
        failed: acc.failed,
        history: acc.history,
        touched: acc.touched,
        undo: Vec::new(),
    }
}

fn close_scope(scope: TransferScope<'_>) -> Accumulated {
    Accumulated {
        created: scope.created,
        new_holds: scope.new_holds,
        resolved: scope.resolved,
        failed: scope.failed,
        history: scope.history,
        touched: scope.touched,
    }
}

impl TransferEngine {
    /// Starts at `now_ns` with timestamps from `first_timestamp`: first one for each
    /// hold in the set that lapsed by `now_ns` (released before any event), then one for
    /// each event in order.
    pub fn new(mut set: WorkingSet, now_ns: u64, first_timestamp: u64) -> Self {
        let mut scope = open_scope(&mut set, Accumulated::default(), first_timestamp);
        let after_expiry = scope.expire_lapsed_holds(now_ns, first_timestamp);
        let acc = close_scope(scope);
        Self {
            set,
            next_timestamp: after_expiry,
            first_event_timestamp: after_expiry,
            acc,
        }
    }

    /// Applies `events` after everything applied so far; one result per event.
    pub fn apply(&mut self, events: &[Transfer]) -> Vec<R> {
        let acc = std::mem::take(&mut self.acc);
        let mut scope = open_scope(&mut self.set, acc, self.next_timestamp);
        let results = execute(&mut scope, events);
        self.acc = close_scope(scope);
        self.next_timestamp += events.len() as u64;
        results
    }

    /// What the events applied so far may read and have changed.
    pub fn working_set(&self) -> &WorkingSet {
        &self.set
    }

    /// Everything applied, as rows to write, and the working set as it ended.
    pub fn finish(self, results: Vec<R>) -> (WorkingSet, TransferBatchEffects) {
        let acc = self.acc;
        let new_hold_ids: HashSet<u128> = acc.new_holds.iter().copied().collect();
        let new_holds = acc
            .new_holds
            .iter()
            .filter_map(|id| self.set.holds.get(id).copied())
            .collect();
        let resolved_holds = acc
            .resolved
            .into_iter()
            .filter(|(id, _)| !new_hold_ids.contains(id))
            .collect();
        let mut touched: Vec<u128> = acc.touched.into_iter().collect();
        touched.sort_unstable();
        let accounts = touched
            .iter()
            .filter_map(|id| self.set.accounts.get(id).copied())
            .collect();
        let last_timestamp = self.next_timestamp.saturating_sub(1);
        let fx = TransferBatchEffects {
            results,
            created: acc.created,
            new_holds,
            resolved_holds,
            failed: acc.failed,
            accounts,
            history: acc.history,
            last_timestamp: last_timestamp.max(self.first_event_timestamp.saturating_sub(1)),
        };
        (self.set, fx)
    }
}

/// Applies a batch of transfers to the working set at `now_ns` and returns the results
/// and every row to write. Timestamps start at `first_timestamp`: first one for each
/// hold that lapsed by `now_ns`, then one for each event in order.
pub fn apply_transfers(
    set: &mut WorkingSet,
    batch: &[Transfer],
    now_ns: u64,
    first_timestamp: u64,
) -> TransferBatchEffects {
    let mut engine = TransferEngine::new(std::mem::take(set), now_ns, first_timestamp);
    let results = engine.apply(batch);
    let (after, fx) = engine.finish(results);
    *set = after;
    fx
}
