//! The journal's hash chain: each transfer's hash covers its canonical fields and the
//! previous transfer's hash, so changing, removing or reordering any past transfer
//! breaks every hash after it.

use sha2::{Digest, Sha256};

use crate::types::Transfer;

/// The hash before the first transfer.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The fixed-width big-endian encoding of every field of a stored transfer.
fn canonical_bytes(t: &Transfer) -> [u8; 128] {
    let mut out = [0u8; 128];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(&t.id.to_be_bytes());
    put(&t.debit_account_id.to_be_bytes());
    put(&t.credit_account_id.to_be_bytes());
    put(&t.amount.to_be_bytes());
    put(&t.pending_id.to_be_bytes());
    put(&t.user_data_128.to_be_bytes());
    put(&t.user_data_64.to_be_bytes());
    put(&t.user_data_32.to_be_bytes());
    put(&t.timeout.to_be_bytes());
    put(&t.ledger.to_be_bytes());
    put(&t.code.to_be_bytes());
    put(&t.flags.bits().to_be_bytes());
    put(&t.timestamp.to_be_bytes());
    out
}

/// The hash of `t` chained after `previous`.
pub fn chain_hash(previous: &[u8; 32], t: &Transfer) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(canonical_bytes(t));
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_changes_the_hash() {
        let t = Transfer {
            id: 1,
            debit_account_id: 2,
            credit_account_id: 3,
            amount: 4,
            ledger: 704,
            code: 1,
            timestamp: 9,
            ..Transfer::default()
        };
        let base = chain_hash(&GENESIS_HASH, &t);
        let variants = [
            Transfer { id: 9, ..t },
            Transfer { amount: 5, ..t },
            Transfer {
                user_data_32: 1,
                ..t
            },
            Transfer { timestamp: 10, ..t },
            Transfer { code: 2, ..t },
        ];
        for v in variants {
            assert_ne!(chain_hash(&GENESIS_HASH, &v), base);
        }
        assert_ne!(chain_hash(&[1; 32], &t), base);
        assert_eq!(chain_hash(&GENESIS_HASH, &t), base);
    }
}
