//! The ledger transfers of every step of every kind of payment, as pure functions of
//! the payment and the accounts involved. Each transfer's id derives from the payment
//! id and the step, and the payment id from the idempotency key, so every attempt and
//! every retry of a step names the same transfer and the ledger applies it once.
//!
//! - to a citizen: `move` (+ `move-fee`), wallet to wallet;
//! - top-up from a bank: `credit` (+ `credit-fee`) from settlement once the bank debited;
//! - withdrawal, or transfer to a bank account: a `hold` (+ `hold-fee`) on the wallet,
//!   then `post` (+ `post-fee`) once the bank credited, or `void` (+ `void-fee`);
//! - bill and insurance: a `hold` toward the biller's collection account, then `post`
//!   or `void`;
//! - merchant: `merchant`, at once or as a hold the merchant captures (`capture`) or
//!   releases (`void`);
//! - provider top-up: `credit` from the provider's settlement account.

use ledger::{Transfer, TransferFlags};
use sha2::{Digest, Sha256};

use super::model::PaymentRow;
use crate::chart::{Purpose, VND};
use crate::system_accounts::{system_account_id, FEE_REVENUE};

/// The ledger transfer id of one step of a payment (or refund): the same on every
/// attempt.
pub fn ledger_transfer_id(owner_id: &str, step: &str) -> u128 {
    let digest = Sha256::digest(format!("ledger-transfer:{owner_id}:{step}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes[4..].copy_from_slice(&digest[..12]);
    u128::from_be_bytes(bytes).max(1)
}

/// Every step a payment of any kind can take, so its transfers can be found again.
const STEPS: [&str; 12] = [
    "move",
    "move-fee",
    "credit",
    "credit-fee",
    "hold",
    "hold-fee",
    "post",
    "post-fee",
    "void",
    "void-fee",
    "merchant",
    "capture",
];

/// The ids of every transfer a payment may have made (most of them it did not).
pub fn transfer_ids(payment_id: &str) -> Vec<u128> {
    STEPS
        .iter()
        .map(|step| ledger_transfer_id(payment_id, step))
        .collect()
}

/// One movement of the payment's amount.
pub fn movement(
    p: &PaymentRow,
    step: &str,
    debit: u128,
    credit: u128,
    purpose: Purpose,
) -> Transfer {
    Transfer {
        id: ledger_transfer_id(&p.id, step),
        debit_account_id: debit,
        credit_account_id: credit,
        amount: p.amount.unsigned_abs(),
        ledger: VND,
        code: purpose.code(),
        ..Transfer::default()
    }
}

/// `main` and, when the payment carries a fee, the fee of the same shape to fee
/// revenue, as one linked chain (all or nothing).
pub fn with_fee(p: &PaymentRow, step: &str, main: Transfer, fee_payer: u128) -> Vec<Transfer> {
    let mut chain = vec![main];
    if p.fee > 0 {
        chain.push(Transfer {
            id: ledger_transfer_id(&p.id, &format!("{step}-fee")),
            debit_account_id: fee_payer,
            credit_account_id: system_account_id(FEE_REVENUE),
            amount: p.fee.unsigned_abs(),
            code: Purpose::Fee.code(),
            ..main
        });
    }
    linked(chain)
}

/// Links every member but the last.
pub fn linked(mut chain: Vec<Transfer>) -> Vec<Transfer> {
    let last = chain.len().saturating_sub(1);
    for (i, t) in chain.iter_mut().enumerate() {
        if i < last {
            t.flags = t.flags | TransferFlags::LINKED;
        }
    }
    chain
}

/// A transfer to another citizen: wallet to wallet, with its fee.
pub fn to_citizen(p: &PaymentRow, payer: u128, payee: u128) -> Vec<Transfer> {
    with_fee(
        p,
        "move",
        movement(p, "move", payer, payee, Purpose::Transfer),
        payer,
    )
}

/// The hold (and the fee's hold) on the wallet toward `to` while an outside system
/// acts.
pub fn holds(p: &PaymentRow, wallet: u128, to: u128, purpose: Purpose) -> Vec<Transfer> {
    let hold = Transfer {
        flags: TransferFlags::PENDING,
        ..movement(p, "hold", wallet, to, purpose)
    };
    with_fee(p, "hold", hold, wallet)
}

/// Whether a step posts or releases the holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Post,
    Void,
}

impl Resolution {
    const fn step(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Void => "void",
        }
    }

    const fn flags(self) -> TransferFlags {
        match self {
            Self::Post => TransferFlags::POST_PENDING_TRANSFER,
            Self::Void => TransferFlags::VOID_PENDING_TRANSFER,
        }
    }
}

