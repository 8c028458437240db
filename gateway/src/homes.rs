//! Citizens' home shards. With `ROUTE_CITIZENS` and a shard map, a citizen's identity,
//! sessions, wallet, payments, idempotency records and counters all live on the shard
//! of their CCCD's vshard, and each shard runs its own group-commit writer; a request
//! runs against its citizen's home shard, so every payment still costs one durable
//! write there. The vshard is minted into the ids a citizen owns (wallet and identity),
//! so a session or an account id routes without a lookup.
//!
//! Without routing, ids are minted the same way and everything runs on the one
//! database: a later move to shards finds every id already carrying its vshard.

use std::sync::Arc;

use ledger::shards::map::{self, ShardMap};
use ledger::PgLedger;

use crate::commit::Committer;
use crate::ids;

/// Where one shard's citizens are served from.
#[derive(Clone)]
pub struct Home {
    pub ledger: PgLedger,
    pub committer: Committer,
    /// The ledger's own group-commit writer on this shard, for the legs that other
    /// shards' payments place and finish here: many legs share one commit.
    pub legs: ledger::TransferWriter,
}

/// Every home shard, in the catalog's shard order, and the catalog.
pub struct Homes {
    pub map: Arc<ShardMap>,
    pub shards: Vec<Home>,
    /// The vshard map's home, and the phone directory's.
    pub catalog: PgLedger,
}

/// What a shard's writer knows of where it stands: its own index and the map, to
/// tell a payee on another shard from one of its own.
#[derive(Debug, Clone)]
pub struct HomeShard {
    pub index: u16,
    pub map: Arc<ShardMap>,
}

impl HomeShard {
    /// The shard a citizen's identity lives on.
    pub fn shard_of_identity(&self, identity_id: &str) -> u16 {
        self.map.shard_of_vshard(vshard_of_identity(identity_id))
    }
}

/// The vshard of a citizen, from the CCCD that is their account key.
pub fn vshard_of_cccd(cccd: &str) -> u16 {
    map::vshard_of_key(cccd.as_bytes())
}

/// Identity ids keep the vshard in bits 64–75 of their 80: bit 79 keeps the length
/// fixed, the low 64 are random.
const IDENTITY_VSHARD_SHIFT: u32 = 64;

/// A fresh identity id in `vshard`.
pub fn new_identity_id(vshard: u16) -> String {
    let value = 1u128 << 79
        | u128::from(vshard % map::VSHARDS) << IDENTITY_VSHARD_SHIFT
        | u128::from(rand::random::<u64>());
    ids::encode("idn_", value)
}

/// The vshard an identity id was minted in (vshard 0 for anything malformed: such a
/// token never resolves to a session anyway).
pub fn vshard_of_identity(identity_id: &str) -> u16 {
    ids::decode("identity", "idn_", identity_id)
        .ok()
        .and_then(|v| u16::try_from((v >> IDENTITY_VSHARD_SHIFT) & 0xFFF).ok())
        .unwrap_or(0)
}

/// A fresh wallet account id in `vshard`: bit 63 set below the vshard, so it never
/// meets a system account's.
pub fn new_wallet_id(vshard: u16) -> u128 {
    map::account_id(vshard, u128::from(rand::random::<u64>() | 1 << 63))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_citizens_ids_name_the_vshard_of_their_cccd(cccd in "[0-9]{12}") {
            let vshard = vshard_of_cccd(&cccd);
            let identity = new_identity_id(vshard);
            prop_assert_eq!(vshard_of_identity(&identity), vshard);
            prop_assert!(identity.len() <= 24);
            let wallet = new_wallet_id(vshard);
            prop_assert_eq!(map::vshard_of(wallet), vshard);
            prop_assert!(ids::encode(ids::ACCOUNT, wallet).len() <= 24);
            prop_assert!(wallet & (1 << 63) != 0);
        }
    }

    #[test]
    fn a_payee_on_another_shard_is_told_apart() {
        let map = Arc::new(ShardMap::uniform(2).unwrap());
        let here = HomeShard {
            index: 0,
            map: Arc::clone(&map),
        };
        assert_eq!(here.shard_of_identity(&new_identity_id(4)), 0);
        assert_eq!(here.shard_of_identity(&new_identity_id(5)), 1);
        assert_eq!(here.shard_of_identity("idn_garbage"), 0);
    }
}
