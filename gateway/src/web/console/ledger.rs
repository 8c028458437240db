//! The ledger in the console: the trial balance, verification of the journal's hash
//! chain, and an account with its entries, paged. Read through the same ledger calls
//! and views as `GET /v1/admin/ledger/*` and `GET /v1/accounts/{id}/entries`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::audit::{self, Action};
use super::{operator, Chrome};
use crate::chart::currency;
use crate::error::ApiError;
use crate::ids;
use crate::routes::ledger::{account_view, entry_view, find_account};
use crate::state::AppState;
use crate::web::format::{dong_en, grouped, vietnam_time};
use crate::web::page::{render, see_other, Audience, PageError};

/// One currency's totals.
pub struct TotalsLine {
    pub currency: &'static str,
    pub debits_posted: String,
    pub credits_posted: String,
    pub debits_pending: String,
    pub credits_pending: String,
    pub balanced: bool,
}

/// What verifying the chain found.
pub struct VerifyResult {
    pub ok: bool,
    pub transfers_checked: u64,
    pub head_hash: String,
    pub first_broken: String,
}

#[derive(Template)]
#[template(path = "console/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    totals: Vec<TotalsLine>,
    verified: Option<VerifyResult>,
}

fn big(v: i128) -> String {
    i64::try_from(v).map_or_else(|_| v.to_string(), |v| grouped(v, ','))
}

async fn totals(state: &AppState) -> Result<Vec<TotalsLine>, ApiError> {
    let ledger = state.ledger.clone();
    let totals = web::block(move || ledger.totals()).await??;
    Ok(totals
        .iter()
        .map(|t| TotalsLine {
            currency: currency(t.ledger),
            debits_posted: big(t.debits_posted),
            credits_posted: big(t.credits_posted),
            debits_pending: big(t.debits_pending),
            credits_pending: big(t.credits_pending),
            balanced: t.balanced(),
        })
        .collect())
}

#[get("/console/ledger")]
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let page = LedgerPage {
        chrome: operator.chrome("ledger"),
        totals: totals(&state).await?,
        verified: None,
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// Recomputes the hash chain (a POST: it is work, and it is audited).
#[post("/console/ledger/verify")]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    let ledger = state.ledger.clone();
    let report = web::block(move || ledger.verify())
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)?;
    let first_broken = report.first_broken.as_ref().map_or_else(String::new, |b| {
        format!(
            "seq {} ({}) {}",
            b.seq,
            b.reason,
            b.transfer_id
                .map(|id| ids::encode(ids::TRANSFER, id))
                .unwrap_or_default()
        )
    });
    let outcome = format!(
        "{}; {} transfers checked",
        if report.ok { "ok" } else { "broken" },
        report.transfers_checked
    );
    audit::record(
        &state,
        Action::LedgerVerify,
        None,
        Some(&outcome),
        Some(&operator.session),
    )
    .await?;
    let page = LedgerPage {
        chrome: operator.chrome("ledger"),
        totals: totals(&state).await?,
        verified: Some(VerifyResult {
            ok: report.ok,
            transfers_checked: report.transfers_checked,
            head_hash: report.head_hash,
            first_broken,
        }),
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Deserialize)]
pub struct FindQuery {
    id: Option<String>,
}

/// The ledger page's account lookup form.
#[get("/console/accounts")]
pub async fn find_account_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, PageError> {
    operator(&req, &state).await?;
    let id = query.id.as_deref().unwrap_or("").trim();
    ids::decode("account", ids::ACCOUNT, id)?;
    Ok(see_other(&format!("/console/accounts/{id}")))
}

/// One entry of an account as shown.
pub struct EntryLine {
    pub id: String,
    pub direction: &'static str,
    pub amount: String,
    pub purpose: String,
    pub counterparty: String,
    pub kind: &'static str,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    id: String,
    kind: String,
    balance: String,
    available: String,
    debits_posted: String,
    credits_posted: String,
    debits_pending: String,
    credits_pending: String,
    entries: Vec<EntryLine>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct EntriesQuery {
    /// The last entry (transfer id) of the previous page.
    after: Option<String>,
}

const ENTRIES_PAGE: usize = 25;

#[get("/console/accounts/{id}")]
pub async fn account(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<EntriesQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let public_id = path.into_inner();
    let id = ids::decode("account", ids::ACCOUNT, &public_id)?;
    let cursor = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| ids::decode("transfer", ids::TRANSFER, a))
        .transpose()?;
    let found = find_account(&state, id).await?;
    let view = account_view(&found);
    let ledger = state.ledger.clone();
    let page_of_entries = web::block(move || -> Result<_, ApiError> {
        let before = match cursor {
            None => None,
            Some(c) => ledger
                .lookup_transfers(&[c])?
                .into_iter()
                .find(|t| t.debit_account_id == id || t.credit_account_id == id)
                .map(|t| t.timestamp),
        };
        Ok(ledger.account_entries(id, ENTRIES_PAGE, before)?)
    })
    .await
    .map_err(ApiError::from)??;
    let entries: Vec<EntryLine> = page_of_entries
        .entries
        .iter()
        .map(|e| {
            let v = entry_view(id, e);
            EntryLine {
                id: v.id,
                direction: v.direction,
                amount: dong_en(v.amount),
                purpose: v
                    .purpose
                    .map(|p| format!("{p:?}").to_lowercase())
                    .unwrap_or_default(),
                counterparty: v.counterparty_account_id,
                kind: v.kind,
                at: vietnam_time(v.created_at),
            }
        })
        .collect();
    let next = entries
        .last()
        .filter(|_| page_of_entries.has_more)
        .map(|last| format!("/console/accounts/{public_id}?after={}", last.id));
    let page = AccountPage {
        chrome: operator.chrome("ledger"),
        id: view.id,
        kind: view
            .kind
            .map(|k| format!("{k:?}"))
            .unwrap_or_else(|| "unknown".into()),
        balance: dong_en(view.balance),
        available: dong_en(view.available),
        debits_posted: dong_en(view.debits_posted),
        credits_posted: dong_en(view.credits_posted),
        debits_pending: dong_en(view.debits_pending),
        credits_pending: dong_en(view.credits_pending),
        entries,
        next,
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}
