//! The operator's reconciliation: run it for a system and day (fetching the file, or
//! with a file uploaded), see each run and its differences, resolve each difference
//! through the ledger.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use adapters::statement::StatementSource;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{require_operator, Principal};
use crate::commit::Command;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency;
use crate::payments::drive;
use crate::reconciliation::matching::Action;
use crate::reconciliation::on_shards;
use crate::reconciliation::resolve::{self, ResolveRequest};
use crate::reconciliation::runs::{self, Origin, Upload};
use crate::reconciliation::store;
use crate::reconciliation::views::{DiscrepancyPage, DiscrepancyView, RunDetail, RunView};
use crate::routes::input;
use crate::routes::pagination::{Page, PageQuery};
use crate::rules::vietnam_date;
use crate::state::AppState;

/// Largest statement accepted by upload.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// Body of `POST /v1/admin/reconciliation/runs`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewRun {
    /// `napas`, `vnpay`, `momo`, `zalopay`, `evn`, `water` or `vss`.
    #[schema(example = "napas")]
    source: String,
    /// The day (Vietnam time) to reconcile, not after today.
    #[schema(example = "2026-12-06")]
    business_date: String,
    /// The statement's text as the system produced it. Without it the gateway fetches
    /// the file from the system itself.
    file: Option<String>,
    file_name: Option<String>,
}

/// Body of `POST /v1/admin/reconciliation/discrepancies/{id}/resolve`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Resolution {
    /// One of the difference's `actions`.
    #[schema(example = "credit")]
    action: String,
    /// Why, for the audit record (1 to 500 characters).
    #[schema(example = "MoMo confirmed the payment on 2026-12-07, ticket 4411")]
    reason: String,
    /// Who resolves it (default `operator`).
    operator: Option<String>,
}

/// The system `text` names (also the console's forms' validation).
pub fn source(text: &str) -> Result<StatementSource, ApiError> {
    StatementSource::parse(text).ok_or_else(|| ApiError::InvalidInput {
        code: "invalid_source",
        message: "source must be one of napas, vnpay, momo, zalopay, evn, water, vss".into(),
        details: json!({ "param": "source" }),
    })
}

/// A day that may be reconciled: one that has begun in Vietnam.
pub fn business_date(text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= vietnam_date(Utc::now()))
        .ok_or_else(|| ApiError::InvalidInput {
            code: "invalid_business_date",
            message: "business_date must be a day (YYYY-MM-DD) not after today in Vietnam".into(),
            details: json!({ "param": "business_date" }),
        })
}

fn parse_new_run(
    map: &Map<String, Value>,
) -> Result<(StatementSource, NaiveDate, Option<Upload>), ApiError> {
    let source = source(&input::string(map, "source", 16)?)?;
    let day = business_date(&input::string(map, "business_date", 10)?)?;
    let file_name = input::optional_string(map, "file_name", 255)?;
    let upload = match map.get("file") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(Upload {
            file_name,
            bytes: text.as_bytes().to_vec(),
        }),
        Some(_) => {
            return Err(ApiError::invalid(
                "file must be the statement's text",
                json!({ "param": "file" }),
            ))
        }
    };
    Ok((source, day, upload))
}

/// Runs reconciliation of one system for one day: the statement fetched from the
/// system (or the one uploaded) matched against our payments; every difference is
/// recorded for an operator to resolve.
#[utoipa::path(post, path = "/v1/admin/reconciliation/runs", tag = "reconciliation",
    request_body = NewRun,
    responses(
        (status = 201, body = RunView),
        (status = 400, description = "`invalid_source`, `invalid_business_date`, `invalid_statement` (an uploaded file that does not parse), `statement_date_mismatch`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`statement_not_found`: the system has no file for that day", body = ErrorBody),
        (status = 503, description = "The system (or its file) is unavailable", body = ErrorBody)),
    security(("operator" = [])))]
#[post("/v1/admin/reconciliation/runs")]
pub async fn create_run(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // A day's statement is far larger than any other request body.
    let body = payload
        .to_bytes_limited(MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| {
            ApiError::invalid(
                format!("the body is over {MAX_UPLOAD_BYTES} bytes"),
                json!({ "part": "body" }),
            )
        })?;
    let body = body.map_err(|e| {
        ApiError::invalid(
            format!("the body could not be read: {e}"),
            json!({ "part": "body" }),
        )
    })?;
    let (_, map) = input::object(&body)?;
    let (source, day, upload) = parse_new_run(&map)?;
    require_operator(&req, &state).await?;
    let origin = if upload.is_some() {
        Origin::Uploaded
    } else {
        Origin::Fetched
    };
    let run = runs::run(&state, source, day, origin, upload)
        .await?
        .ok_or_else(|| ApiError::Internal("an operator's run was not recorded".into()))?;
    Ok(HttpResponse::Created().json(run))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only runs of this system.
    pub source: Option<String>,
    /// Only runs of this day (YYYY-MM-DD).
    pub business_date: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<String>,
    /// The id of the last run of the previous page.
    pub starting_after: Option<String>,
}

