//! The operator's view of the sharded ledger: the trial balance per shard and in
//! total, every shard's chain with the cross-shard checkpoints, and the clearing
//! report. Answer 404 `shards_not_configured` on a gateway without `SHARD_URLS`.

use std::sync::Arc;

use actix_web::{get, web, HttpRequest, HttpResponse};
use ledger::shards::checkpoint::CheckpointFault;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::require_operator;
use crate::error::{ApiError, ErrorBody};
use crate::ids;
use crate::routes::ledger::{currency_totals, verify_view, CurrencyTotals, VerifyView};
use crate::shard_set::ShardSet;
use crate::state::AppState;

fn shards(state: &AppState) -> Result<Arc<ShardSet>, ApiError> {
    state.shards.clone().ok_or(ApiError::NotFound("shard map"))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ledger::LedgerError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(web::block(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??)
}

#[derive(Serialize, ToSchema)]
pub struct ShardTotals {
    pub shard: u16,
    /// How many of the 4,096 vshards the catalog's map places on this shard.
    pub vshards: usize,
    pub currencies: Vec<CurrencyTotals>,
}

#[derive(Serialize, ToSchema)]
pub struct ShardedTrialBalance {
    pub shards: Vec<ShardTotals>,
    /// Summed over the shards.
    pub total: Vec<CurrencyTotals>,
    /// Every shard, and the total, has debits equal to credits.
    pub balanced: bool,
}

/// The sums of all accounts per currency, for each shard and over all of them.
#[utoipa::path(get, path = "/v1/admin/shards/trial-balance", tag = "shards",
    responses(
        (status = 200, body = ShardedTrialBalance),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No shard map configured (shards_not_configured)", body = ErrorBody),
        (status = 503, description = "A shard is unreachable", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/shards/trial-balance")]
pub async fn trial_balance(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_operator(&req, &state).await?;
    let set = shards(&state)?;
    let vshards = |shard: u16| set.map.assignment().iter().filter(|&&s| s == shard).count();
    let counts: Vec<usize> = (0..set.ledger.shard_count()).map(vshards).collect();
    let trial = blocking(move || set.ledger.trial_balance()).await?;
    Ok(HttpResponse::Ok().json(ShardedTrialBalance {
        balanced: trial.balanced(),
        shards: (0u16..)
            .zip(&trial.shards)
            .map(|(shard, totals)| ShardTotals {
                shard,
                vshards: counts.get(usize::from(shard)).copied().unwrap_or(0),
                currencies: totals.iter().map(currency_totals).collect(),
            })
            .collect(),
        total: trial.total.iter().map(currency_totals).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ShardsVerifyView {
    /// Every chain verifies and every checkpoint holds.
    pub ok: bool,
    pub shards: Vec<VerifyView>,
    /// Checkpoints the catalog holds, all checked.
    pub checkpoints: usize,
    /// What does not hold, e.g. `head_mismatch: checkpoint 12, shard 1, seq 5081`.
    pub faults: Vec<String>,
}

fn fault_text(f: &CheckpointFault) -> String {
    match f {
        CheckpointFault::RootMismatch { number } => format!("root_mismatch: checkpoint {number}"),
        CheckpointFault::BrokenChain { number } => format!("broken_chain: checkpoint {number}"),
        CheckpointFault::HeadMismatch { number, shard, seq } => {
            format!("head_mismatch: checkpoint {number}, shard {shard}, seq {seq}")
        }
        CheckpointFault::CopiesDiffer { number } => format!("copies_differ: checkpoint {number}"),
        CheckpointFault::HeadWentBack { number, shard } => {
            format!("head_went_back: checkpoint {number}, shard {shard}")
        }
    }
}

/// Recomputes every shard's hash chain, checks the catalog's run of cross-shard
/// checkpoints (RFC 6962 Merkle roots over the shards' heads, each chained to the one
/// before), that every shard holds the same checkpoints, and that every head in them
/// is still in its shard's journal.
#[utoipa::path(get, path = "/v1/admin/shards/verify", tag = "shards",
    responses(
        (status = 200, body = ShardsVerifyView),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No shard map configured (shards_not_configured)", body = ErrorBody),
        (status = 503, description = "A shard is unreachable", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/shards/verify")]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_operator(&req, &state).await?;
    let set = shards(&state)?;
    let report = blocking(move || set.ledger.verify(&set.catalog)).await?;
    Ok(HttpResponse::Ok().json(ShardsVerifyView {
        ok: report.ok(),
        checkpoints: report.checkpoints,
        faults: report.faults.iter().map(fault_text).collect(),
        shards: report.chains.into_iter().map(verify_view).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct OpenClearingHold {
    pub transfer_id: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub amount: u64,
    /// Seconds the hold waits before it lapses; 0 for a payee's leg, which waits for
    /// the payer's shard to decide.
    pub timeout: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ClearingPairView {
    pub a: u16,
    pub b: u16,
    /// Posted from shard a to shard b, as a recorded it (`xs:a→b`).
    #[schema(value_type = i64)]
    pub a_to_b: i128,
    /// Posted from shard a to shard b, as b recorded it (`xs:b←a`).
    #[schema(value_type = i64)]
    pub b_from_a: i128,
    #[schema(value_type = i64)]
    pub b_to_a: i128,
    #[schema(value_type = i64)]
    pub a_from_b: i128,
    /// Each direction agrees on both shards: the pair's four accounts sum to zero.
    pub nets_to_zero: bool,
    pub open_holds: Vec<OpenClearingHold>,
}

#[derive(Serialize, ToSchema)]
pub struct ClearingReport {
    pub pairs: Vec<ClearingPairView>,
    /// Every pair nets to zero.
    pub balanced: bool,
    pub open_holds: usize,
}

/// Every pair of shards' clearing accounts, whether they net to zero, and the
/// cross-shard holds still open on them.
#[utoipa::path(get, path = "/v1/admin/shards/clearing", tag = "shards",
    responses(
        (status = 200, body = ClearingReport),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No shard map configured (shards_not_configured)", body = ErrorBody),
        (status = 503, description = "A shard is unreachable", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/shards/clearing")]
pub async fn clearing(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_operator(&req, &state).await?;
    let set = shards(&state)?;
    let pairs = blocking(move || set.ledger.clearing_report()).await?;
    let views: Vec<ClearingPairView> = pairs
        .iter()
        .map(|p| ClearingPairView {
            a: p.a,
            b: p.b,
            a_to_b: p.a_to_b,
            b_from_a: p.b_from_a,
            b_to_a: p.b_to_a,
            a_from_b: p.a_from_b,
            nets_to_zero: p.nets_to_zero(),
            open_holds: p
                .open_holds
                .iter()
                .map(|t| OpenClearingHold {
                    transfer_id: ids::encode(ids::TRANSFER, t.id),
                    debit_account_id: ids::encode(ids::ACCOUNT, t.debit_account_id),
                    credit_account_id: ids::encode(ids::ACCOUNT, t.credit_account_id),
                    amount: t.amount,
                    timeout: t.timeout,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ClearingReport {
        balanced: views.iter().all(|p| p.nets_to_zero),
        open_holds: views.iter().map(|p| p.open_holds.len()).sum(),
        pairs: views,
    }))
}
