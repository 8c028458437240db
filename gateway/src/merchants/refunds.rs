//! Refunds: money back from the merchant to the citizen's wallet, any number of times,
//! never more in total than was captured. The check and the reservation happen under
//! the request's row lock (a `pending` refund counts against the total), so racing
//! refunds cannot pass it together; the ledger transfer (its id from the refund id)
//! follows without the lock held, and its outcome is recorded under the lock again.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use ledger::{CreateTransferResult as R, Transfer};
use serde::Serialize;
use utoipa::ToSchema;

use super::requests::{self, Changes, RequestStatus};
use super::store as merchants;
use super::webhooks::{self, EventType};
use crate::chart::{Purpose, VND};
use crate::citizens::identity;
use crate::db;
use crate::error::ApiError;
use crate::payments::flows::ledger_transfer_id;
use crate::payments::model::PaymentStatus;
use crate::payments::store;
use crate::schema::merchant_refunds as refunds;
use crate::state::AppState;

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
    fn view(&self, request_status: Option<RequestStatus>) -> RefundView {
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

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
}

/// What refunds already take from the captured amount: the succeeded ones and those
/// still waiting for the ledger.
fn reserved(conn: &mut PgConnection, request_id: &str) -> Result<i64, ApiError> {
    let row: Total = diesel::sql_query(
        "SELECT coalesce(sum(amount), 0)::bigint AS total FROM merchant_refunds \
         WHERE payment_request_id = $1 AND status IN ('pending', 'succeeded')",
    )
    .bind::<diesel::sql_types::Text, _>(request_id)
    .get_result(conn)?;
    Ok(row.total)
}

/// Checks and reserves a refund under the request's lock.
fn reserve(
    conn: &mut PgConnection,
    merchant_id: &str,
    request_id: &str,
    amount: i64,
) -> Result<RefundRow, ApiError> {
    conn.transaction(|conn| {
        requests::find_own(conn, merchant_id, request_id)?;
        let request = requests::lock(conn, request_id)?;
        if !request.status()?.is_refundable() {
            return Err(ApiError::Conflict {
                code: "payment_request_not_captured",
                message: "only a paid or captured payment request can be refunded",
            });
        }
        let taken = reserved(conn, request_id)?;
        if taken.saturating_add(amount) > request.captured_amount {
            return Err(ApiError::BusinessRule {
                code: "refund_exceeds_captured",
                message: "refunds may not exceed what was captured",
            });
        }
        let now = Utc::now();
        let row = RefundRow {
            id: db::new_id("ref_"),
            payment_request_id: request.id.clone(),
            merchant_id: request.merchant_id.clone(),
            amount,
            status: "pending".into(),
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(refunds::table)
            .values(&row)
            .execute(conn)?;
        Ok(row)
    })
}

/// Records the ledger's answer: the refund, the request's and the payment's status, and
/// the webhook, in one transaction.
fn conclude(conn: &mut PgConnection, refund_id: &str, ok: bool) -> Result<RefundView, ApiError> {
    conn.transaction(|conn| {
        let refund: RefundRow = refunds::table
            .find(refund_id)
            .select(RefundRow::as_select())
            .first(conn)?;
        let request = requests::lock(conn, &refund.payment_request_id)?;
        let current: RefundRow = refunds::table
            .find(refund_id)
            .for_update()
            .select(RefundRow::as_select())
            .first(conn)?;
        if current.status != "pending" {
            return Ok(current.view(Some(request.status()?)));
        }
        let now = Utc::now();
        let status = if ok { "succeeded" } else { "failed" };
        let updated: RefundRow = diesel::update(refunds::table.find(refund_id))
            .set((refunds::status.eq(status), refunds::updated_at.eq(now)))
            .returning(RefundRow::as_returning())
            .get_result(conn)?;
        if !ok {
            return Ok(updated.view(Some(request.status()?)));
        }
        let refunded = request.refunded_amount.saturating_add(updated.amount);
        let (to, paid) = if refunded >= request.captured_amount {
            (RequestStatus::Refunded, PaymentStatus::Refunded)
        } else {
            (
                RequestStatus::PartiallyRefunded,
                PaymentStatus::PartiallyRefunded,
            )
        };
        let after = requests::change_status(
            conn,
            &request,
            to,
            Changes {
                refunded_amount: Some(refunded),
                ..Changes::default()
            },
        )?;
        if let Some(payment_id) = &request.payment_id {
            let payment = store::find(conn, payment_id)?
                .ok_or_else(|| ApiError::Internal("refunded payment is missing".into()))?;
            if let Some(from) = payment.status().filter(|s| *s != paid) {
                store::transition(conn, payment_id, from, paid, None, Some(&updated.id))?;
            }
        }
        let view = updated.view(Some(after.status()?));
        let data = serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.to_string()))?;
        webhooks::enqueue(
            conn,
            &updated.merchant_id,
            EventType::RefundSucceeded,
            data,
            now,
        )?;
        Ok(view)
    })
}

