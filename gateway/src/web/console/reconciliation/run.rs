//! One reconciliation run in the console: its figures and its differences (open or
//! all, paged), each open one with a form to resolve it, each resolved one with its
//! resolution and the ledger transfer it made. Resolving builds the API's
//! `ResolveRequest` and submits `Command::Resolve` under an operator-scoped key.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::super::audit::{self, Action as Audited};
use super::super::sessions::{random_token, ConsoleSession};
use super::super::{operator, Chrome, Operator};
use super::{refusal, said, RunLine};
use crate::auth::Principal;
use crate::commit::{Command, KeyClaim};
use crate::db;
use crate::error::ApiError;
use crate::idempotency;
use crate::ids;
use crate::payments::drive;
use crate::reconciliation::matching::Action;
use crate::reconciliation::on_shards;
use crate::reconciliation::resolve::{self, ResolveRequest};
use crate::reconciliation::store;
use crate::reconciliation::views::{DiscrepancyView, ResolutionView};
use crate::state::AppState;
use crate::web::format::{dong_en, vietnam_time};
use crate::web::page::{render, see_other, Audience, PageError};

const PAGE: i64 = 25;

/// A ledger transfer a resolution made, with the accounts it moved money between.
pub struct TransferLink {
    pub id: String,
    pub debit: String,
    pub credit: String,
}

/// How a difference was resolved, as shown.
pub struct ResolutionLine {
    pub action: &'static str,
    pub reason: String,
    pub operator: String,
    pub transfer: Option<TransferLink>,
    pub amount: String,
    pub payment_status: String,
    pub at: String,
}

/// One difference as shown.
pub struct DifferenceLine {
    pub id: String,
    pub kind: &'static str,
    pub reference: String,
    pub payment_id: Option<String>,
    pub their_line: String,
    pub their_id: String,
    pub their_amount: String,
    pub their_status: &'static str,
    pub our_amount: String,
    pub our_status: &'static str,
    pub actions: Vec<&'static str>,
    pub resolution: Option<ResolutionLine>,
}

fn amount(a: Option<i64>) -> String {
    a.map(dong_en).unwrap_or_default()
}

fn resolution_line(r: &ResolutionView, transfers: &[ledger::Transfer]) -> ResolutionLine {
    let transfer = r.transfer_id.as_ref().map(|id| {
        let found = ids::decode("transfer", ids::TRANSFER, id)
            .ok()
            .and_then(|raw| transfers.iter().find(|t| t.id == raw));
        TransferLink {
            id: id.clone(),
            debit: found
                .map(|t| ids::encode(ids::ACCOUNT, t.debit_account_id))
                .unwrap_or_default(),
            credit: found
                .map(|t| ids::encode(ids::ACCOUNT, t.credit_account_id))
                .unwrap_or_default(),
        }
    });
    ResolutionLine {
        action: r.action.as_str(),
        reason: r.reason.clone(),
        operator: r.operator.clone(),
        transfer,
        amount: amount(r.amount),
        payment_status: r.payment_status.clone().unwrap_or_default(),
        at: vietnam_time(r.created_at),
    }
}

fn difference_line(d: &DiscrepancyView, transfers: &[ledger::Transfer]) -> DifferenceLine {
    DifferenceLine {
        id: d.id.clone(),
        kind: d.kind.as_str(),
        reference: d.reference.clone(),
        payment_id: d.payment_id.clone(),
        their_line: d.theirs.line.map(|l| l.to_string()).unwrap_or_default(),
        their_id: d.theirs.transaction_id.clone().unwrap_or_default(),
        their_amount: amount(d.theirs.amount),
        their_status: d.theirs.status.map_or("", |s| s.as_str()),
        our_amount: amount(d.ours.amount),
        our_status: d.ours.status.map_or("", |s| s.as_str()),
        actions: d.actions.iter().map(|a| a.as_str()).collect(),
        resolution: d.resolution.as_ref().map(|r| resolution_line(r, transfers)),
    }
}

#[derive(Template)]
#[template(path = "console/reconciliation_run.html")]
struct RunPage {
    chrome: Chrome,
    run: RunLine,
    only_open: bool,
    differences: Vec<DifferenceLine>,
    next: Option<String>,
    /// A difference resolved just now, to say so whichever page it is on.
    resolved: Option<DifferenceLine>,
    error: Option<String>,
    /// Binds each resolve form's key to this rendering of the page (see `key_of`).
    form_nonce: String,
}

