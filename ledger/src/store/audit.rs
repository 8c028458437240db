//! What an operator checks across shards: the trial balance per shard and in total,
//! the clearing pairs, and every chain and checkpoint.

use super::read::{LedgerTotals, VerifyReport};
use super::{LedgerError, PgLedger};
use crate::shards::checkpoint::{verify_run, Checkpoint, CheckpointFault};
use crate::shards::{clearing, ShardedLedger};
use crate::types::Transfer;

/// Totals per ledger (currency) for each shard, and summed over the shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    pub shards: Vec<Vec<LedgerTotals>>,
    pub total: Vec<LedgerTotals>,
}

impl TrialBalance {
    pub fn balanced(&self) -> bool {
        self.shards
            .iter()
            .flatten()
            .chain(&self.total)
            .all(LedgerTotals::balanced)
    }
}

/// One pair of shards' clearing accounts. `a_to_b` is what left a for b (posted),
/// `b_from_a` what arrived on b from a; likewise the other way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingPair {
    pub a: u16,
    pub b: u16,
    pub a_to_b: i128,
    pub b_from_a: i128,
    pub b_to_a: i128,
    pub a_from_b: i128,
    /// Holds still open on the pair's four clearing accounts.
    pub open_holds: Vec<Transfer>,
}

impl ClearingPair {
    /// Across both shards, the pair's four accounts sum to zero.
    pub fn nets_to_zero(&self) -> bool {
        self.a_to_b == self.b_from_a && self.b_to_a == self.a_from_b
    }
}

/// What verifying every shard and the checkpoints found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardsVerified {
    pub chains: Vec<VerifyReport>,
    pub checkpoints: usize,
    pub faults: Vec<CheckpointFault>,
}

impl ShardsVerified {
    pub fn ok(&self) -> bool {
        self.faults.is_empty() && self.chains.iter().all(|c| c.ok)
    }
}

fn sum(into: &mut Vec<LedgerTotals>, add: &LedgerTotals) {
    match into.iter_mut().find(|t| t.ledger == add.ledger) {
        Some(t) => {
            t.debits_pending += add.debits_pending;
            t.debits_posted += add.debits_posted;
            t.credits_pending += add.credits_pending;
            t.credits_posted += add.credits_posted;
        }
        None => into.push(*add),
    }
}

impl ShardedLedger<PgLedger> {
    pub fn trial_balance(&self) -> Result<TrialBalance, LedgerError> {
        let shards = self
            .shards()
            .iter()
            .map(PgLedger::totals)
            .collect::<Result<Vec<_>, _>>()?;
        let mut total = Vec::new();
        shards.iter().flatten().for_each(|t| sum(&mut total, t));
        total.sort_by_key(|t| t.ledger);
        Ok(TrialBalance { shards, total })
    }

    /// Every pair of shards' clearing accounts and the holds still open on them.
    pub fn clearing_report(&self) -> Result<Vec<ClearingPair>, LedgerError> {
        let count = self.shard_count();
        let posted = |shard: &PgLedger, id: u128| -> Result<(i128, Vec<Transfer>), LedgerError> {
            let net = shard.lookup_accounts(&[id])?.first().map_or(0, |acc| {
                i128::from(acc.credits_posted) - i128::from(acc.debits_posted)
            });
            let mut open = shard.pending_debiting(&[id])?;
            open.extend(shard.pending_crediting(&[id])?);
            Ok((net, open))
        };
        let mut pairs = Vec::new();
        for a in 0..count {
            for b in (a + 1)..count {
                let (sa, sb) = (
                    &self.shards()[usize::from(a)],
                    &self.shards()[usize::from(b)],
                );
                let (a_to_b, mut open) = posted(sa, clearing::outbound(a, b))?;
                let (a_from_b, o2) = posted(sa, clearing::inbound(a, b))?;
                let (b_to_a, o3) = posted(sb, clearing::outbound(b, a))?;
                let (b_from_a, o4) = posted(sb, clearing::inbound(b, a))?;
                open.extend(o2.into_iter().chain(o3).chain(o4));
                pairs.push(ClearingPair {
                    a,
                    b,
                    // Outbound accounts are credited, inbound ones debited.
                    a_to_b,
                    b_from_a: -b_from_a,
                    b_to_a,
                    a_from_b: -a_from_b,
                    open_holds: open,
                });
            }
        }
        Ok(pairs)
    }

    /// Takes a checkpoint of every shard's head, after the last one the catalog
    /// holds, and keeps it in the catalog and on every shard. Replicas may race: the
    /// catalog keeps the first checkpoint under each number, and that one, whoever
    /// made it, is what every shard keeps.
    pub fn checkpoint(&self, catalog: &PgLedger) -> Result<Checkpoint, LedgerError> {
        let last = catalog.last_checkpoint()?;
        let heads = self
            .shards()
            .iter()
            .map(PgLedger::head)
            .collect::<Result<Vec<_>, _>>()?;
        let next = Checkpoint::next(last.as_ref(), heads);
        catalog.store_checkpoint(&next)?;
        let kept = catalog
            .checkpoint_numbered(next.number)?
            .ok_or_else(|| LedgerError::Corrupt(format!("checkpoint {} vanished", next.number)))?;
        for shard in self.shards() {
            shard.store_checkpoint(&kept)?;
        }
        Ok(kept)
    }

    /// Verifies every shard's chain, the catalog's run of checkpoints, that every
    /// shard holds the same checkpoints as the catalog, and that every head in them
    /// is still in its shard's journal.
    pub fn verify(&self, catalog: &PgLedger) -> Result<ShardsVerified, LedgerError> {
        let chains = self
            .shards()
            .iter()
            .map(PgLedger::verify)
            .collect::<Result<Vec<_>, _>>()?;
        let run = catalog.checkpoints()?;
        let mut faults = verify_run(&run);
        for shard in self.shards() {
            let held = shard.checkpoints()?;
            for c in &run {
                if held
                    .iter()
                    .find(|h| h.number == c.number)
                    .is_some_and(|h| h != c)
                {
                    faults.push(CheckpointFault::CopiesDiffer { number: c.number });
                }
            }
        }
        for c in &run {
            for (n, head) in c.heads.iter().enumerate() {
                let Some(shard) = self.shards().get(n) else {
                    continue;
                };
                if shard.hash_at(head.seq)? != Some(head.hash) {
                    faults.push(CheckpointFault::HeadMismatch {
                        number: c.number,
                        shard: n,
                        seq: head.seq,
                    });
                }
            }
        }
        faults.dedup();
        Ok(ShardsVerified {
            chains,
            checkpoints: run.len(),
            faults,
        })
    }
}
