//! The in-memory reference model: the pure engine over a working set that holds the
//! whole ledger, plus an independent replay that recomputes balances from the journal.

use std::collections::HashMap;

use ledger::engine::{apply_transfers, first_timestamp, TransferBatchEffects, WorkingSet};
use ledger::{Account, CreateTransferResult, PendingStatus, Transfer, TransferFlags};

#[derive(Default, Clone)]
pub struct MemoryLedger {
    pub set: WorkingSet,
    pub journal: Vec<Transfer>,
    pub last_timestamp: u64,
}

impl MemoryLedger {
    pub fn with_accounts(accounts: &[Account]) -> Self {
        let mut m = Self::default();
        for a in accounts {
            m.set.accounts.insert(a.id, *a);
        }
        m
    }

    pub fn create_transfers(&mut self, batch: &[Transfer], now: u64) -> Vec<CreateTransferResult> {
        let first = first_timestamp(now, self.last_timestamp);
        let fx = apply_transfers(&mut self.set, batch, now, first);
        self.absorb(&fx);
        fx.results
    }

    /// Takes in what a batch applied to `set` wrote.
    pub fn absorb(&mut self, fx: &TransferBatchEffects) {
        self.last_timestamp = self.last_timestamp.max(fx.last_timestamp);
        self.journal.extend(fx.created.iter().copied());
    }

    pub fn account(&self, id: u128) -> Account {
        self.set.accounts[&id]
    }
}

/// Balances recomputed from nothing but the journal and the holds' fates: the check
/// that the engine's incremental updates match double entry.
pub fn replay(
    accounts: &[Account],
    journal: &[Transfer],
    expired: &[(u128, u64)],
) -> HashMap<u128, [i128; 4]> {
    let mut b: HashMap<u128, [i128; 4]> = accounts.iter().map(|a| (a.id, [0; 4])).collect();
    let pending: HashMap<u128, Transfer> = journal
        .iter()
        .filter(|t| t.flags.contains(TransferFlags::PENDING))
        .map(|t| (t.id, *t))
        .collect();
    const DP: usize = 0;
    const DPO: usize = 1;
    const CP: usize = 2;
    const CPO: usize = 3;
    for t in journal {
        let a = i128::from(t.amount);
        if t.flags.is_post_or_void() {
            let p = pending[&t.pending_id];
            let held = i128::from(p.amount);
            b.get_mut(&p.debit_account_id).unwrap()[DP] -= held;
            b.get_mut(&p.credit_account_id).unwrap()[CP] -= held;
            if t.flags.contains(TransferFlags::POST_PENDING_TRANSFER) {
                b.get_mut(&p.debit_account_id).unwrap()[DPO] += a;
                b.get_mut(&p.credit_account_id).unwrap()[CPO] += a;
            }
        } else if t.flags.contains(TransferFlags::PENDING) {
            b.get_mut(&t.debit_account_id).unwrap()[DP] += a;
            b.get_mut(&t.credit_account_id).unwrap()[CP] += a;
        } else {
            b.get_mut(&t.debit_account_id).unwrap()[DPO] += a;
            b.get_mut(&t.credit_account_id).unwrap()[CPO] += a;
        }
    }
    for (id, amount) in expired {
        let p = pending[id];
        b.get_mut(&p.debit_account_id).unwrap()[DP] -= i128::from(*amount);
        b.get_mut(&p.credit_account_id).unwrap()[CP] -= i128::from(*amount);
    }
    b
}

pub fn balances(a: &Account) -> [i128; 4] {
    [
        i128::from(a.debits_pending),
        i128::from(a.debits_posted),
        i128::from(a.credits_pending),
        i128::from(a.credits_posted),
    ]
}

/// Holds the model saw expire, with their amounts.
pub fn expired_holds(m: &MemoryLedger) -> Vec<(u128, u64)> {
    m.set
        .holds
        .values()
        .filter(|h| h.status == PendingStatus::Expired)
        .map(|h| (h.id, h.amount))
        .collect()
}
