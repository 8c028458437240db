//! Billers' collections across home shards. A bill or contribution is collected on the
//! payer's own shard, into that shard's copy of the biller's collection account (every
//! shard holds every system account), so a payment never crosses shards. Once a
//! period, each copy beyond shard 0 is swept into shard 0's, the biller's master, with
//! the cross-shard protocol: S-1 transfers a period per biller, not one per bill. The
//! sweep's ids name the sub-account and the period, so every replica may sweep and
//! the money moves once.

use std::time::{SystemTime, UNIX_EPOCH};

use ledger::shards::collection::Collection;
use ledger::shards::protocol::{Outcome, Side};

use crate::chart::{Purpose, VND};
use crate::shard_set::ShardSet;
use crate::system_accounts::{biller_collection, system_account_id};

/// Seconds a sweep's hold on a sub-account waits for its decision.
const SWEEP_HOLD_SECONDS: u32 = 30;

/// Every biller's collection: shard 0's account the master, the other shards' copies
/// its sub-accounts.
pub fn collections(shards: u16) -> Vec<Collection> {
    adapters::billing::billers()
        .iter()
        .map(|biller| {
            let account = system_account_id(&biller_collection(biller.code));
            Collection {
                master: Side { shard: 0, account },
                sub_accounts: (1..shards).map(|shard| Side { shard, account }).collect(),
                ledger: VND,
                code: Purpose::CollectionSweep.code(),
            }
        })
        .collect()
}

/// The period `now` falls in, for periods of `seconds`.
pub fn period_of(now: SystemTime, seconds: u64) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / seconds.max(1))
}

/// What one round of sweeping did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepRound {
    pub moved: usize,
    pub refused: usize,
    pub unreachable: usize,
}

/// Sweeps every collection for the current period.
pub fn sweep(set: &ShardSet, period_seconds: u64) -> SweepRound {
    let period = period_of(SystemTime::now(), period_seconds);
    let mut round = SweepRound::default();
    for collection in collections(set.map.shards()) {
        for (_, result) in set
            .ledger
            .sweep_collection(&collection, period, SWEEP_HOLD_SECONDS)
        {
            match result {
                Ok(Outcome::Committed) => round.moved += 1,
                // Already swept this period (a duplicate id), or nothing to give.
                Ok(Outcome::Aborted(_)) => round.refused += 1,
                Err(_) => round.unreachable += 1,
            }
        }
    }
    round
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_biller_sweeps_its_copies_beyond_shard_zero_into_shard_zeros() {
        let all = collections(3);
        assert_eq!(all.len(), adapters::billing::billers().len());
        for c in &all {
            assert_eq!(c.master.shard, 0);
            let shards: Vec<u16> = c.sub_accounts.iter().map(|s| s.shard).collect();
            assert_eq!(shards, vec![1, 2]);
            assert!(c.sub_accounts.iter().all(|s| s.account == c.master.account));
        }
        assert!(collections(1).iter().all(|c| c.sub_accounts.is_empty()));
    }

    #[test]
    fn periods_count_whole_spans_since_the_epoch() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(period_of(at(7_199), 3_600), 1);
        assert_eq!(period_of(at(7_200), 3_600), 2);
        assert_eq!(
            period_of(at(5), 0),
            5,
            "a zero period is taken as one second"
        );
    }
}
