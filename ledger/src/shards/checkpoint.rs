//! Cross-shard checkpoints: a Merkle tree (RFC 6962's leaf and node prefixes) over
//! every shard's chain head, its root chained to the previous checkpoint's. Each shard
//! keeps every checkpoint, so rewriting one shard's journal contradicts the heads the
//! other shards and the catalog hold.

use sha2::{Digest, Sha256};

/// A shard's chain head: the last sequence number and the hash after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: [u8; 32],
}

/// One checkpoint: the heads of shards 0..S in order, and the chained root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub number: i64,
    pub previous_root: [u8; 32],
    pub heads: Vec<Head>,
    pub root: [u8; 32],
}

/// The root before the first checkpoint.
pub const GENESIS_ROOT: [u8; 32] = [0; 32];

fn leaf_hash(shard: usize, head: &Head) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(u64::try_from(shard).unwrap_or(u64::MAX).to_be_bytes());
    h.update(head.seq.to_be_bytes());
    h.update(head.hash);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 6962's Merkle tree hash over already-hashed leaves: split at the largest power
/// of two below the count.
fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let split = n.next_power_of_two() / 2;
            node_hash(&tree_hash(&leaves[..split]), &tree_hash(&leaves[split..]))
        }
    }
}

/// The Merkle root over the shards' heads, in shard order.
pub fn merkle_root(heads: &[Head]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| leaf_hash(i, h))
        .collect();
    tree_hash(&leaves)
}

fn chained_root(number: i64, previous: &[u8; 32], heads: &[Head]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(number.to_be_bytes());
    h.update(previous);
    h.update(merkle_root(heads));
    h.finalize().into()
}

impl Checkpoint {
    /// The checkpoint after `previous` (or the first) over these heads.
    pub fn next(previous: Option<&Checkpoint>, heads: Vec<Head>) -> Self {
        let (number, previous_root) =
            previous.map_or((1, GENESIS_ROOT), |p| (p.number + 1, p.root));
        let root = chained_root(number, &previous_root, &heads);
        Self {
            number,
            previous_root,
            heads,
            root,
        }
    }

    /// Whether the root is what the heads and the previous root give.
    pub fn root_holds(&self) -> bool {
        chained_root(self.number, &self.previous_root, &self.heads) == self.root
    }
}

/// Why a run of checkpoints does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointFault {
    RootMismatch {
        number: i64,
    },
    BrokenChain {
        number: i64,
    },
    /// A head that no longer matches the shard's journal at that sequence number.
    HeadMismatch {
        number: i64,
        shard: usize,
        seq: i64,
    },
    /// Two places hold different checkpoints under the same number.
    CopiesDiffer {
        number: i64,
    },
    /// A head that went backwards: the shard lost journal entries it had.
    HeadWentBack {
        number: i64,
        shard: usize,
    },
}

/// Checks a run of checkpoints by itself: each root recomputes, each links to the one
/// before, and no shard's head ever goes back.
pub fn verify_run(run: &[Checkpoint]) -> Vec<CheckpointFault> {
    let mut faults = Vec::new();
    let mut previous: Option<&Checkpoint> = None;
    for c in run {
        if !c.root_holds() {
            faults.push(CheckpointFault::RootMismatch { number: c.number });
        }
        let linked = match previous {
            None => c.number == 1 && c.previous_root == GENESIS_ROOT,
            Some(p) => c.number == p.number + 1 && c.previous_root == p.root,
        };
        if !linked {
            faults.push(CheckpointFault::BrokenChain { number: c.number });
        }
        if let Some(p) = previous {
            for (shard, (before, now)) in p.heads.iter().zip(&c.heads).enumerate() {
                if now.seq < before.seq {
                    faults.push(CheckpointFault::HeadWentBack {
                        number: c.number,
                        shard,
                    });
                }
            }
        }
        previous = Some(c);
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: i64, b: u8) -> Head {
        Head { seq, hash: [b; 32] }
    }

    #[test]
    fn a_run_verifies_and_any_change_to_it_is_found() {
        let first = Checkpoint::next(None, vec![head(1, 1), head(0, 0), head(5, 3)]);
        let second = Checkpoint::next(Some(&first), vec![head(4, 2), head(2, 9), head(5, 3)]);
        assert!(verify_run(&[first.clone(), second.clone()]).is_empty());

        let mut rewritten = second.clone();
        rewritten.heads[1].hash = [8; 32];
        assert_eq!(
            verify_run(&[first.clone(), rewritten]),
            vec![CheckpointFault::RootMismatch { number: 2 }]
        );
        let mut went_back =
            Checkpoint::next(Some(&first), vec![head(0, 0), head(2, 9), head(5, 3)]);
        went_back.root = chained_root(2, &first.root, &went_back.heads);
        assert_eq!(
            verify_run(&[first.clone(), went_back]),
            vec![CheckpointFault::HeadWentBack {
                number: 2,
                shard: 0
            }]
        );
        assert_eq!(
            verify_run(std::slice::from_ref(&second)),
            vec![CheckpointFault::BrokenChain { number: 2 }]
        );
    }

    #[test]
    fn merkle_roots_follow_rfc_6962_shapes() {
        let hs: Vec<Head> = (0..5).map(|i| head(i, u8::try_from(i).unwrap())).collect();
        let l: Vec<[u8; 32]> = hs
            .iter()
            .enumerate()
            .map(|(i, h)| leaf_hash(i, h))
            .collect();
        // Five leaves: the left subtree takes four, the right one.
        let left = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]));
        assert_eq!(merkle_root(&hs), node_hash(&left, &l[4]));
        assert_eq!(merkle_root(&hs[..1]), l[0]);
        // Order matters: a leaf names its shard.
        let swapped = vec![hs[1], hs[0]];
        assert_ne!(merkle_root(&swapped), merkle_root(&hs[..2]));
    }
}
