//! Bill inquiries: a customer's latest bill as the biller answered, stored under a
//! `bill_` id for the citizen who asked, so a payment takes its amount from the biller
//! and never from the client.

use adapters::biller::{BillStatement, BillStatus};
use adapters::billing::find_biller;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::bill_inquiries;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bill_inquiries)]
pub struct InquiryRow {
    pub id: String,
    pub identity_id: String,
    pub biller_code: String,
    pub bill_ref: String,
    pub customer_code: String,
    pub customer_name: String,
    pub period: String,
    pub amount_due: i64,
    pub status: String,
    pub details: String,
    pub created_at: DateTime<Utc>,
}

/// A bill as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillView {
    #[schema(example = "bill_...")]
    pub bill_id: String,
    #[schema(example = "EVNHANOI")]
    pub biller_code: String,
    pub biller_name: String,
    /// The biller's own reference of the bill.
    pub bill_ref: String,
    #[schema(example = "PD00000000001")]
    pub customer_code: String,
    pub customer_name: String,
    /// The month billed, `YYYY-MM`.
    #[schema(example = "2025-06")]
    pub period: String,
    /// Dong owed for the bill; what a payment of this bill pays.
    #[schema(example = 636768)]
    pub amount_due: i64,
    /// `unpaid` or `paid` (at the biller, when asked).
    #[schema(example = "unpaid")]
    pub status: String,
    /// How the biller priced the bill: consumption, tariff version, block lines, VAT,
    /// surcharges and total.
    #[schema(value_type = Object)]
    pub details: Value,
    pub inquired_at: DateTime<Utc>,
}

pub const fn status_str(status: BillStatus) -> &'static str {
    match status {
        BillStatus::Unpaid => "unpaid",
        BillStatus::Paid => "paid",
    }
}

impl InquiryRow {
    /// The record of `statement` for the citizen who asked.
    pub fn new(
        identity_id: &str,
        statement: &BillStatement,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            // The same bill inquired again by the same citizen keeps its id.
            id: crate::ids::derive(
                "bill_",
                &[identity_id, &statement.biller_code, &statement.bill_ref],
            ),
            identity_id: identity_id.to_string(),
            biller_code: statement.biller_code.clone(),
            bill_ref: statement.bill_ref.clone(),
            customer_code: statement.customer_code.clone(),
            customer_name: statement.customer_name.clone(),
            period: statement.period.to_string(),
            amount_due: statement.amount_due,
            status: status_str(statement.status).to_string(),
            details: serde_json::to_string(&statement.details)
                .map_err(|e| ApiError::Internal(format!("bill details: {e}")))?,
            created_at: now,
        })
    }

    /// Paid at the biller when we asked.
    pub fn was_paid(&self) -> bool {
        self.status == status_str(BillStatus::Paid)
    }

    pub fn details_json(&self) -> Value {
        serde_json::from_str(&self.details).unwrap_or(Value::Null)
    }

    pub fn view(&self) -> BillView {
        BillView {
            bill_id: self.id.clone(),
            biller_code: self.biller_code.clone(),
            biller_name: biller_name(&self.biller_code),
            bill_ref: self.bill_ref.clone(),
            customer_code: self.customer_code.clone(),
            customer_name: self.customer_name.clone(),
            period: self.period.clone(),
            amount_due: self.amount_due,
            status: self.status.clone(),
            details: self.details_json(),
            inquired_at: self.created_at,
        }
    }
}

/// The catalogue's display name of a biller (its code if it left the catalogue).
pub fn biller_name(code: &str) -> String {
    find_biller(code).map_or_else(|| code.to_string(), |b| b.name.to_string())
}

/// Stores the inquiry, or refreshes the one of the same bill (its status and amount
/// as the biller answered now).
pub fn insert(conn: &mut PgConnection, row: &InquiryRow) -> Result<(), ApiError> {
    diesel::insert_into(bill_inquiries::table)
        .values(row)
        .on_conflict(bill_inquiries::id)
        .do_update()
        .set((
            bill_inquiries::customer_name.eq(&row.customer_name),
            bill_inquiries::amount_due.eq(row.amount_due),
            bill_inquiries::status.eq(&row.status),
            bill_inquiries::details.eq(&row.details),
            bill_inquiries::created_at.eq(row.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The citizen's own inquiry; anyone else's is not found.
pub fn find_own(
    conn: &mut PgConnection,
    identity_id: &str,
    id: &str,
) -> Result<Option<InquiryRow>, ApiError> {
    Ok(bill_inquiries::table
        .find(id)
        .filter(bill_inquiries::identity_id.eq(identity_id))
        .select(InquiryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<InquiryRow>, ApiError> {
    Ok(bill_inquiries::table
        .find(id)
        .select(InquiryRow::as_select())
        .first(conn)
        .optional()?)
}
