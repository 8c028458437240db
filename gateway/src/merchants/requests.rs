//! Payment requests: what a merchant asks a citizen to pay, with its dynamic VietQR,
//! its status and the one function every status change goes through (so each change and
//! its webhook are written together).

use adapters::qr::{self, AdditionalData, Beneficiary, Initiation, NapasService, VietQr};
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::webhooks::{self, EventType};
use crate::error::ApiError;
use crate::schema::merchant_payment_requests as requests;

/// Where a payment request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Open,
    Paid,
    Authorized,
    Captured,
    PartiallyCaptured,
    Voided,
    Expired,
    Refunded,
    PartiallyRefunded,
}

impl RequestStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::PartiallyCaptured => "partially_captured",
            Self::Voided => "voided",
            Self::Expired => "expired",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Paid,
            Self::Authorized,
            Self::Captured,
            Self::PartiallyCaptured,
            Self::Voided,
            Self::Expired,
            Self::Refunded,
            Self::PartiallyRefunded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Statuses whose captured money may be refunded.
    pub const fn is_refundable(self) -> bool {
        match self {
            Self::Paid
            | Self::Captured
            | Self::PartiallyCaptured
            | Self::Refunded
            | Self::PartiallyRefunded => true,
            Self::Open | Self::Authorized | Self::Voided | Self::Expired => false,
        }
    }

    /// The webhook a change into this status announces; refunds announce themselves.
    pub const fn event(self) -> Option<EventType> {
        match self {
            Self::Paid => Some(EventType::Paid),
            Self::Authorized => Some(EventType::Authorized),
            Self::Captured | Self::PartiallyCaptured => Some(EventType::Captured),
            Self::Voided => Some(EventType::Voided),
            Self::Expired => Some(EventType::Expired),
            Self::Open | Self::Refunded | Self::PartiallyRefunded => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: String,
    pub merchant_id: String,
    pub amount: i64,
    pub order_ref: String,
    pub description: Option<String>,
    pub capture: String,
    pub status: String,
    pub qr: String,
    pub expires_at: DateTime<Utc>,
    pub payment_id: Option<String>,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the hosted checkout page sends the payer once the request is final.
    pub return_url: Option<String>,
    /// With citizens on home shards: the shard whose payment (`payment_id`) claimed
    /// this request, which from then on lives there with that payment.
    pub claimed_shard: Option<i16>,
    /// When that claim was made, until its payment is known to have settled.
    pub claimed_at: Option<DateTime<Utc>>,
}

/// A payment request as the API (and its webhooks) show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    #[schema(example = "req_...")]
    pub id: String,
    pub merchant_id: String,
    pub status: RequestStatus,
    pub amount: i64,
    pub order_ref: String,
    pub description: Option<String>,
    /// `automatic` or `manual`.
    #[schema(example = "automatic")]
    pub capture: String,
    /// The dynamic VietQR payload to show the payer.
    pub qr: String,
    pub expires_at: DateTime<Utc>,
    /// The citizen's payment (`pay_...`) once paid or authorized.
    pub payment_id: Option<String>,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The gateway's hosted checkout page for the request: the amount, the VietQR, a
    /// countdown, and the status as it changes.
    pub checkout_url: String,
    /// Where that page sends the payer once the request is final.
    pub return_url: Option<String>,
}

/// The hosted checkout page of a request.
pub fn checkout_url(public_url: &str, id: &str) -> String {
    format!("{}/checkout/{id}", public_url.trim_end_matches('/'))
}

impl RequestRow {
    pub fn status(&self) -> Result<RequestStatus, ApiError> {
        RequestStatus::parse(&self.status)
            .ok_or_else(|| ApiError::Internal(format!("unknown request status {}", self.status)))
    }

    pub fn is_manual(&self) -> bool {
        self.capture == "manual"
    }