/// Posts or voids every hold of [`holds`], as one chain.
pub fn resolve_holds(p: &PaymentRow, resolution: Resolution) -> Vec<Transfer> {
    let step = resolution.step();
    let mut chain = vec![Transfer {
        id: ledger_transfer_id(&p.id, step),
        pending_id: ledger_transfer_id(&p.id, "hold"),
        flags: resolution.flags(),
        ..Transfer::default()
    }];
    if p.fee > 0 {
        chain.push(Transfer {
            id: ledger_transfer_id(&p.id, &format!("{step}-fee")),
            pending_id: ledger_transfer_id(&p.id, "hold-fee"),
            flags: resolution.flags(),
            ..Transfer::default()
        });
    }
    linked(chain)
}

/// A top-up's credit from a settlement account (`from` also pays the fee to revenue:
/// the payer was charged amount + fee outside).
pub fn credit(p: &PaymentRow, from: u128, wallet: u128) -> Vec<Transfer> {
    with_fee(
        p,
        "credit",
        movement(p, "credit", from, wallet, Purpose::Topup),
        from,
    )
}

/// A merchant payment: at once, or a hold lasting `hold_seconds` for manual capture.
pub fn to_merchant(
    p: &PaymentRow,
    payer: u128,
    merchant: u128,
    hold_seconds: Option<u32>,
) -> Transfer {
    let transfer = movement(p, "merchant", payer, merchant, Purpose::Merchant);
    match hold_seconds {
        Some(timeout) => Transfer {
            flags: TransferFlags::PENDING,
            timeout,
            ..transfer
        },
        None => transfer,
    }
}

/// The id of a merchant payment's hold (or immediate transfer).
pub fn merchant_transfer_id(payment_id: &str) -> u128 {
    ledger_transfer_id(payment_id, "merchant")
}

/// Captures `amount` of a merchant payment's hold; the rest is released.
pub fn capture(payment_id: &str, amount: i64) -> Transfer {
    Transfer {
        id: ledger_transfer_id(payment_id, "capture"),
        pending_id: merchant_transfer_id(payment_id),
        amount: amount.unsigned_abs(),
        flags: TransferFlags::POST_PENDING_TRANSFER,
        ..Transfer::default()
    }
}

/// Releases a merchant payment's hold.
pub fn release(payment_id: &str) -> Transfer {
    Transfer {
        id: ledger_transfer_id(payment_id, "void"),
        pending_id: merchant_transfer_id(payment_id),
        flags: TransferFlags::VOID_PENDING_TRANSFER,
        ..Transfer::default()
    }
}

/// Money back from the merchant to the payer's wallet.
pub fn refund(refund_id: &str, merchant: u128, wallet: u128, amount: i64) -> Transfer {
    Transfer {
        id: ledger_transfer_id(refund_id, "refund"),
        debit_account_id: merchant,
        credit_account_id: wallet,
        amount: amount.unsigned_abs(),
        ledger: VND,
        code: Purpose::Refund.code(),
        ..Transfer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_are_stable_distinct_and_encodable() {
        let a = ledger_transfer_id("pay_1", "hold");
        assert_eq!(a, ledger_transfer_id("pay_1", "hold"));
        assert_ne!(a, ledger_transfer_id("pay_1", "post"));
        assert_ne!(a, ledger_transfer_id("pay_2", "hold"));
        assert!(a < 1 << 96);
        assert!(crate::ids::encode(crate::ids::TRANSFER, a).len() <= 24);
    }

    #[test]
    fn chains_link_every_member_but_the_last() {
        let t = Transfer::default();
        let chain = linked(vec![t, t, t]);
        assert!(chain[0].flags.contains(TransferFlags::LINKED));
        assert!(chain[1].flags.contains(TransferFlags::LINKED));
        assert!(!chain[2].flags.contains(TransferFlags::LINKED));
        assert!(!linked(vec![t])[0].flags.contains(TransferFlags::LINKED));
    }
}
