//! What a bill or insurance payment pays, and the claim that keeps a bill (or a quote)
//! from being paid twice.
//!
//! The record is keyed like the payment (citizen and idempotency key) so it can be
//! written before `create_and_run` makes the payment, and the payment's steps find it
//! from the payment row alone. A payment claims its bill when its money starts to
//! move; a unique index over claimed records lets exactly one of two racing payments
//! win, whoever inquired the bill. A payment that fails gives its claim back.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::ApiError;
use crate::schema::biller_payments;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
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

/// Writes the record unless this key already has one: a retried request pays what the
/// first attempt recorded (its body was the same, or idempotency refused it).
pub fn record(conn: &mut PgConnection, row: &RecordRow) -> Result<(), ApiError> {
    diesel::insert_into(biller_payments::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
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

/// The record whose payment holds or has paid `claim_key`, if any.
pub fn claimant(conn: &mut PgConnection, claim_key: &str) -> Result<Option<RecordRow>, ApiError> {
    Ok(biller_payments::table
        .filter(biller_payments::claim_key.eq(claim_key))
        .filter(biller_payments::claimed.eq(true))
        .select(RecordRow::as_select())
        .first(conn)
        .optional()?)
}

/// Claims the record's bill or quote for `payment_id`. False when another payment
/// holds it; claiming again for the same payment is a no-op.
pub fn claim(
    conn: &mut PgConnection,
    identity_id: &str,
    key: &str,
    payment_id: &str,
) -> Result<bool, ApiError> {
    let updated = diesel::update(biller_payments::table.find((identity_id, key)))
        .set((
            biller_payments::claimed.eq(true),
            biller_payments::payment_id.eq(payment_id),
        ))
        .execute(conn);
    match updated {
        Ok(1) => Ok(true),
        Ok(_) => Err(ApiError::Internal(
            "a bill payment's record is missing".into(),
        )),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Gives the claim back once the payment has failed and its hold is released.
pub fn release(conn: &mut PgConnection, identity_id: &str, key: &str) -> Result<(), ApiError> {
    diesel::update(biller_payments::table.find((identity_id, key)))
        .set(biller_payments::claimed.eq(false))
        .execute(conn)?;
    Ok(())
}

/// Keeps the biller's receipt number for the payment's receipt and reconciliation.
pub fn confirm(
    conn: &mut PgConnection,
    identity_id: &str,
    key: &str,
    biller_transaction_id: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    diesel::update(biller_payments::table.find((identity_id, key)))
        .set((
            biller_payments::biller_transaction_id.eq(biller_transaction_id),
            biller_payments::confirmed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
