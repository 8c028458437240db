//! The operator's view of the ledger: accounts, their entries, the trial balance and
//! verification of the journal's hash chain.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{authenticate, require_operator, Principal};
use crate::chart::{currency, AccountKind, Purpose};
use crate::error::{ApiError, ErrorBody};
use crate::ids;
use crate::routes::pagination::{Page, PageQuery};
use crate::state::AppState;

/// A ledger account and its balances, in dong.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    #[schema(example = "acc_1f")]
    pub id: String,
    pub kind: Option<AccountKind>,
    #[schema(example = "VND")]
    pub currency: &'static str,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    /// Posted balance in the account's normal direction (credits minus debits for a
    /// wallet, debits minus credits for a settlement asset).
    pub balance: i64,
    /// `balance` less what pending holds reserve.
    pub available: i64,
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

pub fn account_view(a: &ledger::Account) -> AccountView {
    let kind = AccountKind::from_code(a.code);
    let (dp, dpo, cp, cpo) = (
        i128::from(a.debits_pending),
        i128::from(a.debits_posted),
        i128::from(a.credits_pending),
        i128::from(a.credits_posted),
    );
    let (balance, available) = if kind.is_some_and(AccountKind::is_debit_normal) {
        (dpo - cpo, dpo - cpo - cp)
    } else {
        (cpo - dpo, cpo - dpo - dp)
    };
    AccountView {
        id: ids::encode(ids::ACCOUNT, a.id),
        kind,
        currency: currency(a.ledger),
        debits_posted: clamp(dpo),
        credits_posted: clamp(cpo),
        debits_pending: clamp(dp),
        credits_pending: clamp(cp),
        balance: clamp(balance),
        available: clamp(available),
    }
}

/// The operator sees every account; a citizen only their wallet (read on their home
/// shard) and a merchant only its own account (anyone else's is not found).
async fn may_see_account(
    req: &HttpRequest,
    state: &AppState,
    id: Option<u128>,
) -> Result<(u128, AppState), ApiError> {
    let own = match authenticate(req, state).await? {
        Principal::Operator => {
            return Ok((id.ok_or(ApiError::NotFound("account"))?, state.clone()))
        }
        Principal::Citizen(session) => {
            let wallet = session.wallet_id()?;
            return match id {
                Some(id) if id == wallet => Ok((id, state.home_of(&session.identity_id))),
                _ => Err(ApiError::NotFound("account")),
            };
        }
        Principal::Merchant { merchant_id } => crate::db::run_on(state.registry(), move |conn| {
            crate::merchants::store::find(conn, &merchant_id)
        })
        .await?
        .map(|m| m.ledger_id())
        .transpose()?,
    };
    match id {
        Some(id) if own == Some(id) => Ok((id, state.clone())),
        _ => Err(ApiError::NotFound("account")),
    }
}

pub async fn find_account(state: &AppState, id: u128) -> Result<ledger::Account, ApiError> {
    let ledger = state.ledger.clone();
    web::block(move || ledger.lookup_accounts(&[id]))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("account"))
}

/// One account's balances.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "ledger",
    params(("id" = String, Path, description = "Account id (`acc_...`)")),
    responses(
        (status = 200, body = AccountView),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 404, description = "No such account (or another principal's)", body = ErrorBody)),
    security(("operator" = []), ("citizen" = []), ("merchant" = [])))]
#[get("/v1/accounts/{id}")]
pub async fn get_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ids::lookup("account", ids::ACCOUNT, &path)?;
    let (id, at) = may_see_account(&req, &state, id).await?;
    let account = match find_account(&at, id).await {
        // With citizens on home shards, a wallet (or a shard's own account) is on the
        // shard its id's vshard names.
        Err(ApiError::NotFound(_)) if at.routes_citizens() => {
            let shard = at.homes.as_ref().map_or(0, |h| h.map.shard_of(id));
            find_account(&at.at_home(shard), id).await?
        }
        found => found?,
    };
    let account = crate::merchants::balances::across_shards(&at, account).await?;
    Ok(HttpResponse::Ok().json(account_view(&account)))
}

/// One side of a transfer, as the account saw it.
#[derive(Serialize, ToSchema)]
pub struct EntryView {
    /// The ledger transfer's id.
    pub id: String,
    pub account_id: String,
    /// `debit` or `credit`.
    pub direction: &'static str,
    pub amount: i64,
    pub purpose: Option<Purpose>,
    pub counterparty_account_id: String,
    /// `posted`, `pending` (a hold), `post_pending` (a hold taken) or `void_pending`.
    pub kind: &'static str,
    pub pending_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What a transfer did: `posted`, `pending` (a hold), `post_pending` (a hold taken) or
/// `void_pending` (a hold released).
pub fn transfer_kind(flags: ledger::TransferFlags) -> &'static str {
    use ledger::TransferFlags as F;
    if flags.contains(F::PENDING) {
        "pending"
    } else if flags.contains(F::POST_PENDING_TRANSFER) {
        "post_pending"
    } else if flags.contains(F::VOID_PENDING_TRANSFER) {
        "void_pending"
    } else {
        "posted"
    }
}

