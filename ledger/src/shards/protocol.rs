//! The cross-shard transfer as pure steps: which ledger transfer each step writes, and
//! what each step's result means. No I/O: [`super::ShardedLedger`] carries the steps to
//! the shards, and the property tests carry them to crashing in-memory shards.
//!
//! Payer A on shard a pays payee B on shard b:
//! 1. prepare: a hold A → `xs:a→b` on a that lapses after `timeout` seconds; then a
//!    hold `xs:b←a` → B on b that never lapses and names the first in `user_data_128`;
//! 2. decide: post the hold on a (the commit point, one write in a's journal), or void
//!    it if b refused its leg; a hold that lapsed first means the transfer aborted;
//! 3. finish: post b's leg if a's hold was posted, else void it.
//!
//! Every id derives from the transfer's id (prepare) or from the hold it resolves
//! (decide, finish), so a retry, a second driver and the sweeper all write the same
//! ids and the ledger answers `exists`, `already_posted` or `already_voided`.

use sha2::{Digest, Sha256};

use crate::types::{PendingStatus, Transfer, TransferFlags};
use crate::CreateTransferResult as R;

use super::clearing;

/// One side of a transfer: an account and the shard it lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub shard: u16,
    pub account: u128,
}

/// A transfer between accounts that may live on different shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossShardTransfer {
    /// The caller's id for the whole movement (the payment's id).
    pub id: u128,
    pub payer: Side,
    pub payee: Side,
    pub amount: u64,
    pub ledger: u32,
    pub code: u16,
    /// Seconds the payer's hold waits for the decision before it lapses.
    pub timeout: u32,
    pub user_data_64: u64,
}

/// What the transfer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Commit,
    Abort,
}

/// The answer a caller gets: committed, or aborted and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Committed,
    Aborted(AbortReason),
}

/// Why a transfer aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// A ledger refused a step (the payer's funds, the payee's account, a lapsed hold).
    Refused(R),
    /// The payee's shard did not answer, so the payer's hold was voided.
    PayeeShardUnavailable,
}

/// A result that none of the protocol's steps can produce unless the ledger or the
/// ids were tampered with: the driver stops and leaves the legs to the sweeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("step {step} answered {result:?}, which the protocol never expects")]
pub struct UnexpectedResult {
    pub step: &'static str,
    pub result: R,
}

