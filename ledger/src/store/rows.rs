//! Conversions between the ledger's types and their database rows. Every value read
//! back is range-checked: a row that does not fit the ledger's types is corruption,
//! reported as such rather than truncated.

use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{
    ledger_account_balances, ledger_accounts, ledger_pending_holds, ledger_transfers,
};
use super::LedgerError;
use crate::types::{
    Account, AccountBalance, AccountFlags, PendingHold, PendingStatus, Transfer, TransferFlags,
};

pub(crate) fn uuid(v: u128) -> Uuid {
    Uuid::from_u128(v)
}

pub(crate) fn db_i64(v: u64) -> i64 {
    // Every amount the engine lets through is at most MAX_AMOUNT = i64::MAX.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u64_of(field: &'static str, v: i64) -> Result<u64, LedgerError> {
    u64::try_from(v).map_err(|_| LedgerError::Corrupt(format!("{field} is negative: {v}")))
}

fn narrow<T: TryFrom<i64>>(field: &'static str, v: i64) -> Result<T, LedgerError> {
    T::try_from(v).map_err(|_| LedgerError::Corrupt(format!("{field} out of range: {v}")))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ledger_accounts)]
pub(crate) struct AccountRow {
    id: Uuid,
    debits_pending: i64,
    debits_posted: i64,
    credits_pending: i64,
    credits_posted: i64,
    user_data_128: Uuid,
    user_data_64: i64,
    user_data_32: i64,
    ledger: i64,
    code: i32,
    flags: i32,
    timestamp: i64,
}

impl AccountRow {
    pub(crate) fn into_account(self) -> Result<Account, LedgerError> {
        Ok(Account {
            id: self.id.as_u128(),
            debits_pending: u64_of("debits_pending", self.debits_pending)?,
            debits_posted: u64_of("debits_posted", self.debits_posted)?,
            credits_pending: u64_of("credits_pending", self.credits_pending)?,
            credits_posted: u64_of("credits_posted", self.credits_posted)?,
            user_data_128: self.user_data_128.as_u128(),
            user_data_64: self.user_data_64 as u64,
            user_data_32: narrow("user_data_32", self.user_data_32)?,
            ledger: narrow("ledger", self.ledger)?,
            code: narrow("code", i64::from(self.code))?,
            flags: AccountFlags::from_bits(narrow("flags", i64::from(self.flags))?),
            timestamp: u64_of("timestamp", self.timestamp)?,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = ledger_accounts)]
pub(crate) struct NewAccountRow {
    id: Uuid,
    debits_pending: i64,
    debits_posted: i64,
    credits_pending: i64,
    credits_posted: i64,
    user_data_128: Uuid,
    user_data_64: i64,
    user_data_32: i64,
    ledger: i64,
    code: i32,
    flags: i32,
    timestamp: i64,
}

impl From<&Account> for NewAccountRow {
    fn from(a: &Account) -> Self {
        Self {
            id: uuid(a.id),
            debits_pending: 0,
            debits_posted: 0,
            credits_pending: 0,
            credits_posted: 0,
            user_data_128: uuid(a.user_data_128),
            // user_data_64 is opaque to the ledger: its bits are kept as they are.
            user_data_64: a.user_data_64 as i64,
            user_data_32: i64::from(a.user_data_32),
            ledger: i64::from(a.ledger),
            code: i32::from(a.code),
            flags: i32::from(a.flags.bits()),
            timestamp: db_i64(a.timestamp),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ledger_transfers)]
pub(crate) struct TransferRow {
    pub(crate) seq: i64,
    id: Uuid,
    debit_account_id: Uuid,
    credit_account_id: Uuid,
    amount: i64,
    pending_id: Uuid,
    user_data_128: Uuid,
    user_data_64: i64,
    user_data_32: i64,
    timeout: i64,
    ledger: i64,
    code: i32,
    flags: i32,
    timestamp: i64,
    pub(crate) hash: Vec<u8>,
}

impl TransferRow {
    pub(crate) fn to_transfer(&self) -> Result<Transfer, LedgerError> {
        Ok(Transfer {
            id: self.id.as_u128(),
            debit_account_id: self.debit_account_id.as_u128(),
            credit_account_id: self.credit_account_id.as_u128(),
            amount: u64_of("amount", self.amount)?,
            pending_id: self.pending_id.as_u128(),
            user_data_128: self.user_data_128.as_u128(),
            user_data_64: self.user_data_64 as u64,
            user_data_32: narrow("user_data_32", self.user_data_32)?,
            timeout: narrow("timeout", self.timeout)?,
            ledger: narrow("ledger", self.ledger)?,
            code: narrow("code", i64::from(self.code))?,
            flags: TransferFlags::from_bits(narrow("flags", i64::from(self.flags))?),
            timestamp: u64_of("timestamp", self.timestamp)?,
        })
    }
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = ledger_pending_holds)]
pub(crate) struct HoldRow {
    id: Uuid,
    debit_account_id: Uuid,
    credit_account_id: Uuid,
    amount: i64,
    expires_at: Option<i64>,
    status: i16,
}

impl HoldRow {
    pub(crate) fn into_hold(self) -> Result<PendingHold, LedgerError> {
        Ok(PendingHold {
            id: self.id.as_u128(),
            debit_account_id: self.debit_account_id.as_u128(),
            credit_account_id: self.credit_account_id.as_u128(),
            amount: u64_of("amount", self.amount)?,
            expires_at: self
                .expires_at
                .map(|v| u64_of("expires_at", v))
                .transpose()?,
            status: PendingStatus::from_db(self.status)
                .ok_or_else(|| LedgerError::Corrupt(format!("hold status {}", self.status)))?,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ledger_account_balances)]
pub(crate) struct BalanceRow {
    account_id: Uuid,
    timestamp: i64,
    debits_pending: i64,
    debits_posted: i64,
    credits_pending: i64,
    credits_posted: i64,
}

impl BalanceRow {
    pub(crate) fn into_balance(self) -> Result<AccountBalance, LedgerError> {
        Ok(AccountBalance {
            account_id: self.account_id.as_u128(),
            timestamp: u64_of("timestamp", self.timestamp)?,
            debits_pending: u64_of("debits_pending", self.debits_pending)?,
            debits_posted: u64_of("debits_posted", self.debits_posted)?,
            credits_pending: u64_of("credits_pending", self.credits_pending)?,
            credits_posted: u64_of("credits_posted", self.credits_posted)?,
        })
    }
}
