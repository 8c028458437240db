//! Top-ups through a wallet provider: the order is created in the provider's format
//! and the payer sent to its page; the provider's signed callback settles the payment.
//! A repeated callback finds the order recorded and credits nothing more, and the
//! credit's ledger id derives from the payment, so even two racing callbacks credit once.

use adapters::funding::{
    CallbackError, FundingError, OrderLookup, Provider, TopupOrder, VerifiedCallback,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ledger::CreateTransferResult as R;
use ledger::Transfer;

use super::flows::ledger_transfer_id;
use super::model::{PaymentRow, PaymentStatus};
use super::store;
use crate::chart::{Purpose, VND};
use crate::db;
use crate::error::ApiError;
use crate::schema::provider_orders;
use crate::state::AppState;
use crate::system_accounts::{provider_settlement, system_account_id};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = provider_orders)]
pub struct ProviderOrderRow {
    pub payment_id: String,
    pub provider: String,
    pub provider_reference: Option<String>,
    pub redirect_url: Option<String>,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub provider_transaction_id: Option<String>,
    pub result_code: Option<String>,
}

pub fn find_for_payment(
    conn: &mut PgConnection,
    payment_id: &str,
) -> Result<Option<ProviderOrderRow>, ApiError> {
    Ok(provider_orders::table
        .find(payment_id)
        .select(ProviderOrderRow::as_select())
        .first(conn)
        .optional()?)
}

fn callback_path(provider: Provider) -> &'static str {
    match provider {
        Provider::Vnpay => "/v1/callbacks/vnpay/ipn",
        Provider::Momo => "/v1/callbacks/momo/ipn",
        Provider::Zalopay => "/v1/callbacks/zalopay",
    }
}

/// The failure of a top-up whose provider never called back in time.
pub const ORDER_EXPIRED: &str = "provider_order_expired";