/// An id derived from `base` and a step name; never 0 or `u128::MAX` (reserved).
pub fn derive(base: u128, step: &str) -> u128 {
    let mut h = Sha256::new();
    h.update(base.to_be_bytes());
    h.update(step.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    match u128::from_be_bytes(bytes) {
        0 => 1,
        u128::MAX => u128::MAX - 1,
        id => id,
    }
}

impl CrossShardTransfer {
    pub fn crosses_shards(&self) -> bool {
        self.payer.shard != self.payee.shard
    }

    /// The whole movement as one posted transfer, when both sides share a shard.
    pub fn direct(&self) -> Transfer {
        Transfer {
            id: derive(self.id, "direct"),
            debit_account_id: self.payer.account,
            credit_account_id: self.payee.account,
            amount: self.amount,
            user_data_128: self.id,
            user_data_64: self.user_data_64,
            ledger: self.ledger,
            code: self.code,
            ..Transfer::default()
        }
    }

    /// Step 1 on a: the payer's hold, credited to `xs:a→b`.
    pub fn payer_hold(&self) -> Transfer {
        Transfer {
            id: derive(self.id, "payer-hold"),
            debit_account_id: self.payer.account,
            credit_account_id: clearing::outbound(self.payer.shard, self.payee.shard),
            amount: self.amount,
            user_data_128: self.id,
            user_data_64: self.user_data_64,
            timeout: self.timeout,
            ledger: self.ledger,
            code: self.code,
            flags: TransferFlags::PENDING,
            ..Transfer::default()
        }
    }

    /// Step 1 on b: the payee's leg from `xs:b←a`, naming the payer's hold. It never
    /// lapses on its own: only a's decision resolves it.
    pub fn payee_leg(&self) -> Transfer {
        Transfer {
            id: derive(self.id, "payee-leg"),
            user_data_64: self.user_data_64,
            ..payee_leg_for(
                self.payer_hold().id,
                self.payer.shard,
                self.payee,
                self.amount,
                self.ledger,
                self.code,
            )
        }
    }
}

/// The id of the leg [`payee_leg_for`] places for `hold`.
pub fn leg_id_for(hold: u128) -> u128 {
    derive(hold, "payee-leg")
}

/// The payee's leg on `payee.shard` for a hold that a caller placed on `payer_shard`
/// toward `xs:payer→payee` with ids of its own (the gateway's payments do). Its id
/// derives from the hold, so every attempt writes the same leg, and the sweeper finds
/// the hold through `user_data_128` and the shards through the clearing account.
pub fn payee_leg_for(
    hold: u128,
    payer_shard: u16,
    payee: Side,
    amount: u64,
    ledger: u32,
    code: u16,
) -> Transfer {
    Transfer {
        id: leg_id_for(hold),
        debit_account_id: clearing::inbound(payee.shard, payer_shard),
        credit_account_id: payee.account,
        amount,
        user_data_128: hold,
        timeout: 0,
        ledger,
        code,
        flags: TransferFlags::PENDING,
        ..Transfer::default()
    }
}

/// Posts or voids the hold `pending_id`: the decision on a, or the finish on b. The
/// id derives from the hold, so the driver and the sweeper write the same one.
pub fn resolve(pending_id: u128, decision: Decision) -> Transfer {
    let (step, flags) = match decision {
        Decision::Commit => ("post", TransferFlags::POST_PENDING_TRANSFER),
        Decision::Abort => ("void", TransferFlags::VOID_PENDING_TRANSFER),
    };
    Transfer {
        id: derive(pending_id, step),
        pending_id,
        flags,
        ..Transfer::default()
    }
}

/// Whether a prepare step's hold stands (created now or by an earlier attempt).
pub fn placed(result: R) -> bool {
    matches!(result, R::Ok | R::Exists)
}

/// What trying to resolve a hold one way says was decided. A hold resolved the
/// other way, or lapsed, overrides what was wanted.
pub fn decided(
    step: &'static str,
    wanted: Decision,
    result: R,
) -> Result<Decision, UnexpectedResult> {
    match result {
        R::Ok | R::Exists => Ok(wanted),
        R::PendingTransferAlreadyPosted => Ok(Decision::Commit),
        R::PendingTransferAlreadyVoided | R::PendingTransferExpired => Ok(Decision::Abort),
        result => Err(UnexpectedResult { step, result }),
    }
}

/// What the sweeper does with a payee leg, from the state of its twin on the payer's
/// shard: posted means post, voided or lapsed means void, pending means wait.
pub fn sweep_decision(twin: PendingStatus) -> Option<Decision> {
    match twin {
        PendingStatus::Posted => Some(Decision::Commit),
        PendingStatus::Voided | PendingStatus::Expired => Some(Decision::Abort),
        PendingStatus::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer() -> CrossShardTransfer {
        CrossShardTransfer {
            id: 42,
            payer: Side {
                shard: 0,
                account: 7,
            },
            payee: Side {
                shard: 1,
                account: 8,
            },
            amount: 5_000,
            ledger: 704,
            code: 3,
            timeout: 30,
            user_data_64: 0,
        }
    }

    #[test]
    fn the_legs_meet_in_the_clearing_pair_and_name_each_other() {
        let t = transfer();
        let (hold, leg) = (t.payer_hold(), t.payee_leg());
        assert_eq!(hold.credit_account_id, clearing::outbound(0, 1));
        assert_eq!(leg.debit_account_id, clearing::inbound(1, 0));
        assert_eq!(leg.user_data_128, hold.id);
        assert_eq!((hold.timeout, leg.timeout), (30, 0));
        assert!(hold.flags.contains(TransferFlags::PENDING));
        assert_ne!(hold.id, leg.id);
        // Posting and voiding the same hold are different ids, each the same every time.
        assert_ne!(
            resolve(hold.id, Decision::Commit).id,
            resolve(hold.id, Decision::Abort).id
        );
        assert_eq!(
            resolve(leg.id, Decision::Commit),
            resolve(leg.id, Decision::Commit)
        );
    }

    #[test]
    fn a_lapse_or_a_decision_already_taken_wins_over_what_was_wanted() {
        use Decision::*;
        assert_eq!(decided("d", Commit, R::Ok), Ok(Commit));
        assert_eq!(decided("d", Commit, R::Exists), Ok(Commit));
        assert_eq!(decided("d", Commit, R::PendingTransferExpired), Ok(Abort));
        assert_eq!(
            decided("d", Commit, R::PendingTransferAlreadyVoided),
            Ok(Abort)
        );
        assert_eq!(
            decided("d", Abort, R::PendingTransferAlreadyPosted),
            Ok(Commit)
        );
        assert!(decided("d", Abort, R::PendingTransferNotFound).is_err());
        assert_eq!(sweep_decision(PendingStatus::Pending), None);
        assert_eq!(sweep_decision(PendingStatus::Expired), Some(Abort));
    }
}
