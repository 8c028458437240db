//! The capacity model for a sharded deployment, from single-node figures.
//!
//! A shard sustains `per_shard` local payments a second (the single-node gateway
//! benchmark). A cross-shard payment costs `cross_cost` local payments' worth of work
//! (measured in the same run as the ratio of the one-shard rate to the cross-shard
//! rate on the same machine). With N shards and payers and payees spread evenly, a P2P
//! transfer crosses shards with probability (N−1)/N; bills and large merchants never
//! cross (collection sub-accounts on every shard), so the cross-shard share of all
//! payments is `p2p_share` × (N−1)/N. Shards run at `utilisation` of their capacity,
//! leaving room for a failover and a peak.

/// The workload and the single-node figures the model starts from.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    pub per_shard: f64,
    pub cross_cost: f64,
    pub p2p_share: f64,
    pub utilisation: f64,
}

/// The shards a target rate needs, and the cross-shard share at that count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub shards: u32,
    pub cross_share: f64,
    /// Local payments' worth of work per payment.
    pub work_per_payment: f64,
}

impl Model {
    pub fn cross_share(&self, shards: u32) -> f64 {
        if shards <= 1 {
            return 0.0;
        }
        self.p2p_share * f64::from(shards - 1) / f64::from(shards)
    }

    /// The fewest shards that carry `target` payments a second (none above 4,096, the
    /// vshard count).
    pub fn shards_for(&self, target: f64) -> Option<Plan> {
        (1..=4_096).find_map(|n| {
            let share = self.cross_share(n);
            let work = 1.0 + share * (self.cross_cost - 1.0);
            (target * work <= f64::from(n) * self.per_shard * self.utilisation).then_some(Plan {
                shards: n,
                cross_share: share,
                work_per_payment: work,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_crossing_needs_more_shards() {
        let cheap = Model {
            per_shard: 3_000.0,
            cross_cost: 1.0,
            p2p_share: 0.6,
            utilisation: 0.7,
        };
        // With no protocol cost, 10,000/s over 2,100/s usable per shard: 5 shards.
        assert_eq!(cheap.shards_for(10_000.0).map(|p| p.shards), Some(5));
        let dear = Model {
            cross_cost: 4.0,
            ..cheap
        };
        let plan = dear.shards_for(10_000.0).unwrap();
        assert!(plan.shards > 5);
        assert!(
            (plan.cross_share - 0.6 * f64::from(plan.shards - 1) / f64::from(plan.shards)).abs()
                < 1e-9
        );
        assert!(10_000.0 * plan.work_per_payment <= f64::from(plan.shards) * 2_100.0);
        assert_eq!(
            Model {
                per_shard: 0.0,
                ..dear
            }
            .shards_for(1.0),
            None
        );
    }
}
