//! Refunds: money back from the merchant to the citizen's wallet, any number of times,
//! never more in total than was captured. Each is made, with its ledger transfer and
//! the request's running total of refunds, in one command of the group commit; its id
//! derives from the merchant's idempotency key.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::requests::RequestStatus;
use crate::schema::merchant_refunds as refunds;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: String,
    pub payment_request_id: String,
    pub merchant_id: String,
    pub amount: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A refund as the API (and its webhook) show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    #[schema(example = "ref_...")]
    pub id: String,
    pub payment_request_id: String,
    pub amount: i64,
    /// `succeeded` (or `pending` while the ledger has not answered, `failed`).
    #[schema(example = "succeeded")]
    pub status: String,
    /// The request's status after this refund.
    pub payment_request_status: Option<RequestStatus>,
    pub created_at: DateTime<Utc>,
}

impl RefundRow {
    pub fn view(&self, request_status: Option<RequestStatus>) -> RefundView {
        RefundView {
            id: self.id.clone(),
            payment_request_id: self.payment_request_id.clone(),
            amount: self.amount,
            status: self.status.clone(),
            payment_request_status: request_status,
            created_at: self.created_at,
        }
    }
}
