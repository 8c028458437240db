//! Which shard an account lives on. A citizen's key (an opaque byte string to the
//! ledger) hashes to one of 4,096 virtual shards; the vshard sits in bits 88–99 of
//! every account id the citizen owns, so any id routes without a lookup, and a map from
//! vshard to shard lets whole vshards move when shards are added. Bits 88–99 are the
//! top of the 100 bits a public id spells in 20 base32 digits, so a sharded id is as
//! short in the API as any other.

use sha2::{Digest, Sha256};

/// How many bits of an account id name its vshard.
pub const VSHARD_BITS: u32 = 12;
/// How many vshards there are.
pub const VSHARDS: u16 = 1 << VSHARD_BITS;
/// The bits below the vshard: what an account id keeps of its own.
pub const LOW_BITS: u32 = 100 - VSHARD_BITS;

/// The vshard a citizen's key belongs to.
pub fn vshard_of_key(key: &[u8]) -> u16 {
    let digest = Sha256::digest(key);
    u16::from_be_bytes([digest[0], digest[1]]) % VSHARDS
}

/// The vshard an account id was minted in.
pub fn vshard_of(account_id: u128) -> u16 {
    // Masked to 12 bits, so the value always fits.
    u16::try_from((account_id >> LOW_BITS) & u128::from(VSHARDS - 1)).unwrap_or(0)
}

/// An account id in `vshard` whose remaining bits are the low bits of `low`.
pub fn account_id(vshard: u16, low: u128) -> u128 {
    (u128::from(vshard % VSHARDS) << LOW_BITS) | (low & ((1u128 << LOW_BITS) - 1))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardMapError {
    #[error("a shard map needs between 1 and {max} shards, not {0}", max = VSHARDS)]
    ShardCount(usize),
    #[error("vshard {vshard} maps to shard {shard}, but there are only {shards} shards")]
    UnknownShard {
        vshard: u16,
        shard: u16,
        shards: u16,
    },
    #[error("a shard map assigns all {expected} vshards, not {0}", expected = VSHARDS)]
    VshardCount(usize),
}

/// The assignment of every vshard to a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardMap {
    shards: u16,
    assignment: Vec<u16>,
}

impl ShardMap {
    /// `shards` shards, vshards dealt round-robin.
    pub fn uniform(shards: usize) -> Result<Self, ShardMapError> {
        let count = u16::try_from(shards)
            .ok()
            .filter(|n| (1..=VSHARDS).contains(n))
            .ok_or(ShardMapError::ShardCount(shards))?;
        Ok(Self {
            shards: count,
            assignment: (0..VSHARDS).map(|v| v % count).collect(),
        })
    }

    /// An explicit assignment (as the catalog stores it), checked.
    pub fn from_assignment(shards: usize, assignment: Vec<u16>) -> Result<Self, ShardMapError> {
        let count = Self::uniform(shards)?.shards;
        if assignment.len() != usize::from(VSHARDS) {
            return Err(ShardMapError::VshardCount(assignment.len()));
        }
        for (vshard, &shard) in (0u16..).zip(&assignment) {
            if shard >= count {
                return Err(ShardMapError::UnknownShard {
                    vshard,
                    shard,
                    shards: count,
                });
            }
        }
        Ok(Self {
            shards: count,
            assignment,
        })
    }

    pub fn shards(&self) -> u16 {
        self.shards
    }

    pub fn shard_of_vshard(&self, vshard: u16) -> u16 {
        self.assignment[usize::from(vshard % VSHARDS)]
    }

    /// The home shard of an account, from the vshard in its id.
    pub fn shard_of(&self, account_id: u128) -> u16 {
        self.shard_of_vshard(vshard_of(account_id))
    }

    /// The vshard assignment, for storing in the catalog.
    pub fn assignment(&self) -> &[u16] {
        &self.assignment
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn an_id_routes_to_the_shard_of_the_key_it_was_minted_for(
            key in proptest::collection::vec(any::<u8>(), 12),
            low in any::<u128>(),
            shards in 1usize..=16,
        ) {
            let map = ShardMap::uniform(shards).unwrap();
            let vshard = vshard_of_key(&key);
            let id = account_id(vshard, low);
            prop_assert_eq!(vshard_of(id), vshard);
            prop_assert_eq!(map.shard_of(id), map.shard_of_vshard(vshard));
            prop_assert!(map.shard_of(id) < map.shards());
        }
    }

    #[test]
    fn maps_are_checked() {
        assert!(ShardMap::uniform(0).is_err());
        assert!(ShardMap::from_assignment(2, vec![0; 10]).is_err());
        let mut bad = vec![0u16; usize::from(VSHARDS)];
        bad[7] = 2;
        assert_eq!(
            ShardMap::from_assignment(2, bad),
            Err(ShardMapError::UnknownShard {
                vshard: 7,
                shard: 2,
                shards: 2
            })
        );
        // Moving one vshard moves only the accounts minted in it.
        let mut moved = ShardMap::uniform(2).unwrap().assignment().to_vec();
        moved[5] = 0;
        let map = ShardMap::from_assignment(2, moved).unwrap();
        assert_eq!(map.shard_of(account_id(5, 1)), 0);
        assert_eq!(map.shard_of(account_id(7, 1)), 1);
    }
}