/// Moves a reserved refund's money and records the outcome.
async fn execute(state: &AppState, refund: &RefundRow) -> Result<RefundView, ApiError> {
    let (request_id, merchant_id) = (
        refund.payment_request_id.clone(),
        refund.merchant_id.clone(),
    );
    let (merchant, wallet) = db::run(state, move |conn| {
        let request =
            requests::find(conn, &request_id)?.ok_or(ApiError::NotFound("payment request"))?;
        let payment_id = request
            .payment_id
            .ok_or_else(|| ApiError::Internal("refunded request has no payment".into()))?;
        let payment = store::find(conn, &payment_id)?
            .ok_or_else(|| ApiError::Internal("refunded payment is missing".into()))?;
        let payer = identity::find(conn, &payment.identity_id)?
            .ok_or_else(|| ApiError::Internal("payer is missing".into()))?;
        let merchant = merchants::find(conn, &merchant_id)?
            .ok_or_else(|| ApiError::Internal("merchant is missing".into()))?;
        Ok((merchant.ledger_id()?, payer.wallet_ledger_id()?))
    })
    .await?;
    let transfer = Transfer {
        id: ledger_transfer_id(&refund.id, "refund"),
        debit_account_id: merchant,
        credit_account_id: wallet,
        amount: refund.amount.unsigned_abs(),
        ledger: VND,
        code: Purpose::Refund.code(),
        ..Transfer::default()
    };
    let result = state
        .writer
        .submit(vec![transfer])
        .await?
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal("the ledger answered no result".into()))?;
    let ok = match result {
        R::Ok | R::Exists => true,
        // The merchant's account no longer holds the money (settled out meanwhile).
        R::ExceedsCredits | R::IdAlreadyFailed => false,
        other => {
            return Err(ApiError::Internal(format!(
                "ledger refused a refund: {other}"
            )))
        }
    };
    let id = refund.id.clone();
    let view = db::run(state, move |conn| conclude(conn, &id, ok)).await?;
    if ok {
        Ok(view)
    } else {
        Err(ApiError::BusinessRule {
            code: "merchant_balance_insufficient",
            message: "the merchant's account does not hold enough to refund this",
        })
    }
}

/// `POST /v1/merchant/payment-requests/{id}/refunds`.
pub async fn create(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
    amount: i64,
) -> Result<RefundView, ApiError> {
    let (m, r) = (merchant_id.to_string(), request_id.to_string());
    let refund = db::run(state, move |conn| reserve(conn, &m, &r, amount)).await?;
    execute(state, &refund).await
}

/// Finishes refunds left `pending` by a crash; run periodically.
pub async fn resume_stale(state: &AppState) -> Result<usize, ApiError> {
    let before = Utc::now() - chrono::Duration::seconds(10);
    let stale: Vec<RefundRow> = db::run(state, move |conn| {
        Ok(refunds::table
            .filter(refunds::status.eq("pending"))
            .filter(refunds::updated_at.lt(before))
            .limit(100)
            .select(RefundRow::as_select())
            .load(conn)?)
    })
    .await?;
    let count = stale.len();
    for refund in stale {
        if let Err(e) = execute(state, &refund).await {
            tracing::warn!(refund = %refund.id, error = %e, "resuming a refund failed");
        }
    }
    Ok(count)
}
