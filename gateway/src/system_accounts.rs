//! The gateway's own ledger accounts (settlement positions, collections, fees), with
//! ids derived from their names so every start-up finds the same ones.

use sha2::{Digest, Sha256};

use crate::chart::{AccountKind, VND};

/// A named account the gateway itself owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemAccount {
    pub name: String,
    pub kind: AccountKind,
    pub id: u128,
}

/// A stable id for a system account: 60 bits of SHA-256 of its name, so it fits the
/// public id format and never collides with the random ids of citizens' accounts
/// (those have bit 63 set).
pub fn system_account_id(name: &str) -> u128 {
    let digest = Sha256::digest(format!("system-account:{name}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u128::from(u64::from_be_bytes(bytes) >> 4).max(1)
}

fn account(name: impl Into<String>, kind: AccountKind) -> SystemAccount {
    let name = name.into();
    SystemAccount {
        id: system_account_id(&name),
        name,
        kind,
    }
}

pub const NAPAS_SETTLEMENT: &str = "napas-settlement";
pub const FEE_REVENUE: &str = "fee-revenue";

/// The settlement account of a wallet provider (`vnpay`, `momo`, `zalopay`).
pub fn provider_settlement(provider: &str) -> String {
    format!("provider-settlement:{provider}")
}

/// The collection account of a biller, by its code.
pub fn biller_collection(biller_code: &str) -> String {
    format!("biller-collection:{biller_code}")
}

/// Every system account, created (idempotently) at start-up.
pub fn all() -> Vec<SystemAccount> {
    let mut out = vec![
        account(NAPAS_SETTLEMENT, AccountKind::BankSettlement),
        account(FEE_REVENUE, AccountKind::FeeRevenue),
    ];
    for provider in ["vnpay", "momo", "zalopay"] {
        out.push(account(
            provider_settlement(provider),
            AccountKind::ProviderSettlement,
        ));
    }
    for biller in adapters::billing::billers() {
        out.push(account(
            biller_collection(biller.code),
            AccountKind::BillerCollection,
        ));
    }
    out
}

/// The ledger accounts to create for them.
pub fn ledger_accounts() -> Vec<ledger::Account> {
    all()
        .iter()
        .map(|a| ledger::Account::new(a.id, VND, a.kind.code(), ledger::AccountFlags::HISTORY))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_short() {
        let all = all();
        let mut ids: Vec<u128> = all.iter().map(|a| a.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert!(ids.iter().all(|&id| id < 1 << 60 && id > 0));
        assert_eq!(system_account_id("x"), system_account_id("x"));
    }
}
