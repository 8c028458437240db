//! [`BankAdapter`] over HTTP, speaking the [`super::wire`] format.

use super::wire::{self, codes, ErrorBody, InquiryRequest, InquiryResponse, TransferRequest};
use super::{AccountHolder, BankAdapter, BankError, BankReceipt, TransferDirection};
use crate::identity::Cccd;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A bank switch reached over HTTP (the NAPAS simulator, or a real switch speaking the
/// same format).
#[derive(Debug, Clone)]
pub struct HttpBankAdapter {
    base_url: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpBankAdapter {
    /// An adapter for the switch at `base_url` (e.g. `http://127.0.0.1:8081/napas`)
    /// that gives up on any call after `timeout`.
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Result<Self, BankError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|_| BankError::Unavailable("http_client".to_owned()))?;
        Ok(Self::with_client(base_url, client, timeout))
    }

    /// Same as [`HttpBankAdapter::new`] but sharing an existing client (connection
    /// pool). `timeout` is applied to every call whatever the client's own setting.
    pub fn with_client(
        base_url: impl Into<String>,
        client: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        HttpBankAdapter {
            base_url,
            client,
            timeout,
        }
    }

    /// The switch's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The per-call timeout.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, BankError> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .timeout(self.timeout)
            .json(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return response.json::<R>().await.map_err(|err| {
                if err.is_timeout() {
                    BankError::Timeout
                } else {
                    BankError::Unavailable("malformed_response".to_owned())
                }
            });
        }
        let code = match response.json::<ErrorBody>().await {
            Ok(body) => body.error.code,
            Err(err) if err.is_timeout() => return Err(BankError::Timeout),
            Err(_) => format!("http_{}", status.as_u16()),
        };
        Err(match code.as_str() {
            codes::ACCOUNT_NOT_FOUND => BankError::AccountNotFound,
            codes::INSUFFICIENT_FUNDS => BankError::InsufficientFunds,
            codes::ACCOUNT_CLOSED => BankError::AccountClosed,
            _ if status.is_server_error() => BankError::Unavailable(code),
            _ => BankError::Rejected(code),
        })
    }

    async fn transfer(
        &self,
        direction: TransferDirection,
        bank_bin: &str,
        account_number: &str,
        amount: i64,
        reference: &str,
    ) -> Result<BankReceipt, BankError> {
        // Refused locally: the switch would refuse them too, and they are our bugs.
        if !wire::is_valid_amount(amount) {
            return Err(BankError::Rejected(codes::INVALID_AMOUNT.to_owned()));
        }
        if !wire::is_valid_reference(reference) {
            return Err(BankError::Rejected(codes::INVALID_REFERENCE.to_owned()));
        }
        let request = TransferRequest {
            bank_bin: bank_bin.to_owned(),
            account_number: account_number.to_owned(),
            amount,
            reference: reference.to_owned(),
        };
        let path = match direction {
            TransferDirection::Debit => wire::DEBITS_PATH,
            TransferDirection::Credit => wire::CREDITS_PATH,
        };
        let answer: wire::TransferResponse = self.post(path, &request).await?;
        // A receipt for anything but what we asked leaves the outcome unknown.
        let matches = answer.reference == request.reference
            && answer.direction == direction
            && answer.bank_bin == request.bank_bin
            && answer.account_number == request.account_number
            && answer.amount == request.amount;
        if !matches {
            return Err(BankError::Unavailable("receipt_mismatch".to_owned()));
        }
        let completed_at = DateTime::parse_from_rfc3339(&answer.completed_at)
            .map_err(|_| BankError::Unavailable("malformed_response".to_owned()))?
            .with_timezone(&Utc);
        Ok(BankReceipt {
            reference: answer.reference,
            direction,
            bank_bin: answer.bank_bin,
            account_number: answer.account_number,
            amount: answer.amount,
            bank_transaction_id: answer.bank_transaction_id,
            completed_at,
        })
    }
}

fn transport_error(err: reqwest::Error) -> BankError {
    if err.is_timeout() {
        BankError::Timeout
    } else if err.is_connect() {
        BankError::Unavailable("connection_failed".to_owned())
    } else {
        BankError::Unavailable("transport_error".to_owned())
    }
}

#[async_trait]
impl BankAdapter for HttpBankAdapter {
    async fn inquire_account(
        &self,
        bank_bin: &str,
        account_number: &str,
    ) -> Result<AccountHolder, BankError> {
        let request = InquiryRequest {
            bank_bin: bank_bin.to_owned(),
            account_number: account_number.to_owned(),
        };
        let answer: InquiryResponse = self.post(wire::INQUIRY_PATH, &request).await?;
        if answer.bank_bin != request.bank_bin || answer.account_number != request.account_number {
            return Err(BankError::Unavailable("response_mismatch".to_owned()));
        }
        let holder_cccd = Cccd::parse(&answer.holder_cccd)
            .map_err(|_| BankError::Rejected("invalid_holder_cccd".to_owned()))?;
        Ok(AccountHolder {
            bank_bin: answer.bank_bin,
            account_number: answer.account_number,
            holder_cccd,
            holder_name: answer.holder_name,
        })
    }

    async fn debit(
        &self,
        bank_bin: &str,
        account_number: &str,
        amount: i64,
        reference: &str,
    ) -> Result<BankReceipt, BankError> {
        self.transfer(
            TransferDirection::Debit,
            bank_bin,
            account_number,
            amount,
            reference,
        )
        .await
    }

    async fn credit(
        &self,
        bank_bin: &str,
        account_number: &str,
        amount: i64,
        reference: &str,
    ) -> Result<BankReceipt, BankError> {
        self.transfer(
            TransferDirection::Credit,
            bank_bin,
            account_number,
            amount,
            reference,
        )
        .await
    }
}
