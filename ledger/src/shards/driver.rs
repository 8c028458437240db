//! Carries the cross-shard protocol's steps to the shards, and sweeps the legs a
//! crashed or paused driver left open.

use std::collections::HashMap;

use crate::types::{Account, PendingHold, Transfer};
use crate::{CreateAccountResult, CreateTransferResult as R};

use super::clearing;
use super::collection::{sweep_transfer, Collection};
use super::protocol::{
    decided, placed, resolve, sweep_decision, AbortReason, CrossShardTransfer, Decision, Outcome,
    Side, UnexpectedResult,
};

/// Why a shard could not answer (down, failing over, unreachable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShardFailure(pub String);

/// What the protocol needs of one shard's ledger. [`crate::PgLedger`] is one; the
/// property tests use in-memory shards that crash on command.
pub trait Shard {
    fn create_accounts(&self, batch: &[Account]) -> Result<Vec<CreateAccountResult>, ShardFailure>;
    fn create_transfers(&self, batch: &[Transfer]) -> Result<Vec<R>, ShardFailure>;
    fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, ShardFailure>;
    fn lookup_holds(&self, ids: &[u128]) -> Result<Vec<PendingHold>, ShardFailure>;
    /// Pending transfers (holds not yet resolved) that debit any of `accounts`.
    fn pending_debiting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, ShardFailure>;
    /// Releases holds whose timeout has passed, by the ledger's own clock.
    fn expire_lapsed(&self) -> Result<usize, ShardFailure>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("shard {shard} is unavailable: {cause}")]
    Unavailable { shard: u16, cause: ShardFailure },
    #[error("shard {shard}: {cause}")]
    Unexpected { shard: u16, cause: UnexpectedResult },
    #[error("there is no shard {0}")]
    NoSuchShard(u16),
    /// A clearing account exists with other settings (another ledger or code).
    #[error("shard {shard} refused a clearing account: {result:?}")]
    ClearingAccountRefused {
        shard: u16,
        result: CreateAccountResult,
    },
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub posted: usize,
    pub voided: usize,
    /// Legs whose twin is still pending on a shard that answered.
    pub waiting: usize,
    /// Legs left for the next sweep because a shard did not answer.
    pub unreachable: usize,
    /// Payee legs whose twin hold does not exist: an acknowledged write was lost on
    /// the payer's shard. Never resolved automatically; an operator must look.
    pub orphans: Vec<u128>,
}

/// The ledger over several shards.
pub struct ShardedLedger<S> {
    shards: Vec<S>,
}

fn one(results: Vec<R>) -> R {
    // One transfer in, one result out; an empty answer can only be a broken shard.
    results.first().copied().unwrap_or(R::LinkedEventFailed)
}

impl<S: Shard> ShardedLedger<S> {
    pub fn new(shards: Vec<S>) -> Self {
        Self { shards }
    }

    pub fn shards(&self) -> &[S] {
        &self.shards
    }

    pub fn shard_count(&self) -> u16 {
        u16::try_from(self.shards.len()).unwrap_or(u16::MAX)
    }

    pub(super) fn shard(&self, n: u16) -> Result<&S, ShardError> {
        self.shards
            .get(usize::from(n))
            .ok_or(ShardError::NoSuchShard(n))
    }

    fn on<T>(
        &self,
        n: u16,
        call: impl FnOnce(&S) -> Result<T, ShardFailure>,
    ) -> Result<T, ShardError> {
        call(self.shard(n)?).map_err(|cause| ShardError::Unavailable { shard: n, cause })
    }

