//! The clearing accounts between shards. For every ordered pair of shards (a, b), a
//! holds `xs:a→b` (credited when money leaves a for b) and b holds `xs:b←a` (debited
//! when money arrives on b from a). What left a for b equals what arrived on b from a,
//! so across both shards each pair nets to zero.
//!
//! Their ids sit in vshard 4095 under a tag no minted account uses, and name both
//! shards, so a clearing leg says where its twin is.

use crate::types::{Account, AccountFlags};

use super::map::account_id;

const TAG: u128 = 0x58_5343_4C52; // "XSCLR", 40 bits: with the 40 below it fills 80 of the 88 free bits
const RESERVED_VSHARD: u16 = 4095;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `xs:home→peer`, on the home shard.
    Outbound,
    /// `xs:home←peer`, on the home shard.
    Inbound,
}

fn id(home: u16, peer: u16, direction: Direction) -> u128 {
    let d: u128 = match direction {
        Direction::Outbound => 1,
        Direction::Inbound => 2,
    };
    account_id(
        RESERVED_VSHARD,
        (TAG << 40) | (d << 32) | (u128::from(home) << 16) | u128::from(peer),
    )
}

/// `xs:a→b`, on shard a.
pub fn outbound(a: u16, b: u16) -> u128 {
    id(a, b, Direction::Outbound)
}

/// `xs:b←a`, on shard b.
pub fn inbound(b: u16, a: u16) -> u128 {
    id(b, a, Direction::Inbound)
}

/// A clearing account's home shard, peer shard and direction, if the id is one.
pub fn parse(account: u128) -> Option<(u16, u16, Direction)> {
    let low = account & ((1u128 << super::map::LOW_BITS) - 1);
    if super::map::vshard_of(account) != RESERVED_VSHARD || low >> 40 != TAG {
        return None;
    }
    let direction = match (low >> 32) & 0xFF {
        1 => Direction::Outbound,
        2 => Direction::Inbound,
        _ => return None,
    };
    let home = u16::try_from((low >> 16) & 0xFFFF).ok()?;
    let peer = u16::try_from(low & 0xFFFF).ok()?;
    Some((home, peer, direction))
}

/// The clearing accounts shard `home` holds: one of each direction for every other
/// shard. They carry no balance limit: either direction may run ahead of the other.
pub fn accounts_of(home: u16, shards: u16, ledger: u32, code: u16) -> Vec<Account> {
    (0..shards)
        .filter(|&peer| peer != home)
        .flat_map(|peer| {
            [outbound(home, peer), inbound(home, peer)]
                .map(|id| Account::new(id, ledger, code, AccountFlags::NONE))
        })
        .collect()
}

/// Every inbound clearing account on `home`: where the legs the sweeper resolves wait.
pub fn inbound_of(home: u16, shards: u16) -> Vec<u128> {
    (0..shards)
        .filter(|&peer| peer != home)
        .map(|peer| inbound(home, peer))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_ids_name_their_shards_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for a in 0..6 {
            for b in 0..6 {
                if a == b {
                    continue;
                }
                assert_eq!(parse(outbound(a, b)), Some((a, b, Direction::Outbound)));
                assert_eq!(parse(inbound(b, a)), Some((b, a, Direction::Inbound)));
                assert!(seen.insert(outbound(a, b)));
                assert!(seen.insert(inbound(b, a)));
            }
        }
        assert_eq!(parse(account_id(4095, 12345)), None);
        assert_eq!(parse(account_id(3, TAG << 40)), None);
        assert_eq!(accounts_of(1, 4, 704, 9).len(), 6);
    }
}