/// Records, with the payment, which provider the citizen chose.
pub fn choose(
    conn: &mut PgConnection,
    payment: &PaymentRow,
    provider: Provider,
) -> Result<(), ApiError> {
    diesel::insert_into(provider_orders::table)
        .values(ProviderOrderRow {
            payment_id: payment.id.clone(),
            provider: provider.as_str().to_string(),
            provider_reference: None,
            redirect_url: None,
            amount: payment.amount,
            created_at: payment.created_at,
            recorded_at: None,
            provider_transaction_id: None,
            result_code: None,
        })
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Creates the provider's order for a pending top-up, once: a payment whose order
/// exists waits for the callback. A provider that refuses or cannot be reached fails
/// the payment: the payer never got a page to pay on.
pub async fn open_order(
    state: &AppState,
    payment: &PaymentRow,
) -> Result<Option<(PaymentStatus, &'static str)>, ApiError> {
    let id = payment.id.clone();
    let Some(intent) = db::run(state, move |conn| find_for_payment(conn, &id)).await? else {
        return Ok(None);
    };
    if intent.provider_reference.is_some() {
        // The payer had the provider's page long enough: a top-up nobody paid fails.
        // Should the provider's success still arrive, `record` credits it after all.
        let ttl = i64::try_from(state.config.provider_order_ttl_seconds).unwrap_or(i64::MAX);
        let lapsed = Utc::now() - intent.created_at > chrono::Duration::seconds(ttl);
        return Ok(lapsed.then_some((PaymentStatus::Failed, ORDER_EXPIRED)));
    }
    let Some(provider) = crate::funding::parse_provider(&intent.provider) else {
        return Err(ApiError::Internal(format!(
            "unknown provider {}",
            intent.provider
        )));
    };
    let base = state.config.public_url.trim_end_matches('/');
    let order = TopupOrder {
        reference: payment.id.clone(),
        amount: payment.amount,
        description: format!("Nap vi {}", payment.id),
        callback_url: format!("{base}{}", callback_path(provider)),
        return_url: format!("{base}/v1/payments/{}", payment.id),
        now: Utc::now(),
    };
    match state.funding.get(provider).create_order(order).await {
        Ok(created) => {
            let id = payment.id.clone();
            db::run(state, move |conn| {
                diesel::update(provider_orders::table.find(&id))
                    .set((
                        provider_orders::created_at.eq(Utc::now()),
                        provider_orders::provider_reference.eq(created.provider_reference),
                        provider_orders::redirect_url.eq(created.redirect_url),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await?;
            Ok(None)
        }
        Err(e) => {
            tracing::warn!(payment = %payment.id, error = %e, "provider order not created");
            let code = match e {
                FundingError::Rejected { .. }
                | FundingError::InvalidAmount(_)
                | FundingError::InvalidReference(_) => "provider_rejected",
                FundingError::Timeout(_)
                | FundingError::Unavailable { .. }
                | FundingError::MalformedResponse { .. } => "provider_unavailable",
            };
            Ok(Some((PaymentStatus::Failed, code)))
        }
    }
}

/// What the gateway knows of the order a callback names.
pub async fn lookup(
    state: &AppState,
    provider: Provider,
    reference: &str,
) -> Result<(OrderLookup, Option<ProviderOrderRow>), ApiError> {
    let reference = reference.to_string();
    let row = db::run(state, move |conn| {
        Ok(provider_orders::table
            .filter(provider_orders::provider.eq(provider.as_str()))
            .filter(provider_orders::provider_reference.eq(&reference))
            .select(ProviderOrderRow::as_select())
            .first(conn)
            .optional()?)
    })
    .await?;
    let lookup = match &row {
        None => OrderLookup::NotFound,
        Some(order) => OrderLookup::Found {
            amount: order.amount,
            already_recorded: order.recorded_at.is_some(),
        },
    };
    Ok((lookup, row))
}

/// Records a verified callback: credits the wallet on success (provider settlement →
/// wallet), fails the payment otherwise, and marks the order recorded.
pub async fn record(
    state: &AppState,
    order: &ProviderOrderRow,
    callback: &VerifiedCallback,
) -> Result<(), ApiError> {
    let payment_id = order.payment_id.clone();
    let payment = db::run(state, move |conn| store::find(conn, &payment_id))
        .await?
        .ok_or_else(|| ApiError::Internal("provider order without payment".into()))?;
    if callback.success {
        let wallet = super::flows::wallet_of(state, &payment.identity_id).await?;
        let credit = Transfer {
            id: ledger_transfer_id(&payment.id, "credit"),
            debit_account_id: system_account_id(&provider_settlement(&order.provider)),
            credit_account_id: wallet,
            amount: payment.amount.unsigned_abs(),
            ledger: VND,
            code: Purpose::Topup.code(),
            ..Transfer::default()
        };
        let result = state.writer.submit(vec![credit]).await?;
        if !matches!(result.first(), Some(R::Ok | R::Exists)) {
            return Err(ApiError::Internal(format!(
                "provider top-up credit refused: {result:?}"
            )));
        }
    }
    let (id, success) = (payment.id.clone(), callback.success);
    let (transaction, code) = (
        callback.provider_transaction_id.clone(),
        callback.result_code.clone(),
    );
    db::run(state, move |conn| {
        conn.transaction(|conn| {
            let (to, failure) = if success {
                (PaymentStatus::Succeeded, None)
            } else {
                (PaymentStatus::Failed, Some("provider_declined"))
            };
            let detail = format!("provider result {code}");
            let moved = store::transition(
                conn,
                &id,
                PaymentStatus::Pending,
                to,
                failure,
                Some(&detail),
            )?;
            // The money reached the provider after we had given up on the order: the
            // credit above happened, so the payment succeeds after all.
            if !moved && success {
                store::revive(conn, &id, ORDER_EXPIRED, PaymentStatus::Succeeded, &detail)?;
            }
            diesel::update(
                provider_orders::table
                    .find(&id)
                    .filter(provider_orders::recorded_at.is_null()),
            )
            .set((
                provider_orders::recorded_at.eq(Utc::now()),
                provider_orders::provider_transaction_id.eq(transaction),
                provider_orders::result_code.eq(code),
            ))
            .execute(conn)?;
            Ok(())
        })
    })
    .await
}

/// Checks a signed callback against our order and records it; the error says which
/// of the provider's replies to give.
pub async fn settle<F>(
    state: &AppState,
    provider: Provider,
    reference: &str,
    check: F,
) -> Result<(), Settlement>
where
    F: FnOnce(OrderLookup) -> Result<VerifiedCallback, CallbackError>,
{
    let (lookup, order) = lookup(state, provider, reference)
        .await
        .map_err(Settlement::Failed)?;
    let verified = check(lookup).map_err(Settlement::Refused)?;
    let order = order.ok_or(Settlement::Refused(CallbackError::UnknownOrder(
        reference.to_string(),
    )))?;
    record(state, &order, &verified)
        .await
        .map_err(Settlement::Failed)
}

/// Why a callback was not recorded now.
pub enum Settlement {
    /// The provider's callback was wrong: answer with its refusal code.
    Refused(CallbackError),
    /// Our side failed: answer so the provider retries.
    Failed(ApiError),
}
