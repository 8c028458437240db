//! The ledger's state machine in pure Rust: it takes the rows a batch touches (loaded
//! and locked by the store) and the batch, and returns one result per event plus the
//! exact set of rows to write. No I/O happens here, so every rule is testable without
//! a database and the same code backs the PostgreSQL store and the reference model.

mod accounts;
pub(crate) mod chain;
mod holds;
mod transfers;

use std::collections::{HashMap, HashSet};

use crate::types::{Account, AccountBalance, PendingHold, PendingStatus, Transfer};
use crate::CreateTransferResult;

pub use accounts::{apply_accounts, AccountBatchEffects};
pub use transfers::{apply_transfers, TransferEngine};

/// Everything a batch of transfers may read: loaded by the store (under row locks)
/// or held by an in-memory model.
#[derive(Debug, Default, Clone)]
pub struct WorkingSet {
    pub accounts: HashMap<u128, Account>,
    /// Transfers already in the journal whose ids the batch names (as ids or pending ids).
    pub transfers: HashMap<u128, Transfer>,
    /// Pending holds the batch may resolve, and any that have lapsed and must be expired.
    pub holds: HashMap<u128, PendingHold>,
    /// Transfer ids that failed before for a transient reason.
    pub failed: HashMap<u128, CreateTransferResult>,
}

/// What a batch of transfers changed, ready to be written in one transaction.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TransferBatchEffects {
    pub results: Vec<CreateTransferResult>,
    /// New journal entries, in timestamp order.
    pub created: Vec<Transfer>,
    /// New pending holds, with the status they ended the batch in.
    pub new_holds: Vec<PendingHold>,
    /// Existing holds that were posted, voided or expired by this batch.
    pub resolved_holds: Vec<(u128, PendingStatus)>,
    /// Transfer ids that failed now for a transient reason.
    pub failed: Vec<(u128, CreateTransferResult)>,
    /// Accounts whose balances changed, with their final balances.
    pub accounts: Vec<Account>,
    /// Balance snapshots for accounts with the `history` flag, in timestamp order.
    pub history: Vec<AccountBalance>,
    /// The last timestamp the batch used (the next batch starts after it).
    pub last_timestamp: u64,
}

impl TransferBatchEffects {
    /// Ids of accounts whose balances changed.
    pub fn touched_account_ids(&self) -> HashSet<u128> {
        self.accounts.iter().map(|a| a.id).collect()
    }
}

/// The timestamps a batch may use: strictly after the previous batch's last one, and
/// never before the wall clock, so timestamps are unique and increase forever.
pub fn first_timestamp(now_ns: u64, previous_last: u64) -> u64 {
    now_ns.max(previous_last.saturating_add(1))
}

#[cfg(test)]
mod tests;
