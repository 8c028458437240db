//! The simulated banks' books: accounts, balances and the record of applied transfer
//! references. Pure (the caller passes the time) so it is tested without HTTP.

use crate::bank::mask_account_number;
use crate::bank::wire::{InquiryResponse, TransferRequest, TransferResponse};
use crate::bank::TransferDirection;
use crate::identity::Cccd;
use crate::statement::{LineStatus, StatementEntry};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// Why the books refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookError {
    NotFound,
    AlreadyExists,
    Closed,
    InsufficientFunds,
    OutOfRange,
    ReferenceConflict,
}

/// An account as the control API shows it (the holder's number masked).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountView {
    pub bank_bin: String,
    pub account_number: String,
    pub holder_cccd: Cccd,
    pub holder_name: String,
    pub balance: i64,
    pub status: &'static str,
}

#[derive(Debug, Clone)]
struct Account {
    holder_cccd: Cccd,
    holder_name: String,
    balance: i64,
    closed: bool,
}

/// An applied transfer: what was asked (to detect a reused reference) and the answer.
#[derive(Debug, Clone)]
struct Applied {
    direction: TransferDirection,
    request: TransferRequest,
    receipt: TransferResponse,
}

/// A transfer as NAPAS lists it on its statement: applied, or refused because of the
/// account's state (a missing account or a reused reference never reaches a bank, so
/// NAPAS has nothing to list).
#[derive(Debug, Clone)]
struct Listed {
    direction: TransferDirection,
    request: TransferRequest,
    transaction_id: String,
    status: LineStatus,
    /// The response code of a refusal (`[RRC]` on the statement).
    response_code: Option<&'static str>,
    at: DateTime<Utc>,
}

/// All simulated accounts of all banks, keyed by (BIN, account number).
#[derive(Debug, Default)]
pub(crate) struct Book {
    accounts: HashMap<(String, String), Account>,
    applied: HashMap<String, Applied>,
    /// Every listed transfer in the order it happened.
    journal: Vec<Listed>,
    next_transaction: u64,
}

fn key(bank_bin: &str, account_number: &str) -> (String, String) {
    (bank_bin.to_owned(), account_number.to_owned())
}

impl Book {
    pub(crate) fn open(
        &mut self,
        bank_bin: &str,
        account_number: &str,
        holder_cccd: Cccd,
        holder_name: String,
        balance: i64,
    ) -> Result<AccountView, BookError> {
        let key = key(bank_bin, account_number);
        if self.accounts.contains_key(&key) {
            return Err(BookError::AlreadyExists);
        }
        self.accounts.insert(
            key,
            Account {
                holder_cccd,
                holder_name,
                balance,
                closed: false,
            },
        );
        self.view(bank_bin, account_number)
    }

    pub(crate) fn view(
        &self,
        bank_bin: &str,
        account_number: &str,
    ) -> Result<AccountView, BookError> {
        let account = self
            .accounts
            .get(&key(bank_bin, account_number))
            .ok_or(BookError::NotFound)?;
        Ok(AccountView {
            bank_bin: bank_bin.to_owned(),
            account_number: account_number.to_owned(),
            holder_cccd: account.holder_cccd.clone(),
            holder_name: account.holder_name.clone(),
            balance: account.balance,
            status: if account.closed { "closed" } else { "open" },
        })
    }

    pub(crate) fn close(
        &mut self,
        bank_bin: &str,
        account_number: &str,
    ) -> Result<AccountView, BookError> {
        let account = self
            .accounts
            .get_mut(&key(bank_bin, account_number))
            .ok_or(BookError::NotFound)?;
        account.closed = true;
        self.view(bank_bin, account_number)
    }

