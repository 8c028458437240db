//! Reading payments: one, a page of them, the citizen's running totals, and the view
//! the API shows. Every write goes through the group commit (`commit`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::model::{PayeeView, PaymentKind, PaymentRow, PaymentStatus, PaymentView};
use crate::error::ApiError;
use crate::rules::Usage;
use crate::schema::{identities, identity_usage, payments};
use crate::usage::UsageRow;

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<PaymentRow>, ApiError> {
    Ok(payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The citizen's own payment; anyone else's is not found.
pub fn find_own(
    conn: &mut PgConnection,
    identity_id: &str,
    id: &str,
) -> Result<Option<PaymentRow>, ApiError> {
    Ok(payments::table
        .find(id)
        .filter(payments::identity_id.eq(identity_id))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of the citizen's payments, newest first.
pub fn list_own(
    conn: &mut PgConnection,
    identity_id: &str,
    limit: usize,
    starting_after: Option<&PaymentRow>,
) -> Result<(Vec<PaymentRow>, bool), ApiError> {
    list(conn, Some(identity_id), None, limit, starting_after)
}

/// A page of payments, newest first: one citizen's or everyone's, of one status or any.
pub fn list(
    conn: &mut PgConnection,
    identity_id: Option<&str>,
    status: Option<PaymentStatus>,
    limit: usize,
    starting_after: Option<&PaymentRow>,
) -> Result<(Vec<PaymentRow>, bool), ApiError> {
    let filter = PaymentFilter {
        identity_id: identity_id.map(str::to_string),
        status,
        ..PaymentFilter::default()
    };
    search(conn, &filter, limit, starting_after)
}

/// What payments may be looked for by (the operator's search, a citizen's list).
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub identity_id: Option<String>,
    pub kind: Option<PaymentKind>,
    pub status: Option<PaymentStatus>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created strictly before.
    pub created_before: Option<DateTime<Utc>>,
}

/// A page of the payments that match `filter`, newest first.
pub fn search(
    conn: &mut PgConnection,
    filter: &PaymentFilter,
    limit: usize,
    starting_after: Option<&PaymentRow>,
) -> Result<(Vec<PaymentRow>, bool), ApiError> {
    let mut query = payments::table
        .order((payments::created_at.desc(), payments::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(101))
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(identity_id) = &filter.identity_id {
        query = query.filter(payments::identity_id.eq(identity_id.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(payments::kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(payments::status.eq(status.as_str()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(payments::created_at.ge(from));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(payments::created_at.lt(before));
    }
    if let Some(cursor) = starting_after {
        query = query.filter(
            payments::created_at
                .lt(cursor.created_at)
                .or(payments::created_at
                    .eq(cursor.created_at)
                    .and(payments::id.lt(cursor.id.clone()))),
        );
    }
    let mut rows = query.load(conn)?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, has_more))
}

/// The ids of the ledger transfers a payment may have made: every step it can take
/// (see `steps`), by the id each derives, and the refunds of the merchant request it
/// paid. Look them up in the ledger (`lookup_transfers`) for those it did make.
pub fn ledger_transfer_ids(
    conn: &mut PgConnection,
    payment: &PaymentRow,
) -> Result<Vec<u128>, ApiError> {
    let mut ids = super::steps::transfer_ids(&payment.id);
    if let Some(request_id) = &payment.payment_request_id {
        use crate::schema::merchant_refunds as refunds;
        let refund_ids: Vec<String> = refunds::table
            .filter(refunds::payment_request_id.eq(request_id))
            .select(refunds::id)
            .load(conn)?;
        ids.extend(
            refund_ids
                .iter()
                .map(|id| super::steps::ledger_transfer_id(id, "refund")),
        );
    }
    Ok(ids)
}

/// What the citizen moved in the windows of `today` (Vietnam time): one row, kept
/// current by every payment.
pub fn usage(
    conn: &mut PgConnection,
    identity_id: &str,
    today: NaiveDate,
) -> Result<Usage, ApiError> {
    let row: Option<(String, NaiveDate, i64, NaiveDate, i64, i64)> = identity_usage::table
        .find(identity_id)
        .select((
            identity_usage::identity_id,
            identity_usage::day,
            identity_usage::day_total,
            identity_usage::month,
            identity_usage::month_general,
            identity_usage::month_essential,
        ))
        .first(conn)
        .optional()?;
    Ok(row
        .map(
            |(identity_id, day, day_total, month, month_general, month_essential)| {
                UsageRow {
                    identity_id,
                    day,
                    day_total,
                    month,
                    month_general,
                    month_essential,
                }
                .usage_on(today)
            },
        )
        .unwrap_or_default())
}

/// The API's view of a payment: its payee masked, its provider order, its receipt.
pub fn view(conn: &mut PgConnection, row: &PaymentRow) -> Result<PaymentView, ApiError> {
    let payee = match (
        &row.payee_identity_id,
        &row.payee_bank_bin,
        &row.payee_account,
    ) {
        (Some(payee_id), _, _) => identities::table
            .find(payee_id)
            .select((identities::cccd, identities::full_name))
            .first::<(String, String)>(conn)
            .optional()?
            .map(|(cccd, name)| PayeeView::citizen(&cccd, &name)),
        (None, Some(bin), Some(account)) => Some(PayeeView::bank_account(bin, account)),
        _ => None,
    };
    let order = match (row.kind(), &row.bank_link_id) {
        (Some(PaymentKind::Topup), None) => {
            super::provider_orders::find_for_payment(conn, &row.id)?
        }
        _ => None,
    };
    let receipt = match row.kind() {
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            crate::bills::receipts::load(conn, row)?
        }
        _ => None,
    };
    Ok(PaymentView::build(row, payee, order.as_ref(), receipt))
}
