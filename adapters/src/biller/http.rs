//! [`BillerAdapter`] over HTTP, speaking the [`super::wire`] format.

use super::wire::{self, codes, ContributionRequest, InquiryRequest, PaymentRequest};
use super::{
    vss_biller_code, BillStatement, BillerAdapter, BillerError, BillerUrls, PaymentConfirmation,
};
use crate::billing::{find_biller, Biller, BillerKind, InsuranceScheme};
use crate::identity::Cccd;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// EVN, the water companies and VSS reached over HTTP (the simulators, or real
/// systems speaking the same format). Routes each call by the biller's kind.
#[derive(Debug, Clone)]
pub struct HttpBillerAdapter {
    base_url: BillerUrls,
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpBillerAdapter {
    /// An adapter for the systems under `base_url` (e.g. `http://127.0.0.1:8081`, see
    /// [`BillerUrls::under`]) that gives up on any call after `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, BillerError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|_| BillerError::Unavailable("http_client".to_owned()))?;
        Ok(Self::with_urls(
            BillerUrls::under(base_url),
            client,
            timeout,
        ))
    }

    /// An adapter for separately hosted systems, sharing an existing client
    /// (connection pool). `timeout` applies to every call whatever the client's own.
    pub fn with_urls(urls: BillerUrls, client: reqwest::Client, timeout: Duration) -> Self {
        HttpBillerAdapter {
            base_url: urls.trimmed(),
            client,
            timeout,
        }
    }

    /// The systems' base URLs.
    pub fn urls(&self) -> &BillerUrls {
        &self.base_url
    }

    /// The per-call timeout.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The catalogue entry and system URL of a biller that issues bills.
    fn bill_system(&self, biller_code: &str) -> Result<(&'static Biller, &str), BillerError> {
        let biller = find_biller(biller_code)
            .ok_or_else(|| BillerError::Rejected(codes::UNKNOWN_BILLER.to_owned()))?;
        match biller.kind {
            BillerKind::Electricity => Ok((biller, &self.base_url.evn)),
            BillerKind::Water => Ok((biller, &self.base_url.water)),
            // Insurance has no bills to look up: the gateway quotes it itself.
            BillerKind::SocialInsurance | BillerKind::HealthInsurance => {
                Err(BillerError::Rejected(codes::UNKNOWN_BILLER.to_owned()))
            }
        }
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        url: String,
        body: &B,
    ) -> Result<R, BillerError> {
        let response = self
            .client
            .post(url)
            .timeout(self.timeout)
            .json(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return response.json::<R>().await.map_err(|err| {
                if err.is_timeout() {
                    BillerError::Timeout
                } else {
                    malformed()
                }
            });
        }
        let code = match response.json::<wire::ErrorBody>().await {
            Ok(body) => body.error.code,
            Err(err) if err.is_timeout() => return Err(BillerError::Timeout),
            Err(_) => format!("http_{}", status.as_u16()),
        };
        Err(match code.as_str() {
            codes::CUSTOMER_NOT_FOUND | codes::BILL_NOT_FOUND => BillerError::CustomerNotFound,
            codes::INVALID_CUSTOMER_CODE => BillerError::InvalidCustomerCode,
            codes::BILL_ALREADY_PAID => BillerError::AlreadyPaid,
            codes::AMOUNT_MISMATCH => BillerError::AmountMismatch,
            _ if status.is_server_error() => BillerError::Unavailable(code),
            _ => BillerError::Rejected(code),
        })
    }
}

fn transport_error(err: reqwest::Error) -> BillerError {
    if err.is_timeout() {
        BillerError::Timeout
    } else if err.is_connect() {
        BillerError::Unavailable("connection_failed".to_owned())
    } else {
        BillerError::Unavailable("transport_error".to_owned())
    }
}

fn malformed() -> BillerError {
    BillerError::Unavailable("malformed_response".to_owned())
}

fn parse_time(rfc3339: &str) -> Result<DateTime<Utc>, BillerError> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| malformed())
}

/// Refused locally: the biller would refuse them too, and they are our bugs.
fn check_amount_and_reference(amount: i64, reference: &str) -> Result<(), BillerError> {
    if !wire::is_valid_amount(amount) {
        return Err(BillerError::Rejected(codes::INVALID_AMOUNT.to_owned()));
    }
    if !wire::is_valid_reference(reference) {
        return Err(BillerError::Rejected(codes::INVALID_REFERENCE.to_owned()));
    }
    Ok(())
}

