//! Payments in the console: search by id, type, status and date; the stuck list
//! (pending too long, or waiting for a step-up); and one payment with its status
//! history and the ledger transfers it made.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{operator, Chrome};
use crate::chart::Purpose;
use crate::db;
use crate::error::ApiError;
use crate::ids;
use crate::payments::everywhere;
use crate::payments::model::{PaymentKind, PaymentRow, PaymentStatus};
use crate::payments::store::{self, PaymentFilter};
use crate::routes::ledger::transfer_kind;
use crate::state::AppState;
use crate::web::format::{dong_en, vietnam_time};
use crate::web::page::{render, Audience, PageError};

const PAGE: usize = 25;
const KINDS: [&str; 6] = [
    "topup",
    "withdrawal",
    "transfer",
    "bill",
    "insurance",
    "merchant",
];
const STATUSES: [&str; 8] = [
    "pending",
    "requires_step_up",
    "authorized",
    "succeeded",
    "failed",
    "voided",
    "refunded",
    "partially_refunded",
];

/// One payment in a list.
pub struct PaymentLine {
    pub id: String,
    pub kind: String,
    pub amount: String,
    pub status: String,
    pub failure_code: String,
    pub created_at: String,
}

impl PaymentLine {
    fn of(row: &PaymentRow) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            amount: dong_en(row.amount),
            status: row.status.clone(),
            failure_code: row.failure_code.clone().unwrap_or_default(),
            created_at: vietnam_time(row.created_at),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    /// First day, Vietnam time (YYYY-MM-DD).
    from: Option<String>,
    /// Last day, Vietnam time, included.
    to: Option<String>,
    /// The last payment of the previous page.
    after: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Midnight at the start of `day` in Vietnam, in UTC.
fn vietnam_midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    let local = day.and_hms_opt(0, 0, 0)?;
    Some(DateTime::from_naive_utc_and_offset(local, Utc) - chrono::Duration::hours(7))
}

fn parse_day(raw: &str, name: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("{name} must be a date (YYYY-MM-DD)"))
}

/// The filter a search asks for, or why it cannot be understood.
fn filter_of(q: &SearchQuery) -> Result<PaymentFilter, String> {
    let kind = match given(&q.kind) {
        None => None,
        Some(k) => Some(PaymentKind::parse(k).ok_or("type is not a payment type")?),
    };
    let status = match given(&q.status) {
        None => None,
        Some(s) => Some(PaymentStatus::parse(s).ok_or("status is not a payment status")?),
    };
    let created_from = match given(&q.from) {
        None => None,
        Some(d) => vietnam_midnight(parse_day(d, "from")?),
    };
    let created_before = match given(&q.to) {
        None => None,
        Some(d) => parse_day(d, "to")?.succ_opt().and_then(vietnam_midnight),
    };
    Ok(PaymentFilter {
        identity_id: None,
        kind,
        status,
        created_from,
        created_before,
    })
}