    /// Creates every shard's clearing accounts (idempotent: existing ones answer
    /// `exists`; one that exists with another ledger or code is an error).
    pub fn create_clearing_accounts(&self, ledger: u32, code: u16) -> Result<(), ShardError> {
        let count = self.shard_count();
        for home in 0..count {
            let accounts = clearing::accounts_of(home, count, ledger, code);
            let results = self.on(home, |s| s.create_accounts(&accounts))?;
            if let Some(&refused) = results
                .iter()
                .find(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists))
            {
                return Err(ShardError::ClearingAccountRefused {
                    shard: home,
                    result: refused,
                });
            }
        }
        Ok(())
    }

    /// Moves money from payer to payee, across shards when they differ. The answer
    /// is what the ledgers decided; an error means the outcome is not known yet, and
    /// calling again with the same transfer finds it out without moving money twice.
    pub fn transfer(&self, t: &CrossShardTransfer) -> Result<Outcome, ShardError> {
        if !t.crosses_shards() {
            let result = one(self.on(t.payer.shard, |s| s.create_transfers(&[t.direct()]))?);
            return Ok(if placed(result) {
                Outcome::Committed
            } else {
                Outcome::Aborted(AbortReason::Refused(result))
            });
        }
        let (a, b) = (t.payer.shard, t.payee.shard);
        let hold = t.payer_hold();
        let held = one(self.on(a, |s| s.create_transfers(&[hold]))?);
        if !placed(held) {
            return Ok(Outcome::Aborted(AbortReason::Refused(held)));
        }
        let leg = t.payee_leg();
        // An unreachable payee shard aborts at once rather than waiting for the hold to
        // lapse: if the leg was written after all, the sweeper voids it from a's void.
        let (wanted, refusal, leg_stands) = match self.on(b, |s| s.create_transfers(&[leg])) {
            Ok(results) if placed(one(results.clone())) => (Decision::Commit, None, true),
            Ok(results) => (
                Decision::Abort,
                Some(AbortReason::Refused(one(results))),
                false,
            ),
            Err(_) => (
                Decision::Abort,
                Some(AbortReason::PayeeShardUnavailable),
                false,
            ),
        };
        let decision_result = one(self.on(a, |s| s.create_transfers(&[resolve(hold.id, wanted)]))?);
        let decision = decided("decide", wanted, decision_result)
            .map_err(|cause| ShardError::Unexpected { shard: a, cause })?;
        // The finish is only sent for a leg known to stand: resolving one that is not
        // there would record the finish's id as failed. A finish that does not arrive
        // is the sweeper's to send.
        if leg_stands {
            let _ = self.on(b, |s| s.create_transfers(&[resolve(leg.id, decision)]));
        }
        Ok(match decision {
            Decision::Commit => Outcome::Committed,
            Decision::Abort => {
                Outcome::Aborted(refusal.unwrap_or(AbortReason::Refused(decision_result)))
            }
        })
    }

    /// Moves each sub-account's balance to the master account for `period`. A
    /// sub-account already swept for the period answers a duplicate (`exists...`) and
    /// moves nothing; one whose shard is down is left for the next sweep.
    pub fn sweep_collection(
        &self,
        c: &Collection,
        period: u64,
        timeout: u32,
    ) -> Vec<(Side, Result<Outcome, ShardError>)> {
        c.sub_accounts
            .iter()
            .filter_map(|&sub| {
                let account = match self.on(sub.shard, |s| s.lookup_accounts(&[sub.account])) {
                    Ok(found) => found.first().copied()?,
                    Err(e) => return Some((sub, Err(e))),
                };
                let t = sweep_transfer(c, sub, &account, period, timeout)?;
                Some((sub, self.transfer(&t)))
            })
            .collect()
    }

    /// Resolves every open payee leg on every shard from its twin on the payer's
    /// shard. Safe to run anywhere, any number of times at once.
    pub fn sweep(&self) -> SweepReport {
        let mut report = SweepReport::default();
        let count = self.shard_count();
        for b in 0..count {
            let inbound = clearing::inbound_of(b, count);
            let legs = match self.on(b, |s| s.pending_debiting(&inbound)) {
                Ok(legs) => legs,
                Err(_) => continue,
            };
            let mut by_payer_shard: HashMap<u16, Vec<Transfer>> = HashMap::new();
            for leg in legs {
                if let Some((_, a, clearing::Direction::Inbound)) =
                    clearing::parse(leg.debit_account_id)
                {
                    by_payer_shard.entry(a).or_default().push(leg);
                }
            }
            for (a, legs) in by_payer_shard {
                self.sweep_pair(a, b, &legs, &mut report);
            }
        }
        report
    }

    fn sweep_pair(&self, a: u16, b: u16, legs: &[Transfer], report: &mut SweepReport) {
        let twins: Vec<u128> = legs.iter().map(|l| l.user_data_128).collect();
        let found = self
            .on(a, |s| s.expire_lapsed())
            .and_then(|_| self.on(a, |s| s.lookup_holds(&twins)));
        let holds: HashMap<u128, PendingHold> = match found {
            Ok(holds) => holds.into_iter().map(|h| (h.id, h)).collect(),
            Err(_) => {
                report.unreachable += legs.len();
                return;
            }
        };
        for leg in legs {
            let Some(twin) = holds.get(&leg.user_data_128) else {
                report.orphans.push(leg.id);
                continue;
            };
            let Some(decision) = sweep_decision(twin.status) else {
                report.waiting += 1;
                continue;
            };
            match self.on(b, |s| s.create_transfers(&[resolve(leg.id, decision)])) {
                Ok(results) => match decided("finish", decision, one(results)) {
                    Ok(Decision::Commit) => report.posted += 1,
                    Ok(Decision::Abort) => report.voided += 1,
                    Err(_) => report.orphans.push(leg.id),
                },
                Err(_) => report.unreachable += 1,
            }
        }
    }
}
