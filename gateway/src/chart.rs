//! The gateway's chart of accounts and transfer purposes, as ledger codes.

use serde::Serialize;
use utoipa::ToSchema;

/// The ledger number of Vietnamese dong (its ISO 4217 numeric code).
pub const VND: u32 = 704;

/// What an account is, stored as the ledger account's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A citizen's e-wallet: what the gateway owes the citizen.
    CitizenWallet,
    /// Our settlement position at a bank through NAPAS 247 (an asset).
    BankSettlement,
    /// Our settlement position at a wallet provider or gateway (an asset).
    ProviderSettlement,
    /// What the gateway collected for a biller and owes it.
    BillerCollection,
    /// What the gateway owes a merchant.
    Merchant,
    /// The gateway's own fee income.
    FeeRevenue,
    /// One shard's clearing position with another (`xs:a→b`, `xs:b←a`): what left
    /// this shard for the other, or arrived from it. Each pair nets to zero.
    Clearing,
}

impl AccountKind {
    pub const fn code(self) -> u16 {
        match self {
            Self::CitizenWallet => 1,
            Self::BankSettlement => 2,
            Self::ProviderSettlement => 3,
            Self::BillerCollection => 4,
            Self::Merchant => 5,
            Self::FeeRevenue => 6,
            Self::Clearing => 7,
        }
    }

    pub const fn from_code(code: u16) -> Option<Self> {
        match code {
            1 => Some(Self::CitizenWallet),
            2 => Some(Self::BankSettlement),
            3 => Some(Self::ProviderSettlement),
            4 => Some(Self::BillerCollection),
            5 => Some(Self::Merchant),
            6 => Some(Self::FeeRevenue),
            7 => Some(Self::Clearing),
            _ => None,
        }
    }

    /// Assets grow with debits; what we owe (wallets, merchants, billers) and income
    /// grow with credits. The balance shown is positive in the account's normal sense.
    pub const fn is_debit_normal(self) -> bool {
        match self {
            Self::BankSettlement | Self::ProviderSettlement => true,
            Self::CitizenWallet
            | Self::BillerCollection
            | Self::Merchant
            | Self::FeeRevenue
            | Self::Clearing => false,
        }
    }
}

/// Why money moved, stored as the ledger transfer's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Topup,
    Withdrawal,
    Transfer,
    Bill,
    Insurance,
    Merchant,
    Refund,
    Fee,
    /// Opening balances and other operator adjustments.
    Adjustment,
    /// A collection sub-account on one shard emptied into its master on another.
    CollectionSweep,
}

impl Purpose {
    pub const fn code(self) -> u16 {
        match self {
            Self::Topup => 1,
            Self::Withdrawal => 2,
            Self::Transfer => 3,
            Self::Bill => 4,
            Self::Insurance => 5,
            Self::Merchant => 6,
            Self::Refund => 7,
            Self::Fee => 8,
            Self::Adjustment => 9,
            Self::CollectionSweep => 10,
        }
    }

    pub const fn from_code(code: u16) -> Option<Self> {
        match code {
            1 => Some(Self::Topup),
            2 => Some(Self::Withdrawal),
            3 => Some(Self::Transfer),
            4 => Some(Self::Bill),
            5 => Some(Self::Insurance),
            6 => Some(Self::Merchant),
            7 => Some(Self::Refund),
            8 => Some(Self::Fee),
            9 => Some(Self::Adjustment),
            10 => Some(Self::CollectionSweep),
            _ => None,
        }
    }
}

/// The ISO code of a ledger number.
pub fn currency(ledger: u32) -> &'static str {
    match ledger {
        VND => "VND",
        _ => "XXX",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 0..=20 {
            if let Some(k) = AccountKind::from_code(code) {
                assert_eq!(k.code(), code);
            }
            if let Some(p) = Purpose::from_code(code) {
                assert_eq!(p.code(), code);
            }
        }
    }
}
