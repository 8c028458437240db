//! The outside half of a payment: the call a payment waits for (the bank, the biller,
//! VSS, the wallet provider), made with no transaction open, and its result handed
//! back to the group commit. Every call carries the payment id as its reference, and
//! every outside system answers a repeated reference from its record, so a call made
//! again after a crash or a timeout acts at most once.

use actix_web::HttpResponse;
use adapters::funding::{FundingError, TopupOrder};
use chrono::Utc;

use crate::commit::{Answer, Command, Confirmation, Drive, OutsideCall, OutsideResult, Reply};
use crate::error::ApiError;
use crate::idempotency;
use crate::payments::payee_leg;
use crate::state::AppState;

fn callback_path(provider: adapters::funding::Provider) -> &'static str {
    match provider {
        adapters::funding::Provider::Vnpay => "/v1/callbacks/vnpay/ipn",
        adapters::funding::Provider::Momo => "/v1/callbacks/momo/ipn",
        adapters::funding::Provider::Zalopay => "/v1/callbacks/zalopay",
    }
}

/// Makes the payment's outside call and says what came of it.
async fn call(state: &AppState, drive: &Drive) -> OutsideResult {
    let reference = drive.payment.id.as_str();
    match &drive.call {
        OutsideCall::BankDebit {
            bank_bin,
            account_number,
            amount,
        } => match state
            .bank
            .debit(bank_bin, account_number, *amount, reference)
            .await
        {
            Ok(_) => OutsideResult::Done(Confirmation::Plain),
            Err(e) if e.is_retryable() => OutsideResult::Unknown,
            Err(e) => OutsideResult::Refused(e.code()),
        },
        OutsideCall::BankCredit {
            bank_bin,
            account_number,
            amount,
        } => match state
            .bank
            .credit(bank_bin, account_number, *amount, reference)
            .await
        {
            Ok(_) => OutsideResult::Done(Confirmation::Plain),
            Err(e) if e.is_retryable() => OutsideResult::Unknown,
            Err(e) => OutsideResult::Refused(e.code()),
        },
        OutsideCall::BillerConfirm {
            biller_code,
            bill_ref,
            amount,
        } => biller_result(
            state
                .billers
                .confirm_payment(biller_code, bill_ref, *amount, reference)
                .await,
        ),
        OutsideCall::Contribution {
            scheme,
            insured,
            amount,
            months,
        } => biller_result(
            state
                .billers
                .submit_contribution(*scheme, insured, *amount, *months, reference)
                .await,
        ),
        OutsideCall::ProviderQuery {
            provider,
            reference,
            created_at,
        } => query(state, *provider, reference, *created_at).await,
        OutsideCall::PayeeLeg {
            payer_shard,
            payee_shard,
            payee_identity_id,
            hold,
            amount,
        } => {
            payee_leg::place(
                state,
                payee_leg::LegRequest {
                    payer_shard: *payer_shard,
                    payee_shard: *payee_shard,
                    payee_identity_id,
                    hold: *hold,
                    amount: *amount,
                },
            )
            .await
        }
        OutsideCall::ClaimRequest {
            payer_shard,
            request_shard,
            request_id,
            amount,
        } => {
            crate::merchants::claims::claim(
                state,
                crate::merchants::claims::Claim {
                    request_shard: *request_shard,
                    payer_shard: *payer_shard,
                    request_id,
                    payment_id: &drive.payment.id,
                    amount: *amount,
                },
            )
            .await
        }
        OutsideCall::ProviderOrder { provider, amount } => {
            let base = state.config.public_url.trim_end_matches('/');
            let order = TopupOrder {
                reference: reference.to_string(),
                amount: *amount,
                description: format!("Nap vi {reference}"),
                callback_url: format!("{base}{}", callback_path(*provider)),
                return_url: format!("{base}/v1/payments/{reference}"),
                // The time the payment's drive began: the same instant is recorded as
                // the order's creation, which VNPay's query must name exactly.
                now: drive.payment.updated_at,
            };
            match state.funding.get(*provider).create_order(order).await {
                Ok(created) => OutsideResult::Done(Confirmation::ProviderOrder {
                    reference: created.provider_reference,
                    redirect_url: created.redirect_url,
                }),
                Err(e) => {
                    tracing::warn!(payment = %reference, error = %e, "provider order not created");
                    if let Some(code) = e.failure_code() {
                        return OutsideResult::Refused(code);
                    }
                    match e {
                        FundingError::Rejected { .. }
                        | FundingError::InvalidAmount(_)
                        | FundingError::InvalidReference(_) => {
                            OutsideResult::Refused("provider_rejected")
                        }
                        FundingError::Timeout(_)
                        | FundingError::Unavailable { .. }
                        | FundingError::MalformedResponse { .. } => OutsideResult::Unknown,
                    }
                }
            }
        }
    }
}