#[derive(Deserialize, Default)]
pub struct RunQuery {
    /// `open`, or anything else for all.
    show: Option<String>,
    /// The last difference of the previous page.
    after: Option<String>,
    /// A difference just resolved.
    resolved: Option<String>,
}

/// The ledger transfers the resolutions among `differences` made.
async fn transfers_of(
    state: &AppState,
    differences: &[&DiscrepancyView],
) -> Result<Vec<ledger::Transfer>, ApiError> {
    let wanted: Vec<u128> = differences
        .iter()
        .filter_map(|d| d.resolution.as_ref()?.transfer_id.as_deref())
        .filter_map(|id| ids::decode("transfer", ids::TRANSFER, id).ok())
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let ledger = state.ledger.clone();
    Ok(web::block(move || ledger.lookup_transfers(&wanted)).await??)
}

async fn run_page(
    state: &AppState,
    operator: &Operator,
    run_id: String,
    q: &RunQuery,
    error: Option<String>,
) -> Result<RunPage, ApiError> {
    let only_open = q.show.as_deref() == Some("open");
    let after = q.after.clone().filter(|a| !a.is_empty());
    let just_resolved = q.resolved.clone().filter(|r| r.starts_with("dsc_"));
    let (run, (page, has_more), resolved) = db::run(state, move |conn| {
        let row =
            store::find_run(conn, &run_id)?.ok_or(ApiError::NotFound("reconciliation run"))?;
        let run = store::run_view(conn, &row)?;
        let page = store::list_discrepancies(conn, &row.id, only_open, PAGE, after.as_deref())?;
        let resolved = match just_resolved {
            Some(id) => store::find_discrepancy(conn, &id)?
                .filter(|d| d.run_id == row.id && d.resolution.is_some()),
            None => None,
        };
        Ok((run, page, resolved))
    })
    .await?;
    let shown: Vec<&DiscrepancyView> = page.iter().chain(resolved.iter()).collect();
    let transfers = transfers_of(state, &shown).await?;
    let show = if only_open { "open" } else { "all" };
    Ok(RunPage {
        chrome: operator.chrome("reconciliation"),
        next: page.last().filter(|_| has_more).map(|last| {
            format!(
                "/console/reconciliation/runs/{}?show={show}&after={}",
                run.id, last.id
            )
        }),
        run: RunLine::of(&run),
        only_open,
        differences: page
            .iter()
            .map(|d| difference_line(d, &transfers))
            .collect(),
        resolved: resolved.as_ref().map(|d| difference_line(d, &transfers)),
        error,
        form_nonce: random_token(),
    })
}

#[get("/console/reconciliation/runs/{id}")]
pub async fn show_run(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<RunQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let page = run_page(&state, &operator, path.into_inner(), &query, None).await?;
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Deserialize)]
pub struct ResolveForm {
    csrf: Option<String>,
    nonce: Option<String>,
    action: Option<String>,
    reason: Option<String>,
}

/// The resolution's idempotency key: the session, the page the form was on, the
/// difference and the action. A form submitted twice (a double click, a reload of the
/// answer) is the same key and replays the first answer, so nothing is resolved twice;
/// the page drawn after a refusal has a new nonce, so the operator can try again once
/// the cause is gone (a stored refusal would otherwise answer every retry). The reason
/// is left out of the fingerprint: a form re-sent with its reason edited still answers
/// what the first submission did, not "key reused".
fn key_of(
    session: &ConsoleSession,
    nonce: &str,
    discrepancy: &str,
    action: Action,
    path: &str,
) -> KeyClaim {
    let mut hasher = Sha256::new();
    for part in [
        session.token_hash.as_str(),
        nonce,
        discrepancy,
        action.as_str(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let bound = json!({ "action": action.as_str() });
    KeyClaim {
        scope: Principal::Operator.scope(),
        key: format!("console-{}", hex::encode(&hasher.finalize()[..16])),
        fingerprint: idempotency::fingerprint("POST", path, &bound),
        legacy_fingerprint: idempotency::request_hash(&bound),
    }
}

/// The name a resolution records: the console and its session, as the audit trail
/// names the session.
fn operator_name(session: &ConsoleSession) -> String {
    format!("console:{}", session.audit_name())
}

/// What resolving came to: done (or done before, for a re-sent form), or refused.
enum Outcome {
    Done { replayed: bool },
    Refused(StatusCode, String),
}

async fn submit(
    state: &AppState,
    session: &ConsoleSession,
    discrepancy: DiscrepancyView,
    form: &ResolveForm,
    path: &str,
) -> Result<Outcome, ApiError> {
    let action = form
        .action
        .as_deref()
        .and_then(Action::parse)
        .ok_or_else(|| ApiError::InvalidInput {
            code: "invalid_action",
            message: "choose one of the difference's actions".into(),
            details: json!({ "param": "action" }),
        })?;
    let nonce = form
        .nonce
        .as_deref()
        .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            ApiError::invalid(
                "the form is out of date: resolve from the page as it is now",
                json!({ "param": "nonce" }),
            )
        })?;
    let (reason, operator) =
        resolve::reason_and_operator(form.reason.as_deref(), Some(&operator_name(session)))?;
    let key = key_of(session, nonce, &discrepancy.id, action, path);
    // With citizens on home shards, resolved where its payment is.
    let shard = on_shards::resolving_home(state, &discrepancy).await?;
    let home = shard.clone().unwrap_or_else(|| state.clone());
    let id = discrepancy.id.clone();
    let request = ResolveRequest::new(discrepancy, action, reason, operator)?;
    let command = Command::Resolve {
        key,
        request: Box::new(request),
    };
    let reply = home.committer.submit(command).await;
    if shard.is_some() {
        on_shards::copy_back(state, &home, &id).await?;
    }
    let answer = drive::finish(&home, reply?).await?;
    if answer.status.is_success() {
        return Ok(Outcome::Done {
            replayed: answer.replayed,
        });
    }
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    Ok(Outcome::Refused(answer.status, said(&body)))
}

