//! Revenue per tax key, for the merchant (its own key, every shop of it) and for the
//! operator (any key), as JSON or as a CSV download.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::auth::require_operator;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::revenue::period::Period;
use crate::revenue::report::{self, RevenueReport};
use crate::routes::merchants::require_merchant;
use crate::rules::vietnam_date;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantRevenueQuery {
    /// `2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year), in Vietnam time.
    pub period: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminRevenueQuery {
    /// The tax code in full: a 12-digit personal identification number (household
    /// business), a 10-digit enterprise code, or `NNNNNNNNNN-NNN`.
    pub tax_code: Option<String>,
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

fn period(text: Option<&str>) -> Result<Period, ApiError> {
    text.and_then(Period::parse)
        .ok_or_else(|| ApiError::InvalidInput {
            code: "invalid_period",
            message: "period must be a month (2026-11), a quarter (2026-Q4) or a year (2026)"
                .into(),
            details: json!({ "param": "period" }),
        })
}

fn wants_csv(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::invalid(
            "format must be json or csv",
            json!({ "param": "format" }),
        )),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))),
    }
}

async fn answer(
    state: &AppState,
    tax_code: String,
    period: Period,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let thresholds = state.config.revenue_thresholds.clone();
    let today = vietnam_date(Utc::now());
    let code = tax_code.clone();
    let p = period.clone();
    let rows = match &state.homes {
        None => db::run(state, move |conn| report::load(conn, &code, &p))
            .await?
            .ok_or(ApiError::NotFound("tax code"))?,
        // Each home shard keeps what its own payers paid the key's merchants.
        Some(homes) => {
            let mut parts = Vec::with_capacity(homes.shards.len());
            for home in &homes.shards {
                let (code, p) = (code.clone(), p.clone());
                let part = db::run_on(&home.ledger, move |conn| report::load(conn, &code, &p));
                parts.push(part.await?.unwrap_or_default());
            }
            let rows = report::merge(parts);
            if rows.is_empty() {
                return Err(ApiError::NotFound("tax code"));
            }
            rows
        }
    };
    let built = report::assemble(&tax_code, &period, &rows, &thresholds, today);
    if !csv {
        return Ok(HttpResponse::Ok().json(built));
    }
    let body = crate::revenue::csv::render(&built)
        .map_err(|e| ApiError::Internal(format!("rendering a revenue report: {e}")))?;
    let name = format!(
        "revenue-{}-{}.csv",
        built.tax_code.replace('*', "x"),
        built.period
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

/// The revenue of the caller's tax key for a period: gross receipts, refunds, net and
/// count, summed over every merchant of the key (several shops of one household), the
/// year to date checked against the thresholds in force. A personal tax code (a CCCD
/// number) is masked.
#[utoipa::path(get, path = "/v1/merchant/reports/revenue", tag = "merchants",
    params(MerchantRevenueQuery),
    responses(
        (status = 200, body = RevenueReport, content_type = "application/json"),
        (status = 200, description = "With `format=csv`: one row per merchant and a total row", content_type = "text/csv"),
        (status = 400, description = "`invalid_period`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("merchant" = [])))]
#[get("/v1/merchant/reports/revenue")]
pub async fn merchant_revenue(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<MerchantRevenueQuery>,
) -> Result<HttpResponse, ApiError> {
    let period = period(query.period.as_deref())?;
    let csv = wants_csv(&req, query.format.as_deref())?;
    let merchant = require_merchant(&req, &state, None).await?;
    answer(&state, merchant.tax_code, period, csv).await
}

/// Any tax key's revenue for a period, as the merchant sees its own.
#[utoipa::path(get, path = "/v1/admin/reports/revenue", tag = "merchants",
    params(AdminRevenueQuery),
    responses(
        (status = 200, body = RevenueReport, content_type = "application/json"),
        (status = 200, description = "With `format=csv`", content_type = "text/csv"),
        (status = 400, description = "`invalid_tax_code`, `invalid_period`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`tax_code_not_found`: no merchant has this tax code", body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/reports/revenue")]
pub async fn admin_revenue(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AdminRevenueQuery>,
) -> Result<HttpResponse, ApiError> {
    let tax_code = query
        .tax_code
        .as_deref()
        .ok_or(ApiError::InvalidTaxCode("tax_code is required"))
        .and_then(|t| {
            adapters::identity::TaxCode::parse(t).map_err(|e| ApiError::InvalidTaxCode(e.reason()))
        })?;
    let period = period(query.period.as_deref())?;
    let csv = wants_csv(&req, query.format.as_deref())?;
    require_operator(&req, &state).await?;
    answer(&state, tax_code.expose().to_string(), period, csv).await
}
