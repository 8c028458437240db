//! The biller catalogue, bill inquiries, and paying an inquired bill (`POST
//! /v1/payments` with `type` = `bill` is dispatched to [`create_bill_payment`]).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use adapters::biller::BillerError;
use adapters::billing::{
    billers, find_biller, find_biller_for_customer_code, Biller, BillerKind, CustomerCodeError,
};
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::bills::inquiries::{self, BillView, InquiryRow};
use crate::commit::NewPayment;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::routes::citizen::{caller, start_payment};
use crate::routes::input;
use crate::routes::pagination::PageQuery;
use crate::state::AppState;

/// A biller the gateway can pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillerView {
    #[schema(example = "EVNHANOI")]
    pub code: String,
    pub name: String,
    /// `electricity`, `water`, `social_insurance` or `health_insurance`.
    #[schema(example = "electricity")]
    pub kind: String,
    /// A regular expression every customer code of this biller matches.
    #[schema(example = "^PD[0-9]{11}$")]
    pub customer_code_pattern: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillerList {
    pub data: Vec<BillerView>,
    pub has_more: bool,
}

/// The billers the gateway can pay, in catalogue order, paged like every list. Public:
/// the catalogue holds nothing personal, and apps show it before the citizen signs in.
#[utoipa::path(get, path = "/v1/billers", tag = "bills",
    params(PageQuery),
    responses((status = 200, body = BillerList), (status = 400, body = ErrorBody)))]
