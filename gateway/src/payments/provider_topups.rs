//! Provider callbacks: a top-up's order at VNPay, MoMo or ZaloPay is settled by the
//! provider's signed callback. The signature is checked against what we know of the
//! order, then the verdict is recorded by the group commit, once: a repeated callback
//! finds the order recorded and credits nothing more. With citizens on home shards the
//! callback names only the order, so the order is looked for on each shard in turn (a
//! callback is rare next to payments) and recorded by that shard's writer.

use adapters::funding::{CallbackError, OrderLookup, Provider, VerifiedCallback};

use super::provider_orders::{self, ProviderOrderRow};
use crate::commit::{CallbackOutcome, Command, ProviderResult, Reply};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// Why a callback was not recorded now.
pub enum Settlement {
    /// The provider's callback was wrong: answer with its refusal code.
    Refused(CallbackError),
    /// Our side failed: answer so the provider retries.
    Failed(ApiError),
}

/// The order with this provider reference, and the service on the shard that holds
/// it (this one when no shard does).
async fn find_order(
    state: &AppState,
    provider: Provider,
    reference: &str,
) -> Result<(AppState, Option<ProviderOrderRow>), ApiError> {
    let shards = state.homes.as_ref().map_or(1, |h| h.shards.len());
    for shard in (0u16..).take(shards) {
        let home = state.at_home(shard);
        let r = reference.to_string();
        let order = db::run(&home, move |conn| {
            provider_orders::find_by_reference(conn, provider.as_str(), &r)
        })
        .await?;
        if order.is_some() {
            return Ok((home, order));
        }
    }
    Ok((state.clone(), None))
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
    let (state, order) = find_order(state, provider, reference)
        .await
        .map_err(Settlement::Failed)?;
    let state = &state;
    let lookup = match &order {
        None => OrderLookup::NotFound,
        Some(order) => OrderLookup::Found {
            amount: order.amount,
            already_recorded: order.recorded_at.is_some(),
        },
    };
    let verified = check(lookup).map_err(Settlement::Refused)?;
    let reply = state
        .committer
        .submit(Command::ProviderCallback(ProviderResult {
            provider,
            reference: reference.to_string(),
            amount: verified.amount,
            success: verified.success,
            transaction_id: verified.provider_transaction_id,
            result_code: verified.result_code,
        }))
        .await
        .map_err(Settlement::Failed)?;
    match reply {
        Reply::Callback(CallbackOutcome::Recorded) => Ok(()),
        Reply::Callback(CallbackOutcome::AlreadyRecorded) => {
            Err(Settlement::Refused(CallbackError::AlreadyRecorded))
        }
        Reply::Callback(CallbackOutcome::UnknownOrder) => Err(Settlement::Refused(
            CallbackError::UnknownOrder(reference.to_string()),
        )),
        Reply::Callback(CallbackOutcome::AmountMismatch) => {
            Err(Settlement::Refused(CallbackError::WrongAmount {
                expected: order.map_or(0, |o| o.amount),
                received: verified.amount.to_string(),
            }))
        }
        other => Err(Settlement::Failed(ApiError::Internal(format!(
            "a callback was answered {other:?}"
        )))),
    }
}