/// Resolves one difference from its form; back to the run, which says what was done,
/// or shows why not.
#[post("/console/reconciliation/discrepancies/{id}/resolve")]
pub async fn resolve_difference(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ResolveForm>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    let id = path.into_inner();
    let wanted = id.clone();
    let discrepancy = db::run(&state, move |conn| {
        store::find_discrepancy(conn, &wanted)?.ok_or(ApiError::NotFound("discrepancy"))
    })
    .await?;
    let run_id = discrepancy.run_id.clone();
    let outcome = match submit(&state, &operator.session, discrepancy, &form, req.path()).await {
        Ok(outcome) => outcome,
        Err(e) => {
            let (status, message) = refusal(&e);
            Outcome::Refused(status, message)
        }
    };
    match outcome {
        Outcome::Done { replayed } => {
            // A re-sent form did nothing new: the first submission was audited.
            if !replayed {
                let detail = format!(
                    "{}: {}",
                    form.action.as_deref().unwrap_or_default(),
                    form.reason.as_deref().unwrap_or_default().trim()
                );
                audit::record(
                    &state,
                    Audited::ReconciliationResolve,
                    Some(&id),
                    Some(&detail),
                    Some(&operator.session),
                )
                .await?;
            }
            Ok(see_other(&format!(
                "/console/reconciliation/runs/{run_id}?resolved={id}#{id}"
            )))
        }
        Outcome::Refused(status, message) => {
            tracing::info!(discrepancy = %id, %message, "console resolution refused");
            let message = format!("{id}: {message}");
            let page = run_page(
                &state,
                &operator,
                run_id,
                &RunQuery::default(),
                Some(message),
            )
            .await?;
            Ok(render(status, Audience::Operator, &page)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(token_hash: &str) -> ConsoleSession {
        ConsoleSession {
            token_hash: token_hash.into(),
            csrf: "c".repeat(64),
        }
    }

    #[test]
    fn a_form_sent_twice_is_one_key_and_another_page_or_session_another() {
        let (a, b) = (session(&"a".repeat(64)), session(&"b".repeat(64)));
        let n1 = "1".repeat(64);
        let n2 = "2".repeat(64);
        let path = "/console/reconciliation/discrepancies/dsc_1/resolve";
        let key =
            |s: &ConsoleSession, n: &str, d: &str, act: Action| key_of(s, n, d, act, path).key;
        let first = key_of(&a, &n1, "dsc_1", Action::Reverse, path);
        assert_eq!(first.scope, "operator");
        assert!(crate::rules::valid_idempotency_key(&first.key));
        assert_eq!(first.key, key(&a, &n1, "dsc_1", Action::Reverse));
        assert_ne!(first.key, key(&a, &n2, "dsc_1", Action::Reverse));
        assert_ne!(first.key, key(&b, &n1, "dsc_1", Action::Reverse));
        assert_ne!(first.key, key(&a, &n1, "dsc_2", Action::Reverse));
        assert_ne!(first.key, key(&a, &n1, "dsc_1", Action::Dismiss));
        assert_eq!(operator_name(&a), "console:aaaaaaaaaaaa");
    }
}