    pub(crate) fn inquire(
        &self,
        bank_bin: &str,
        account_number: &str,
    ) -> Result<InquiryResponse, BookError> {
        let account = self
            .accounts
            .get(&key(bank_bin, account_number))
            .ok_or(BookError::NotFound)?;
        if account.closed {
            return Err(BookError::Closed);
        }
        Ok(InquiryResponse {
            bank_bin: bank_bin.to_owned(),
            account_number: account_number.to_owned(),
            holder_cccd: account.holder_cccd.expose().to_owned(),
            holder_name: account.holder_name.clone(),
        })
    }

    /// Applies a debit or credit at most once per reference. Returns the receipt and
    /// whether it is a replay of an earlier identical request.
    pub(crate) fn apply(
        &mut self,
        direction: TransferDirection,
        request: &TransferRequest,
        now: DateTime<Utc>,
    ) -> Result<(TransferResponse, bool), BookError> {
        // The reference is checked first: a transfer already applied stays applied
        // even if the account was closed since.
        if let Some(applied) = self.applied.get(&request.reference) {
            if applied.direction == direction && applied.request == *request {
                return Ok((applied.receipt.clone(), true));
            }
            return Err(BookError::ReferenceConflict);
        }
        let account = self
            .accounts
            .get_mut(&key(&request.bank_bin, &request.account_number))
            .ok_or(BookError::NotFound)?;
        let moved = if account.closed {
            Err(BookError::Closed)
        } else {
            match direction {
                TransferDirection::Debit if account.balance < request.amount => {
                    Err(BookError::InsufficientFunds)
                }
                TransferDirection::Debit => account
                    .balance
                    .checked_sub(request.amount)
                    .ok_or(BookError::OutOfRange),
                TransferDirection::Credit => account
                    .balance
                    .checked_add(request.amount)
                    .ok_or(BookError::OutOfRange),
            }
            .map(|balance| account.balance = balance)
        };
        if let Err(err) = moved {
            // ISO 8583 response codes 51 (insufficient funds) and 62 (restricted
            // account), as NAPAS reports them.
            let code = match err {
                BookError::InsufficientFunds => Some("0051"),
                BookError::Closed => Some("0062"),
                _ => None,
            };
            if let Some(code) = code {
                let transaction_id = self.next_transaction_id();
                self.journal.push(Listed {
                    direction,
                    request: request.clone(),
                    transaction_id,
                    status: LineStatus::Failed,
                    response_code: Some(code),
                    at: now,
                });
            }
            return Err(err);
        }
        let bank_transaction_id = self.next_transaction_id();
        let receipt = TransferResponse {
            reference: request.reference.clone(),
            direction,
            bank_bin: request.bank_bin.clone(),
            account_number: request.account_number.clone(),
            amount: request.amount,
            bank_transaction_id: bank_transaction_id.clone(),
            completed_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        self.applied.insert(
            request.reference.clone(),
            Applied {
                direction,
                request: request.clone(),
                receipt: receipt.clone(),
            },
        );
        self.journal.push(Listed {
            direction,
            request: request.clone(),
            transaction_id: bank_transaction_id,
            status: LineStatus::Settled,
            response_code: None,
            at: now,
        });
        Ok((receipt, false))
    }

    fn next_transaction_id(&mut self) -> String {
        self.next_transaction += 1;
        format!("NAPAS{:012}", self.next_transaction)
    }

    /// Every listed transfer as a statement entry, account numbers masked.
    pub(crate) fn statement_entries(&self) -> Vec<StatementEntry> {
        self.journal
            .iter()
            .map(|listed| StatementEntry {
                reference: listed.request.reference.clone(),
                their_id: Some(listed.transaction_id.clone()),
                amount: listed.request.amount,
                status: listed.status,
                at: listed.at,
                party: Some(
                    match listed.direction {
                        TransferDirection::Debit => "debit",
                        TransferDirection::Credit => "credit",
                    }
                    .to_owned(),
                ),
                bank_bin: Some(listed.request.bank_bin.clone()),
                account: Some(mask_account_number(&listed.request.account_number)),
                bill_ref: None,
                result_code: listed.response_code.map(str::to_owned),
            })
            .collect()
    }
}
