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

    /// The shard a payment request lives on (until a payment on another claims it).
    pub fn shard_of_request(&self, request_id: &str) -> u16 {
        self.map.shard_of_vshard(vshard_of_request(request_id))
    }
}

/// The vshard of a citizen, from the CCCD that is their account key.
pub fn vshard_of_cccd(cccd: &str) -> u16 {
    map::vshard_of_key(cccd.as_bytes())
}

/// Identity and payment request ids keep the vshard in bits 64–75 of their 80: bit
/// 79 keeps the length fixed, the low 64 are random or derived.
const VSHARD_SHIFT: u32 = 64;

/// An 80-bit id value with `vshard` in bits 64–75.
fn in_vshard(value: u128, vshard: u16) -> u128 {
    let low = value & u128::from(u64::MAX);
    1u128 << 79 | u128::from(vshard % map::VSHARDS) << VSHARD_SHIFT | low
}

/// The vshard in bits 64–75 of an id (vshard 0 for anything malformed: such an id
/// never names anything anyway).
fn vshard_in(kind: &'static str, prefix: &str, id: &str) -> u16 {
    ids::decode(kind, prefix, id)
        .ok()
        .and_then(|v| u16::try_from((v >> VSHARD_SHIFT) & 0xFFF).ok())
        .unwrap_or(0)
}

/// A fresh identity id in `vshard`.
pub fn new_identity_id(vshard: u16) -> String {
    ids::encode("idn_", in_vshard(u128::from(rand::random::<u64>()), vshard))
}

/// The vshard an identity id was minted in.
pub fn vshard_of_identity(identity_id: &str) -> u16 {
    vshard_in("identity", "idn_", identity_id)
}

/// A merchant's vshard, from its id: its payment requests live on that vshard's shard.
pub fn vshard_of_merchant(merchant_id: &str) -> u16 {
    map::vshard_of_key(merchant_id.as_bytes())
}

/// A payment request's id: derived from the merchant's scope and key (so a retry finds
/// the request the first attempt made) and carrying the merchant's vshard, so a payer
/// who only scanned its code is routed to it without a lookup.
pub fn request_id(scope: &str, key: &str, merchant_id: &str) -> String {
    let derived = ids::derive_value("req_", &[scope, key]);
    ids::encode("req_", in_vshard(derived, vshard_of_merchant(merchant_id)))
}

/// The vshard a payment request id was minted in.
pub fn vshard_of_request(request_id: &str) -> u16 {
    vshard_in("payment request", "req_", request_id)
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

        #[test]
        fn a_request_id_names_its_merchants_vshard_and_its_key(
            key in "[a-zA-Z0-9-]{1,40}",
            merchant in "mer_[0-9a-z]{16}",
        ) {
            let scope = format!("merchant:{merchant}");
            let id = request_id(&scope, &key, &merchant);
            prop_assert_eq!(vshard_of_request(&id), vshard_of_merchant(&merchant));
            prop_assert_eq!(&id, &request_id(&scope, &key, &merchant));
            prop_assert!(id.len() <= 24);
            prop_assert!(id.len() > 4 && id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
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
