//! Payments in PostgreSQL: records, status changes with their history, the citizen's
//! usage in the current windows.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};

use super::model::{PayeeView, PaymentRow, PaymentStatus, PaymentView, StatusChange};
use crate::error::ApiError;
use crate::rules::{vietnam_day_start, vietnam_month_start, Usage};
use crate::schema::{identities, payment_events, payments};

pub fn insert(
    conn: &mut PgConnection,
    row: &PaymentRow,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    diesel::insert_into(payments::table)
        .values(row)
        .execute(conn)?;
    record_event(conn, &row.id, &row.status, detail, row.created_at)
}

fn record_event(
    conn: &mut PgConnection,
    payment_id: &str,
    status: &str,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    diesel::insert_into(payment_events::table)
        .values((
            payment_events::payment_id.eq(payment_id),
            payment_events::status.eq(status),
            payment_events::detail.eq(detail),
            payment_events::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a payment from `from` to `to`; false when it was no longer in `from` (another
/// worker got there first), in which case nothing changes.
pub fn transition(
    conn: &mut PgConnection,
    id: &str,
    from: PaymentStatus,
    to: PaymentStatus,
    failure_code: Option<&str>,
    detail: Option<&str>,
) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let changed = diesel::update(
            payments::table
                .find(id)
                .filter(payments::status.eq(from.as_str())),
        )
        .set((
            payments::status.eq(to.as_str()),
            payments::failure_code.eq(failure_code),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 1 {
            record_event(conn, id, to.as_str(), detail, now)?;
        }
        Ok(changed == 1)
    })
}

/// Moves a payment that failed with `failure_code` to `to` (a provider's success
/// arriving after the top-up expired); false when it is not in that state.
pub fn revive(
    conn: &mut PgConnection,
    id: &str,
    failure_code: &str,
    to: PaymentStatus,
    detail: &str,
) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let changed = diesel::update(
            payments::table
                .find(id)
                .filter(payments::status.eq(PaymentStatus::Failed.as_str()))
                .filter(payments::failure_code.eq(failure_code)),
        )
        .set((
            payments::status.eq(to.as_str()),
            payments::failure_code.eq(None::<String>),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 1 {
            record_event(conn, id, to.as_str(), Some(detail), now)?;
        }
        Ok(changed == 1)
    })
}

/// Records that a payment finally moved less than its amount (a partial capture, a
/// void: zero), so the limits count what really left the wallet.
pub fn set_settled_amount(conn: &mut PgConnection, id: &str, settled: i64) -> Result<(), ApiError> {
    diesel::update(payments::table.find(id))
        .set(payments::settled_amount.eq(Some(settled)))
        .execute(conn)?;
    Ok(())
}

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

/// The payment a request with this idempotency key already created, if any.
pub fn find_by_key(
    conn: &mut PgConnection,
    identity_id: &str,
    key: &str,
) -> Result<Option<PaymentRow>, ApiError> {
    Ok(payments::table
        .filter(payments::identity_id.eq(identity_id))
        .filter(payments::idempotency_key.eq(key))
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
    let mut query = payments::table
        .order((payments::created_at.desc(), payments::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(101))
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(identity_id) = identity_id {
        query = query.filter(payments::identity_id.eq(identity_id.to_string()));
    }
    if let Some(status) = status {
        query = query.filter(payments::status.eq(status.as_str()));
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

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = BigInt)]
    today: i64,
    #[diesel(sql_type = BigInt)]
    month: i64,
}

/// What the citizen moved today and this month (Vietnam time), counting only payments
/// whose money moved or is on its way.
pub fn usage(
    conn: &mut PgConnection,
    identity_id: &str,
    now: DateTime<Utc>,
) -> Result<Usage, ApiError> {
    let day = vietnam_day_start(now);
    let month = vietnam_month_start(now);
    let counted: Vec<String> = PaymentStatus::COUNTED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let row: UsageRow = diesel::sql_query(
        "SELECT coalesce(sum(coalesce(settled_amount, amount)) FILTER (WHERE created_at >= $2), 0)::bigint AS today, \
         coalesce(sum(coalesce(settled_amount, amount)) FILTER (WHERE capped AND created_at >= $3), 0)::bigint AS month \
         FROM payments WHERE identity_id = $1 AND status = ANY($4) AND created_at >= least($2, $3)",
    )
    .bind::<Text, _>(identity_id)
    .bind::<Timestamptz, _>(day)
    .bind::<Timestamptz, _>(month)
    .bind::<Array<Text>, _>(counted)
    .get_result(conn)?;
    Ok(Usage {
        today_total: row.today,
        month_capped: row.month,
    })
}

/// Payments left `pending` since before `before`: a crash or an outside system's
/// silence interrupted them, and they must be driven on.
pub fn stale_pending(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PaymentRow>, ApiError> {
    Ok(payments::table
        .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
        .filter(payments::updated_at.lt(before))
        .order(payments::updated_at)
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?)
}

/// The API's view of a payment: its history and its payee, masked.
pub fn view(conn: &mut PgConnection, row: &PaymentRow) -> Result<PaymentView, ApiError> {
    let history = payment_events::table
        .filter(payment_events::payment_id.eq(&row.id))
        .order(payment_events::id)
        .select((
            payment_events::status,
            payment_events::at,
            payment_events::detail,
        ))
        .load::<(String, DateTime<Utc>, Option<String>)>(conn)?
        .into_iter()
        .map(|(status, at, detail)| StatusChange { status, at, detail })
        .collect();
    let payee = if let Some(payee_id) = &row.payee_identity_id {
        identities::table
            .find(payee_id)
            .select((identities::cccd, identities::full_name))
            .first::<(String, String)>(conn)
            .optional()?
            .map(|(cccd, name)| PayeeView {
                kind: "citizen",
                cccd: Some(adapters::identity::mask_cccd(&cccd)),
                name: Some(name),
                bank_bin: None,
                account_number_masked: None,
            })
    } else if let (Some(bin), Some(account)) = (&row.payee_bank_bin, &row.payee_account) {
        Some(PayeeView {
            kind: "bank_account",
            cccd: None,
            name: None,
            bank_bin: Some(bin.clone()),
            account_number_masked: Some(adapters::bank::mask_account_number(account)),
        })
    } else {
        None
    };
    let order = if row.kind == "topup" && row.bank_link_id.is_none() {
        super::provider_topups::find_for_payment(conn, &row.id)?
    } else {
        None
    };
    let receipt = if matches!(row.kind.as_str(), "bill" | "insurance") {
        crate::bills::receipts::load(conn, row)?
    } else {
        None
    };
    Ok(PaymentView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        amount: row.amount,
        settled_amount: row.settled_amount,
        fee: row.fee,
        status: row.status.clone(),
        failure_code: row.failure_code.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        bank_link_id: row.bank_link_id.clone(),
        payee,
        note: row.note.clone(),
        step_up_nonce: (row.status == PaymentStatus::RequiresStepUp.as_str())
            .then(|| row.id.clone()),
        provider: order.as_ref().map(|o| o.provider.clone()),
        provider_reference: order.as_ref().and_then(|o| o.provider_reference.clone()),
        redirect_url: order.and_then(|o| o.redirect_url),
        receipt,
        status_history: history,
    })
}