#[get("/v1/billers")]
pub async fn list_billers(query: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let limit = query.limit()?;
    let all = billers();
    let start = match query.starting_after.as_deref() {
        None => 0,
        Some(code) => {
            all.iter().position(|b| b.code == code).ok_or_else(|| {
                ApiError::invalid(
                    "starting_after is not a biller code",
                    json!({ "param": "starting_after" }),
                )
            })? + 1
        }
    };
    let rest = all.get(start..).unwrap_or_default();
    let data = rest
        .iter()
        .take(limit)
        .map(|b| BillerView {
            code: b.code.to_string(),
            name: b.name.to_string(),
            kind: b.kind.as_str().to_string(),
            customer_code_pattern: b.customer_code_pattern.to_string(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(BillerList {
        data,
        has_more: rest.len() > limit,
    }))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InquiryRequest {
    /// The customer's code at the biller (EVN: two letters and 11 digits).
    #[schema(example = "PD00000000001")]
    pub customer_code: String,
    /// The biller; found from the customer code's prefix when absent.
    #[schema(example = "EVNHANOI")]
    pub biller_code: Option<String>,
}

/// The message never repeats the code: a digits-only code may be a CCCD number.
fn invalid_customer_code(message: String, details: Value) -> ApiError {
    ApiError::InvalidInput {
        code: "invalid_customer_code",
        message,
        details,
    }
}

const fn issues_bills(biller: &Biller) -> bool {
    match biller.kind {
        BillerKind::Electricity | BillerKind::Water => true,
        BillerKind::SocialInsurance | BillerKind::HealthInsurance => false,
    }
}

/// The biller whose bill to look up: the one named, or the one the code's prefix
/// belongs to.
fn route(customer_code: &str, biller_code: Option<&str>) -> Result<&'static Biller, ApiError> {
    let Some(code) = biller_code else {
        return match find_biller_for_customer_code(customer_code) {
            Ok(biller) if issues_bills(biller) => Ok(biller),
            Ok(_) | Err(CustomerCodeError::Ambiguous { .. }) => Err(invalid_customer_code(
                "this is not a bill's customer code (insurance is quoted at POST /v1/insurance/quotes)"
                    .into(),
                json!({ "param": "customer_code", "reason": "not_a_bill_customer_code" }),
            )),
            Err(CustomerCodeError::UnknownPrefix { .. }) => Err(invalid_customer_code(
                "no biller issues customer codes with this prefix (see GET /v1/billers)".into(),
                json!({ "param": "customer_code", "reason": "unknown_prefix" }),
            )),
            Err(CustomerCodeError::Malformed { .. }) => Err(invalid_customer_code(
                "the customer code matches no biller's pattern (see GET /v1/billers)".into(),
                json!({ "param": "customer_code", "reason": "malformed" }),
            )),
        };
    };
    let biller = find_biller(code).ok_or_else(|| ApiError::InvalidInput {
        code: "unknown_biller",
        message: "no biller has this code (see GET /v1/billers)".into(),
        details: json!({ "param": "biller_code" }),
    })?;
    if !issues_bills(biller) {
        return Err(ApiError::InvalidInput {
            code: "biller_has_no_bills",
            message: format!(
                "{} collects insurance contributions: ask for a quote at POST /v1/insurance/quotes",
                biller.code
            ),
            details: json!({ "param": "biller_code" }),
        });
    }
    if !biller.accepts(customer_code) {
        return Err(invalid_customer_code(
            format!("the customer code is not one of {}'s", biller.code),
            json!({
                "param": "customer_code",
                "reason": "malformed",
                "expected": biller.customer_code_pattern,
            }),
        ));
    }
    Ok(biller)
}

/// What the biller's answer to an inquiry means for the client.
fn inquiry_error(e: BillerError) -> ApiError {
    match e {
        BillerError::CustomerNotFound => ApiError::BillNotFound,
        BillerError::InvalidCustomerCode => invalid_customer_code(
            "the biller does not recognise this customer code".into(),
            json!({ "param": "customer_code", "reason": "refused_by_biller" }),
        ),
        BillerError::Timeout | BillerError::Unavailable(_) => ApiError::Unavailable("biller"),
        // Not answers an inquiry has: the biller misbehaves, which the client cannot fix.
        BillerError::AlreadyPaid | BillerError::AmountMismatch | BillerError::Rejected(_) => {
            tracing::warn!(error = %e, "unexpected answer to a bill inquiry");
            ApiError::Unavailable("biller")
        }
    }
}

/// Looks up the customer's latest bill at the biller and keeps it under a `bill_` id
/// for the caller, who may then pay it. VNeID level 1 may inquire.
#[utoipa::path(post, path = "/v1/bills/inquiry", tag = "bills",
    request_body = InquiryRequest,
    responses(
        (status = 200, description = "The customer's latest bill, `unpaid` or `paid`", body = BillView),
        (status = 400, description = "`invalid_request`, `invalid_customer_code` (malformed, or a prefix no biller issues), `unknown_biller` (a `biller_code` not in the catalogue), `biller_has_no_bills` (an insurance biller)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden` (not a citizen)", body = ErrorBody),
        (status = 404, description = "`bill_not_found`: the biller has no bill for this customer", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the biller is not answering", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/bills/inquiry")]
pub async fn inquire_bill(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, map) = input::object(&body)?;
    // Codes are printed in capitals; people type them either way.
    let customer_code = match map.get("customer_code") {
        None | Some(Value::Null) => input::string(&map, "customer_code", 64)?,
        Some(Value::String(code)) if !code.trim().is_empty() && code.chars().count() <= 64 => {
            code.clone()
        }
        Some(_) => {
            return Err(invalid_customer_code(
                "customer_code must be the customer's code at the biller".into(),
                json!({ "param": "customer_code", "reason": "malformed" }),
            ))
        }
    }
    .trim()
    .to_ascii_uppercase();
    let biller_code =
        input::optional_string(&map, "biller_code", 64)?.map(|c| c.trim().to_ascii_uppercase());
    let biller = route(&customer_code, biller_code.as_deref())?;
    let (me, state) = caller(&req, &state).await?;
    let statement = state
        .billers
        .inquire(biller.code, &customer_code)
        .await
        .map_err(inquiry_error)?;
    if statement.amount_due < 1 {
        tracing::warn!(biller = biller.code, "a bill with nothing due");
        return Err(ApiError::Unavailable("biller"));
    }
    let row = InquiryRow::new(&me.id, &statement, Utc::now())?;
    let view = row.view();
    db::run(&state, move |conn| inquiries::insert(conn, &row)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A `bill_` or `quo_` id's shape; anything else is a 400 naming the kind.
pub fn check_id(id: &str, prefix: &str, kind: &'static str) -> Result<(), ApiError> {
    let digits = id.strip_prefix(prefix).unwrap_or_default();
    if id.len() <= 24 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(ApiError::InvalidId {
            kind,
            id: id.chars().take(40).collect(),
        })
    }
}

/// `POST /v1/payments` `{"type": "bill", "bill_id"}`: pays one of the caller's
/// inquired bills, for the amount the biller stated. The same rules as every payment
/// apply (level 2, step-up, balance), and the essential payments' monthly cap.
pub async fn create_bill_payment(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    value: &Value,
    map: &Map<String, Value>,
) -> Result<HttpResponse, ApiError> {
    let bill_id = input::string(map, "bill_id", 64)?;
    check_id(&bill_id, "bill_", "bill")?;
    start_payment(req, state, value, NewPayment::Bill { bill_id }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(result: Result<&'static Biller, ApiError>) -> &'static str {
        match result {
            Ok(biller) => biller.code,
            Err(e) => e.status_and_code().1,
        }
    }

    #[test]
    fn customer_codes_route_to_the_biller_that_issues_them() {
        assert_eq!(code_of(route("PD00000000001", None)), "EVNHANOI");
        assert_eq!(code_of(route("PK00000000001", None)), "EVNSPC");
        assert_eq!(code_of(route("SW00000000001", None)), "SAWACO");
        assert_eq!(code_of(route("PE00000000001", Some("EVNHCMC"))), "EVNHCMC");
        for malformed in [
            "PD123",
            "XZ12345678901",
            "001090000001",
            "",
            "PD0000000000X",
        ] {
            assert_eq!(
                code_of(route(malformed, None)),
                "invalid_customer_code",
                "{malformed}"
            );
        }
        assert_eq!(
            code_of(route("PD00000000001", Some("EVNHCMC"))),
            "invalid_customer_code"
        );
        assert_eq!(
            code_of(route("PD00000000001", Some("NOPE"))),
            "unknown_biller"
        );
        assert_eq!(
            code_of(route("001090000001", Some("VSS_BHYT"))),
            "biller_has_no_bills"
        );
    }

    #[test]
    fn ids_are_checked_for_shape() {
        assert!(check_id("bill_abc123", "bill_", "bill").is_ok());
        for bad in ["bill_", "quo_abc", "bill_a-b", "bill_0123456789abcdefghijk"] {
            assert!(check_id(bad, "bill_", "bill").is_err(), "{bad}");
        }
    }
}
