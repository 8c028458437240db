//! What a bill or insurance payment pays, and the claim that keeps a bill (or a quote)
//! from being paid twice.
//!
//! The record is keyed like the payment (citizen and idempotency key) and written with
//! it. A payment claims its bill when its money starts to move; the group commit
//! checks claims in order, and a unique index over claimed records guards the same
//! from the database's side, whoever inquired the bill. A payment that fails gives its
//! claim back.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::ApiError;
use crate::schema::biller_payments;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = biller_payments)]
pub struct RecordRow {
    pub identity_id: String,
    pub idempotency_key: String,
    pub kind: String,
    pub bill_id: Option<String>,
    pub quote_id: Option<String>,
    pub biller_code: String,
    pub claim_key: String,
    pub payment_id: Option<String>,
    pub claimed: bool,
    pub biller_transaction_id: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What is paid at most once: the biller's bill, however many citizens inquired it.
pub fn bill_claim_key(biller_code: &str, bill_ref: &str) -> String {
    format!("bill:{biller_code}:{bill_ref}")
}

/// A quote is paid at most once: paying it again would record the months twice.
pub fn quote_claim_key(quote_id: &str) -> String {
    format!("quote:{quote_id}")
}

impl RecordRow {
    pub fn for_bill(
        identity_id: &str,
        key: &str,
        bill_id: &str,
        biller_code: &str,
        bill_ref: &str,
    ) -> Self {
        Self {
            bill_id: Some(bill_id.to_string()),
            ..Self::new(
                identity_id,
                key,
                "bill",
                biller_code,
                bill_claim_key(biller_code, bill_ref),
            )
        }
    }

    pub fn for_quote(identity_id: &str, key: &str, quote_id: &str, biller_code: &str) -> Self {
        Self {
            quote_id: Some(quote_id.to_string()),
            ..Self::new(
                identity_id,
                key,
                "insurance",
                biller_code,
                quote_claim_key(quote_id),
            )
        }
    }

    fn new(identity_id: &str, key: &str, kind: &str, biller_code: &str, claim_key: String) -> Self {
        Self {
            identity_id: identity_id.to_string(),
            idempotency_key: key.to_string(),
            kind: kind.to_string(),
            bill_id: None,
            quote_id: None,
            biller_code: biller_code.to_string(),
            claim_key,
            payment_id: None,
            claimed: false,
            biller_transaction_id: None,
            confirmed_at: None,
            created_at: Utc::now(),
        }
    }
}

pub fn find(
    conn: &mut PgConnection,
    identity_id: &str,
    key: &str,
) -> Result<Option<RecordRow>, ApiError> {
    Ok(biller_payments::table
        .find((identity_id, key))
        .select(RecordRow::as_select())
        .first(conn)
        .optional()?)
}
