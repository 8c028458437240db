//! Insurance quotes, and paying one (`POST /v1/payments` with `type` = `insurance` is
//! dispatched to [`create_insurance_payment`]).

use actix_web::{post, web, HttpRequest, HttpResponse};
use adapters::billing::insurance::ALLOWED_MONTHS;
use adapters::billing::{InsuranceScheme, SupportGroup};
use adapters::providers::vietnam_time::VIETNAM;
use chrono::Utc;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::bills::quotes::{self, parse_scheme, QuoteRequest, QuoteRow, QuoteView};
use crate::commit::NewPayment;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::routes::bills::check_id;
use crate::routes::citizen::{caller, start_payment};
use crate::routes::input;
use crate::rules::parse_amount;
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QuoteRequestBody {
    /// `bhxh_voluntary` (voluntary social insurance) or `bhyt_household` (household
    /// health insurance).
    #[schema(example = "bhxh_voluntary")]
    pub scheme: String,
    /// 1, 3, 6 or 12.
    #[schema(example = 1)]
    pub months: u32,
    /// `bhxh_voluntary`: the chosen monthly income, from the rural poverty line to 20 ×
    /// the base salary.
    #[schema(example = 1500000)]
    pub monthly_income: Option<i64>,
    /// `bhxh_voluntary`: `poor`, `near_poor`, `ethnic_minority` or `other`.
    #[schema(example = "other")]
    pub support_group: Option<String>,
    /// `bhyt_household`: the citizen's position in the household, 1 to 5 (5 for the
    /// fifth and every later member).
    pub member_position: Option<u32>,
}

fn invalid(code: &'static str, message: &str, param: &str) -> ApiError {
    ApiError::InvalidInput {
        code,
        message: message.to_string(),
        details: json!({ "param": param }),
    }
}

/// The body as a quote request; each bad field is a 400 with its own code.
fn parse(map: &Map<String, Value>) -> Result<QuoteRequest, ApiError> {
    let scheme = map
        .get("scheme")
        .and_then(Value::as_str)
        .and_then(parse_scheme)
        .ok_or_else(|| {
            invalid(
                "invalid_scheme",
                "scheme must be bhxh_voluntary or bhyt_household",
                "scheme",
            )
        })?;
    let months = map
        .get("months")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
        .filter(|m| ALLOWED_MONTHS.contains(m))
        .ok_or_else(|| invalid("invalid_months", "months must be 1, 3, 6 or 12", "months"))?;
    match scheme {
        InsuranceScheme::BhxhVoluntary => {
            let monthly_income = map
                .get("monthly_income")
                .and_then(parse_amount)
                .ok_or(ApiError::InvalidAmount)?;
            let support_group = map
                .get("support_group")
                .and_then(Value::as_str)
                .and_then(|g| g.parse::<SupportGroup>().ok())
                .ok_or_else(|| {
                    invalid(
                        "invalid_support_group",
                        "support_group must be poor, near_poor, ethnic_minority or other",
                        "support_group",
                    )
                })?;
            Ok(QuoteRequest::Voluntary {
                monthly_income,
                support_group,
                months,
            })
        }
        InsuranceScheme::BhytHousehold => {
            let member_position = map
                .get("member_position")
                .and_then(Value::as_u64)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| (1..=5).contains(p))
                .ok_or_else(|| {
                    invalid(
                        "invalid_member_position",
                        "member_position must be 1 to 5",
                        "member_position",
                    )
                })?;
            Ok(QuoteRequest::Household {
                member_position,
                months,
            })
        }
    }
}

/// Prices a contribution for the caller (the insured person, by CCCD) with the rates
/// and base salary in force today (Vietnam time). The quote may be paid until
/// `expires_at`. VNeID level 1 may ask.
#[utoipa::path(post, path = "/v1/insurance/quotes", tag = "bills",
    request_body = QuoteRequestBody,
    responses(
        (status = 201, description = "The quote: `amount` = `months` × `monthly`", body = QuoteView),
        (status = 400, description = "`invalid_request`, `invalid_scheme`, `invalid_months`, `invalid_amount` (monthly_income not a whole positive number), `invalid_monthly_income` (outside the legal range, given in the details), `invalid_support_group`, `invalid_member_position`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden` (not a citizen)", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/insurance/quotes")]
pub async fn create_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, map) = input::object(&body)?;
    let request = parse(&map)?;
    let now = Utc::now();
    let quote_date = state
        .config
        .pricing_date
        .unwrap_or_else(|| now.with_timezone(&VIETNAM).date_naive());
    let quote = request.price(quote_date)?;
    let (me, state) = caller(&req, &state).await?;
    let row = QuoteRow::new(
        &me.id,
        &request,
        &quote,
        quote_date,
        now,
        state.config.insurance_quote_ttl_seconds,
    )?;
    let view = row.view(&me.cccd, &me.full_name);
    db::run(&state, move |conn| quotes::insert(conn, &row)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// `POST /v1/payments` `{"type": "insurance", "quote_id"}`: pays one of the caller's
/// quotes before it expires, once. The contribution is recorded at VSS for the caller.
pub async fn create_insurance_payment(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    value: &Value,
    map: &Map<String, Value>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = input::string(map, "quote_id", 64)?;
    check_id(&quote_id, "quo_", "quote")?;
    start_payment(req, state, value, NewPayment::Insurance { quote_id }).await
}