/// The query string of a search, for the next page's link.
fn query_string(q: &SearchQuery, after: &str) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("type", &q.kind),
        ("status", &q.status),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = given(value) {
            pairs.append_pair(name, v);
        }
    }
    pairs.append_pair("after", after);
    pairs.finish()
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct SearchPage {
    chrome: Chrome,
    kinds: [&'static str; 6],
    statuses: [&'static str; 8],
    id: String,
    kind: String,
    status: String,
    from: String,
    to: String,
    error: Option<String>,
    lines: Vec<PaymentLine>,
    next: Option<String>,
}

#[get("/console/payments")]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let q = query.into_inner();
    let mut page = SearchPage {
        chrome: operator.chrome("payments"),
        kinds: KINDS,
        statuses: STATUSES,
        id: given(&q.id).unwrap_or_default().to_string(),
        kind: given(&q.kind).unwrap_or_default().to_string(),
        status: given(&q.status).unwrap_or_default().to_string(),
        from: given(&q.from).unwrap_or_default().to_string(),
        to: given(&q.to).unwrap_or_default().to_string(),
        error: None,
        lines: Vec::new(),
        next: None,
    };
    let filter = match filter_of(&q) {
        Ok(filter) => filter,
        Err(message) => {
            page.error = Some(message);
            return Ok(render(StatusCode::BAD_REQUEST, Audience::Operator, &page)?);
        }
    };
    let by_id = given(&q.id).map(str::to_string);
    let after = given(&q.after).map(str::to_string);
    // With citizens on home shards, every shard's payments.
    let (rows, has_more) = match by_id {
        Some(id) => (
            everywhere::find(&state, &id)
                .await?
                .map(|(_, row)| row)
                .into_iter()
                .collect(),
            false,
        ),
        None => match everywhere::search(&state, &filter, PAGE, after.as_deref()).await? {
            Some(page) => page,
            // A cursor that names no payment starts from the top, as it always has.
            None => everywhere::search(&state, &filter, PAGE, None)
                .await?
                .unwrap_or_default(),
        },
    };
    page.next = rows
        .last()
        .filter(|_| has_more)
        .map(|last| format!("/console/payments?{}", query_string(&q, &last.id)));
    page.lines = rows.iter().map(PaymentLine::of).collect();
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Deserialize)]
pub struct StuckQuery {
    minutes: Option<u64>,
}

#[derive(Template)]
#[template(path = "console/stuck.html")]
struct StuckPage {
    chrome: Chrome,
    minutes: u64,
    pending: Vec<PaymentLine>,
    step_up: Vec<PaymentLine>,
}