    /// The status as of `now`: an open request past its expiry is expired, whether or
    /// not the task that closes such requests has got to it yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> Result<RequestStatus, ApiError> {
        let status = self.status()?;
        Ok(if status == RequestStatus::Open && self.expires_at <= now {
            RequestStatus::Expired
        } else {
            status
        })
    }

    pub fn is_open_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now).ok() == Some(RequestStatus::Open)
    }

    /// The home shard whose payment claimed this request, if one did.
    pub fn claimed_by_shard(&self) -> Option<u16> {
        self.claimed_shard.and_then(|s| u16::try_from(s).ok())
    }

    /// Why a citizen cannot pay this request now, if they cannot: one claimed by a
    /// payment on another shard is no longer open here.
    pub fn refusal_at(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.status != RequestStatus::Open.as_str() || self.claimed_shard.is_some() {
            Some("payment_request_not_open")
        } else if self.expires_at <= now {
            Some("payment_request_expired")
        } else {
            None
        }
    }

    pub fn view_at(&self, now: DateTime<Utc>, public_url: &str) -> Result<RequestView, ApiError> {
        Ok(RequestView {
            id: self.id.clone(),
            merchant_id: self.merchant_id.clone(),
            status: self.status_at(now)?,
            amount: self.amount,
            order_ref: self.order_ref.clone(),
            description: self.description.clone(),
            capture: self.capture.clone(),
            qr: self.qr.clone(),
            expires_at: self.expires_at,
            // A claim whose payment on another shard has not settled pays nothing yet.
            payment_id: self
                .payment_id
                .clone()
                .filter(|_| self.claimed_at.is_none()),
            captured_amount: self.captured_amount,
            refunded_amount: self.refunded_amount,
            created_at: self.created_at,
            updated_at: self.updated_at,
            checkout_url: checkout_url(public_url, &self.id),
            return_url: self.return_url.clone(),
        })
    }
}

/// Tag 62 holds at most 99 characters: sub-field 05 (the id) with its 4-character
/// header, and sub-field 08 with its own header, share them.
fn purpose_room(reference: &str) -> usize {
    99usize.saturating_sub(4 + reference.chars().count() + 4)
}

/// The dynamic VietQR for a request: the gateway's collection account, the amount, the
/// request id as reference and the description (cut to fit) as purpose.
pub fn build_qr(
    bank_bin: &str,
    account: &str,
    id: &str,
    amount: i64,
    purpose: &str,
) -> Result<String, ApiError> {
    let text: String = purpose.chars().take(purpose_room(id)).collect();
    let mut code = VietQr::new(
        Initiation::Dynamic,
        Beneficiary {
            acquirer_bin: bank_bin.to_string(),
            account: account.to_string(),
            service: NapasService::ToAccount,
        },
    );
    code.amount = Some(amount.unsigned_abs());
    code.additional = AdditionalData {
        reference_label: Some(id.to_string()),
        purpose: (!text.trim().is_empty()).then(|| text.trim().to_string()),
        ..AdditionalData::default()
    };
    qr::encode(&code).map_err(|e| ApiError::Internal(format!("building the VietQR: {e}")))
}

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<RequestRow>, ApiError> {
    Ok(requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?)
}

/// The merchant's own request; another merchant's is not found.
pub fn find_own(
    conn: &mut PgConnection,
    merchant_id: &str,
    id: &str,
) -> Result<RequestRow, ApiError> {
    requests::table
        .find(id)
        .filter(requests::merchant_id.eq(merchant_id))
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("payment request"))
}

/// What a status change sets besides the status.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub payment_id: Option<String>,
    pub captured_amount: Option<i64>,
    pub refunded_amount: Option<i64>,
}

/// Moves a request to `to` at `now`, and answers the webhook the change announces (to
/// be recorded in the same transaction).
pub fn change_status(
    row: &mut RequestRow,
    to: RequestStatus,
    changes: Changes,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<Option<webhooks::NewEvent>, ApiError> {
    row.status = to.as_str().to_string();
    if let Some(payment_id) = changes.payment_id {
        row.payment_id = Some(payment_id);
    }
    if let Some(captured) = changes.captured_amount {
        row.captured_amount = captured;
    }
    if let Some(refunded) = changes.refunded_amount {
        row.refunded_amount = refunded;
    }
    row.updated_at = now;
    match to.event() {
        Some(event) => {
            let data = serde_json::to_value(row.view_at(now, public_url)?)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Some(webhooks::event(&row.merchant_id, event, data, now)))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::HashMap;

    #[test]
    fn the_qr_carries_the_request_and_fits_tag_62() {
        let config = Config::from_env(&HashMap::<String, String>::new(), true).unwrap();
        let long = "Thanh toán đơn hàng ".repeat(10);
        let payload = build_qr(
            &config.qr_bank_bin,
            &config.qr_account,
            "req_0123456789abcdefgh",
            150_000,
            &long,
        )
        .unwrap();
        let decoded = qr::decode(&payload).unwrap();
        assert_eq!(decoded.amount, Some(150_000));
        assert_eq!(decoded.beneficiary.acquirer_bin, config.qr_bank_bin);
        assert_eq!(decoded.beneficiary.account, config.qr_account);
        assert_eq!(
            decoded.additional.reference_label.as_deref(),
            Some("req_0123456789abcdefgh")
        );
        assert!(decoded
            .additional
            .purpose
            .unwrap()
            .starts_with("Thanh toán"));
    }
}