pub fn entry_view(account_id: u128, e: &ledger::Entry) -> EntryView {
    use ledger::EntrySide;
    let t = &e.transfer;
    let (direction, counterparty) = match e.side {
        EntrySide::Debit => ("debit", t.credit_account_id),
        EntrySide::Credit => ("credit", t.debit_account_id),
    };
    let kind = transfer_kind(t.flags);
    EntryView {
        id: ids::encode(ids::TRANSFER, t.id),
        account_id: ids::encode(ids::ACCOUNT, account_id),
        direction,
        amount: clamp(i128::from(t.amount)),
        purpose: Purpose::from_code(t.code),
        counterparty_account_id: ids::encode(ids::ACCOUNT, counterparty),
        kind,
        pending_id: (t.pending_id != 0).then(|| ids::encode(ids::TRANSFER, t.pending_id)),
        created_at: DateTime::from_timestamp_nanos(i64::try_from(t.timestamp).unwrap_or(i64::MAX)),
    }
}

/// An account's entries, newest first.
#[utoipa::path(get, path = "/v1/accounts/{id}/entries", tag = "ledger",
    params(("id" = String, Path, description = "Account id (`acc_...`)"), PageQuery),
    responses(
        (status = 200, body = inline(Page<EntryView>)),
        (status = 400, description = "Malformed id or paging", body = ErrorBody),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 404, description = "No such account (or another principal's)", body = ErrorBody)),
    security(("operator" = []), ("citizen" = []), ("merchant" = [])))]
#[get("/v1/accounts/{id}/entries")]
pub async fn list_entries(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = ids::lookup("account", ids::ACCOUNT, &path)?;
    let limit = query.limit()?;
    let cursor = query
        .starting_after
        .as_deref()
        .map(|c| ids::decode("transfer", ids::TRANSFER, c))
        .transpose()?;
    let (id, state) = may_see_account(&req, &state, id).await?;
    find_account(&state, id).await?;

    let ledger = state.ledger.clone();
    let page = web::block(move || -> Result<_, ApiError> {
        let before = match cursor {
            None => None,
            Some(c) => {
                let t = ledger
                    .lookup_transfers(&[c])?
                    .into_iter()
                    .find(|t| t.debit_account_id == id || t.credit_account_id == id)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "starting_after is not an entry of this account",
                            json!({ "param": "starting_after" }),
                        )
                    })?;
                Some(t.timestamp)
            }
        };
        Ok(ledger.account_entries(id, limit, before)?)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;

    Ok(HttpResponse::Ok().json(Page {
        data: page
            .entries
            .iter()
            .map(|e| entry_view(id, e))
            .collect::<Vec<_>>(),
        has_more: page.has_more,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CurrencyTotals {
    #[schema(example = "VND")]
    pub currency: &'static str,
    #[schema(value_type = i64)]
    pub debits_posted: i128,
    #[schema(value_type = i64)]
    pub credits_posted: i128,
    #[schema(value_type = i64)]
    pub debits_pending: i128,
    #[schema(value_type = i64)]
    pub credits_pending: i128,
    /// Debits equal credits, posted and pending alike.
    pub balanced: bool,
}

pub fn currency_totals(t: &ledger::LedgerTotals) -> CurrencyTotals {
    CurrencyTotals {
        currency: currency(t.ledger),
        debits_posted: t.debits_posted,
        credits_posted: t.credits_posted,
        debits_pending: t.debits_pending,
        credits_pending: t.credits_pending,
        balanced: t.balanced(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct TrialBalance {
    pub currencies: Vec<CurrencyTotals>,
}

/// The sums of all accounts per currency.
#[utoipa::path(get, path = "/v1/admin/ledger/trial-balance", tag = "ledger",
    responses(
        (status = 200, body = TrialBalance),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/ledger/trial-balance")]
pub async fn trial_balance(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_operator(&req, &state).await?;
    let ledger = state.ledger.clone();
    let totals = web::block(move || ledger.totals())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let currencies = totals.iter().map(currency_totals).collect();
    Ok(HttpResponse::Ok().json(TrialBalance { currencies }))
}

#[derive(Serialize, ToSchema)]
pub struct BrokenLinkView {
    /// Position in the journal of the first link that does not match.
    pub seq: i64,
    pub transfer_id: Option<String>,
    /// `hash_mismatch`, `missing_transfer` or `head_mismatch`.
    pub reason: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    pub transfers_checked: u64,
    /// SHA-256 (hex) of the last transfer in the chain, as recomputed.
    pub head_hash: String,
    pub first_broken: Option<BrokenLinkView>,
}

/// Recomputes the journal's hash chain.
#[utoipa::path(get, path = "/v1/admin/ledger/verify", tag = "ledger",
    responses(
        (status = 200, body = VerifyView),
        (status = 401, description = "Missing or bad token", body = ErrorBody),
        (status = 403, description = "Not the operator", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/ledger/verify")]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_operator(&req, &state).await?;
    let ledger = state.ledger.clone();
    let report = web::block(move || ledger.verify())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(HttpResponse::Ok().json(verify_view(report)))
}

pub fn verify_view(report: ledger::VerifyReport) -> VerifyView {
    VerifyView {
        ok: report.ok,
        transfers_checked: report.transfers_checked,
        head_hash: report.head_hash,
        first_broken: report.first_broken.map(|b| BrokenLinkView {
            seq: b.seq,
            transfer_id: b.transfer_id.map(|id| ids::encode(ids::TRANSFER, id)),
            reason: b.reason,
        }),
    }
}