async fn query(
    state: &AppState,
    provider: adapters::funding::Provider,
    reference: &str,
    created_at: chrono::DateTime<Utc>,
) -> OutsideResult {
    match state
        .funding
        .queries
        .query(provider, reference, created_at, Utc::now())
        .await
    {
        Ok(answer) => OutsideResult::Order(answer),
        Err(e) => {
            tracing::warn!(%provider, error = %e, "asking a provider about an order failed");
            OutsideResult::Unknown
        }
    }
}

fn biller_result(
    answer: Result<adapters::biller::PaymentConfirmation, adapters::biller::BillerError>,
) -> OutsideResult {
    match answer {
        Ok(confirmation) => OutsideResult::Done(Confirmation::Biller {
            transaction_id: confirmation.biller_transaction_id,
            confirmed_at: confirmation.confirmed_at,
        }),
        Err(e) if e.is_retryable() => {
            tracing::warn!(error = %e, "biller did not confirm; will ask again");
            OutsideResult::Unknown
        }
        Err(e) => OutsideResult::Refused(e.code()),
    }
}

/// Drives a payment through its outside call and records the result.
pub async fn drive(state: &AppState, drive: Drive) -> Result<Reply, ApiError> {
    let result = call(state, &drive).await;
    let placed = matches!(result, OutsideResult::Done(_));
    let settled = state
        .committer
        .submit(Command::Settle {
            payment_id: drive.payment.id.clone(),
            key: drive.key.clone(),
            answer_status: drive.answer_status,
            result,
        })
        .await;
    // Only now may anyone else take the payment over.
    drop(drive.guard);
    if let OutsideCall::PayeeLeg {
        payer_shard,
        payee_shard,
        hold,
        ..
    } = drive.call
    {
        if placed && settled.is_ok() {
            payee_leg::finish(state, payer_shard, payee_shard, hold).await;
        }
    }
    settled
}

/// The HTTP response for what the commit answered. A payment that waits for an
/// outside system is driven on a task of its own, so a client that hangs up cannot
/// leave it half-way.
pub async fn respond(state: &AppState, reply: Reply) -> Result<HttpResponse, ApiError> {
    finish(state, reply).await.map(idempotency::respond)
}

/// The final answer to what the commit answered, driving the payment through its
/// outside call first when it waits for one (on a task of its own, as above).
pub async fn finish(state: &AppState, reply: Reply) -> Result<Answer, ApiError> {
    match reply {
        Reply::Answer(answer) => Ok(answer),
        Reply::Drive(d) => {
            let st = state.clone();
            let finished = tokio::spawn(async move { drive(&st, *d).await })
                .await
                .map_err(|e| ApiError::Internal(format!("a payment's drive failed: {e}")))??;
            match finished {
                Reply::Answer(answer) => Ok(answer),
                other => Err(ApiError::Internal(format!(
                    "a settled payment answered {other:?}"
                ))),
            }
        }
        other => Err(ApiError::Internal(format!(
            "a request was answered {other:?}"
        ))),
    }
}

/// Drives the payments the resumer took over, a few at a time.
pub async fn drive_all(state: &AppState, drives: Vec<Drive>) {
    use futures_util::stream::{self, StreamExt};
    stream::iter(drives)
        .for_each_concurrent(8, |d| async move {
            let id = d.payment.id.clone();
            if let Err(e) = drive(state, d).await {
                tracing::warn!(payment = %id, error = %e, "resuming a payment failed");
            }
        })
        .await;
}