/// Reconciliation runs, newest first.
#[utoipa::path(get, path = "/v1/admin/reconciliation/runs", tag = "reconciliation",
    params(RunsQuery),
    responses(
        (status = 200, body = inline(Page<RunView>)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/reconciliation/runs")]
pub async fn list_runs(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<RunsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_size(&q.limit, &q.starting_after)?;
    let source = q.source.as_deref().map(source).transpose()?;
    let day = q
        .business_date
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| ApiError::InvalidInput {
                code: "invalid_business_date",
                message: "business_date must be YYYY-MM-DD".into(),
                details: json!({ "param": "business_date" }),
            })
        })
        .transpose()?;
    require_operator(&req, &state).await?;
    let cursor = q.starting_after;
    let (data, has_more) = db::run(&state, move |conn| {
        let after = match cursor {
            Some(id) => Some(store::find_run(conn, &id)?.ok_or_else(|| {
                ApiError::invalid(
                    "starting_after is not a reconciliation run",
                    json!({ "param": "starting_after" }),
                )
            })?),
            None => None,
        };
        store::list_runs(conn, source.map(|s| s.as_str()), day, limit, after.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page { data, has_more }))
}

fn page_size(limit: &Option<String>, after: &Option<String>) -> Result<i64, ApiError> {
    let n = PageQuery {
        limit: limit.clone(),
        starting_after: after.clone(),
    }
    .limit()?;
    Ok(i64::try_from(n).unwrap_or(20))
}

/// Differences shown with a run.
const FIRST_PAGE: i64 = 100;

/// A run with its first 100 differences.
#[utoipa::path(get, path = "/v1/admin/reconciliation/runs/{id}", tag = "reconciliation",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = RunDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`reconciliation_run_not_found`", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/reconciliation/runs/{id}")]
pub async fn get_run(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    require_operator(&req, &state).await?;
    let detail = db::run(&state, move |conn| {
        let run = store::find_run(conn, &id)?.ok_or(ApiError::NotFound("reconciliation run"))?;
        let view = store::run_view(conn, &run)?;
        let (data, has_more) = store::list_discrepancies(conn, &run.id, false, FIRST_PAGE, None)?;
        Ok(RunDetail {
            run: view,
            items: DiscrepancyPage { data, has_more },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscrepanciesQuery {
    /// `open` (default: all).
    pub status: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<String>,
    /// The id of the last difference of the previous page.
    pub starting_after: Option<String>,
}

/// A run's differences, page by page.
#[utoipa::path(get, path = "/v1/admin/reconciliation/runs/{id}/discrepancies", tag = "reconciliation",
    params(("id" = String, Path), DiscrepanciesQuery),
    responses(
        (status = 200, body = inline(Page<DiscrepancyView>)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`reconciliation_run_not_found`", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/reconciliation/runs/{id}/discrepancies")]
pub async fn list_discrepancies(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DiscrepanciesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_size(&q.limit, &q.starting_after)?;
    let only_open = match q.status.as_deref() {
        None | Some("all") => false,
        Some("open") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "status must be open or all",
                json!({ "param": "status" }),
            ))
        }
    };
    let id = path.into_inner();
    require_operator(&req, &state).await?;
    let (data, has_more) = db::run(&state, move |conn| {
        let run = store::find_run(conn, &id)?.ok_or(ApiError::NotFound("reconciliation run"))?;
        store::list_discrepancies(conn, &run.id, only_open, limit, q.starting_after.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page { data, has_more }))
}

/// Resolves a difference with one of its `actions`: `credit` or `reverse` book money
/// in the ledger, `post_hold`/`void_hold` settle a payment still waiting, `dismiss`
/// moves nothing. Each writes an audit record with the reason; a difference is
/// resolved once, and a retry with the same key answers the same.
#[utoipa::path(post, path = "/v1/admin/reconciliation/discrepancies/{id}/resolve", tag = "reconciliation",
    request_body = Resolution,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses(
        (status = 200, description = "The difference with its resolution", body = DiscrepancyView),
        (status = 400, description = "`invalid_action`, `invalid_resolution`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`discrepancy_not_found`", body = ErrorBody),
        (status = 409, description = "`discrepancy_already_resolved`, `payment_state_changed`, `payment_already_adjusted`", body = ErrorBody),
        (status = 422, description = "`resolution_not_allowed`, `insufficient_funds` (a reverse the wallet cannot cover)", body = ErrorBody)),
    security(("operator" = [])))]
#[post("/v1/admin/reconciliation/discrepancies/{id}/resolve")]
pub async fn resolve_discrepancy(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (value, map) = input::object(&body)?;
    let action = input::string(&map, "action", 16)
        .ok()
        .and_then(|a| Action::parse(&a))
        .ok_or_else(|| ApiError::InvalidInput {
            code: "invalid_action",
            message: "action must be credit, reverse, post_hold, void_hold or dismiss".into(),
            details: json!({ "param": "action" }),
        })?;
    let text = |field: &str| map.get(field).and_then(Value::as_str);
    let (reason, operator) = resolve::reason_and_operator(text("reason"), text("operator"))?;
    idempotency::key_from(&req)?;
    require_operator(&req, &state).await?;
    let key = idempotency::claim(&req, Principal::Operator.scope(), &value)?;
    let discrepancy = db::run(&state, move |conn| {
        store::find_discrepancy(conn, &id)?.ok_or(ApiError::NotFound("discrepancy"))
    })
    .await?;
    // With citizens on home shards, resolved where its payment is.
    let shard = on_shards::resolving_home(&state, &discrepancy).await?;
    let home = shard.clone().unwrap_or_else(|| state.get_ref().clone());
    let id = discrepancy.id.clone();
    let request = ResolveRequest::new(discrepancy, action, reason, operator)?;
    let command = Command::Resolve {
        key,
        request: Box::new(request),
    };
    let reply = home.committer.submit(command).await;
    if shard.is_some() {
        on_shards::copy_back(&state, &home, &id).await?;
    }
    drive::respond(&home, reply?).await
}