#[async_trait]
impl BillerAdapter for HttpBillerAdapter {
    async fn inquire(
        &self,
        biller_code: &str,
        customer_code: &str,
    ) -> Result<BillStatement, BillerError> {
        let (biller, base) = self.bill_system(biller_code)?;
        // The catalogue knows every biller's format, so a bad code costs no round trip.
        if !biller.accepts(customer_code) {
            return Err(BillerError::InvalidCustomerCode);
        }
        let request = InquiryRequest {
            biller_code: biller_code.to_owned(),
            customer_code: customer_code.to_owned(),
        };
        let url = format!("{base}{}", wire::INQUIRY_PATH);
        let answer: wire::Statement = self.post(url, &request).await?;
        // A statement of another customer must never be shown to this one.
        if answer.biller_code != request.biller_code
            || answer.customer_code != request.customer_code
        {
            return Err(BillerError::Unavailable("response_mismatch".to_owned()));
        }
        let period = answer.period.parse().map_err(|_| malformed())?;
        Ok(BillStatement {
            bill_ref: answer.bill_ref,
            biller_code: answer.biller_code,
            customer_code: answer.customer_code,
            customer_name: answer.customer_name,
            period,
            amount_due: answer.amount_due,
            status: answer.status,
            details: answer.details,
        })
    }

    async fn confirm_payment(
        &self,
        biller_code: &str,
        bill_ref: &str,
        amount: i64,
        reference: &str,
    ) -> Result<PaymentConfirmation, BillerError> {
        let (_, base) = self.bill_system(biller_code)?;
        check_amount_and_reference(amount, reference)?;
        let request = PaymentRequest {
            biller_code: biller_code.to_owned(),
            bill_ref: bill_ref.to_owned(),
            amount,
            reference: reference.to_owned(),
        };
        let url = format!("{base}{}", wire::PAYMENTS_PATH);
        let answer: wire::PaymentResponse = self.post(url, &request).await?;
        // A receipt for anything but what we asked leaves the outcome unknown.
        let matches = answer.reference == request.reference
            && answer.biller_code == request.biller_code
            && answer.bill_ref == request.bill_ref
            && answer.amount == request.amount;
        if !matches {
            return Err(BillerError::Unavailable("receipt_mismatch".to_owned()));
        }
        Ok(PaymentConfirmation {
            confirmed_at: parse_time(&answer.paid_at)?,
            reference: answer.reference,
            biller_code: answer.biller_code,
            bill_ref: Some(answer.bill_ref),
            amount: answer.amount,
            biller_transaction_id: answer.biller_transaction_id,
        })
    }

    async fn submit_contribution(
        &self,
        scheme: InsuranceScheme,
        insured_cccd: &Cccd,
        amount: i64,
        months: u32,
        reference: &str,
    ) -> Result<PaymentConfirmation, BillerError> {
        check_amount_and_reference(amount, reference)?;
        let request = ContributionRequest {
            scheme,
            insured_cccd: insured_cccd.expose().to_owned(),
            amount,
            months,
            reference: reference.to_owned(),
        };
        let url = format!("{}{}", self.base_url.vss, wire::CONTRIBUTIONS_PATH);
        let answer: wire::ContributionResponse = self.post(url, &request).await?;
        let biller_code = vss_biller_code(scheme);
        let matches = answer.reference == request.reference
            && answer.scheme == scheme
            && answer.biller_code == biller_code
            && answer.insured_cccd == insured_cccd.masked()
            && answer.amount == amount
            && answer.months == months;
        if !matches {
            return Err(BillerError::Unavailable("receipt_mismatch".to_owned()));
        }
        Ok(PaymentConfirmation {
            confirmed_at: parse_time(&answer.recorded_at)?,
            reference: answer.reference,
            biller_code: answer.biller_code,
            bill_ref: None,
            amount: answer.amount,
            biller_transaction_id: answer.receipt_no,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_locally_what_no_biller_would_accept() {
        // Port 9 (discard) is never contacted: every case fails before the request.
        let adapter =
            HttpBillerAdapter::new("http://127.0.0.1:9", Duration::from_millis(50)).unwrap();
        let unknown = BillerError::Rejected("unknown_biller".into());
        assert_eq!(
            adapter.inquire("NOPE", "PD00000000001").await,
            Err(unknown.clone())
        );
        assert_eq!(
            adapter.inquire("VSS_BHXH", "001099012345").await,
            Err(unknown)
        );
        assert_eq!(
            adapter.inquire("EVNHANOI", "PE00000000001").await,
            Err(BillerError::InvalidCustomerCode)
        );
        assert_eq!(
            adapter.confirm_payment("EVNHANOI", "b", 0, "r").await,
            Err(BillerError::Rejected("invalid_amount".into()))
        );
        assert_eq!(
            adapter.confirm_payment("HAWACO", "b", 1, "").await,
            Err(BillerError::Rejected("invalid_reference".into()))
        );
    }
}