/// What needs a hand: payments pending longer than N minutes (a bank or biller that
/// never answered holds the payer's money), and those waiting for a step-up.
#[get("/console/stuck")]
pub async fn stuck(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StuckQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let minutes = query
        .minutes
        .unwrap_or(state.config.console_stuck_minutes)
        .min(60 * 24 * 30);
    let before = Utc::now() - chrono::Duration::minutes(i64::try_from(minutes).unwrap_or(0));
    let pending = PaymentFilter {
        status: Some(PaymentStatus::Pending),
        created_before: Some(before),
        ..PaymentFilter::default()
    };
    let step_up = PaymentFilter {
        status: Some(PaymentStatus::RequiresStepUp),
        ..PaymentFilter::default()
    };
    let pending = everywhere::search(&state, &pending, 100, None)
        .await?
        .unwrap_or_default()
        .0;
    let step_up = everywhere::search(&state, &step_up, 100, None)
        .await?
        .unwrap_or_default()
        .0;
    let page = StuckPage {
        chrome: operator.chrome("stuck"),
        minutes,
        pending: pending.iter().map(PaymentLine::of).collect(),
        step_up: step_up.iter().map(PaymentLine::of).collect(),
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

/// One step of a payment's history.
pub struct HistoryLine {
    pub status: String,
    pub at: String,
    pub detail: String,
}

/// One ledger transfer of a payment.
pub struct TransferLine {
    pub id: String,
    pub debit: String,
    pub credit: String,
    pub amount: String,
    pub purpose: String,
    pub kind: &'static str,
    pub at: String,
}

fn transfer_line(t: &ledger::Transfer) -> TransferLine {
    let at = i64::try_from(t.timestamp).unwrap_or(i64::MAX);
    TransferLine {
        id: ids::encode(ids::TRANSFER, t.id),
        debit: ids::encode(ids::ACCOUNT, t.debit_account_id),
        credit: ids::encode(ids::ACCOUNT, t.credit_account_id),
        amount: dong_en(i64::try_from(t.amount).unwrap_or(i64::MAX)),
        purpose: Purpose::from_code(t.code)
            .map(|p| format!("{p:?}").to_lowercase())
            .unwrap_or_default(),
        kind: transfer_kind(t.flags),
        at: vietnam_time(DateTime::from_timestamp_nanos(at)),
    }
}

#[derive(Template)]
#[template(path = "console/payment.html")]
struct PaymentPage {
    chrome: Chrome,
    line: PaymentLine,
    fee: String,
    settled: Option<String>,
    payer_identity: String,
    payer_cccd: String,
    payer_wallet: String,
    payee: String,
    payment_request: Option<String>,
    history: Vec<HistoryLine>,
    transfers: Vec<TransferLine>,
}

#[get("/console/payments/{id}")]
pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let id = path.into_inner();
    // On whichever shard holds it, with its payer and its ledger transfers.
    let (home, row) = everywhere::find(&state, &id)
        .await?
        .ok_or(ApiError::NotFound("payment"))?;
    let (row, view, payer, transfer_ids) = db::run(&home, move |conn| {
        let view = store::view(conn, &row)?;
        let payer = crate::citizens::identity::find(conn, &row.identity_id)?;
        let transfer_ids = store::ledger_transfer_ids(conn, &row)?;
        Ok((row, view, payer, transfer_ids))
    })
    .await?;
    let ledger = home.ledger.clone();
    let mut transfers = web::block(move || ledger.lookup_transfers(&transfer_ids))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)?;
    transfers.sort_by_key(|t| t.timestamp);
    let payee = view.payee.as_ref().map_or_else(String::new, |p| {
        [
            p.name.clone(),
            p.cccd.clone(),
            p.bank_bin.clone(),
            p.account_number_masked.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    });
    let page = PaymentPage {
        chrome: operator.chrome("payments"),
        line: PaymentLine::of(&row),
        fee: dong_en(row.fee),
        settled: row.settled_amount.map(dong_en),
        payer_identity: row.identity_id.clone(),
        payer_cccd: payer
            .as_ref()
            .map(|p| adapters::identity::mask_cccd(&p.cccd))
            .unwrap_or_default(),
        payer_wallet: payer.map(|p| p.wallet_account_id).unwrap_or_default(),
        payee,
        payment_request: row.payment_request_id.clone(),
        history: view
            .status_history
            .iter()
            .map(|h| HistoryLine {
                status: h.status.clone(),
                at: vietnam_time(h.at),
                detail: h.detail.clone().unwrap_or_default(),
            })
            .collect(),
        transfers: transfers.iter().map(transfer_line).collect(),
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(kind: &str, status: &str, from: &str, to: &str) -> SearchQuery {
        let some = |v: &str| Some(v.to_string());
        SearchQuery {
            id: None,
            kind: some(kind),
            status: some(status),
            from: some(from),
            to: some(to),
            after: None,
        }
    }

    #[test]
    fn days_are_vietnam_days_and_the_last_one_is_included() {
        let f = filter_of(&query("merchant", "pending", "2026-12-08", "2026-12-08")).unwrap();
        assert_eq!(f.kind, Some(PaymentKind::Merchant));
        assert_eq!(f.status, Some(PaymentStatus::Pending));
        assert_eq!(
            f.created_from.unwrap().to_rfc3339(),
            "2026-12-07T17:00:00+00:00"
        );
        assert_eq!(
            f.created_before.unwrap().to_rfc3339(),
            "2026-12-08T17:00:00+00:00"
        );
        // Empty fields are no filter at all.
        let any = filter_of(&query("", " ", "", "")).unwrap();
        assert!(any.kind.is_none() && any.status.is_none() && any.created_from.is_none());
    }

    #[test]
    fn what_cannot_be_understood_is_said() {
        assert!(filter_of(&query("loan", "", "", "")).is_err());
        assert!(filter_of(&query("", "stuck", "", "")).is_err());
        assert!(filter_of(&query("", "", "08/12/2026", "")).is_err());
    }

    #[test]
    fn the_next_page_keeps_the_filters() {
        let q = query("bill", "", "2026-12-01", "");
        assert_eq!(
            query_string(&q, "pay_x"),
            "type=bill&from=2026-12-01&after=pay_x"
        );
    }
}
