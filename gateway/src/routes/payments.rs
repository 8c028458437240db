//! `POST /v1/payments`, step-up confirmation, and reading one payment.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use adapters::identity::Cccd;
use chrono::Utc;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::citizens::directory;
use crate::citizens::sessions;
use crate::commit::{Command, NewPayment, PayeeRef, StepUp};
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::payments::model::{PaymentKind, PaymentView};
use crate::payments::store;
use crate::payments::{drive, payee_leg};
use crate::routes::citizen::{citizen_key, session_at_home, start_payment, submit_payment};
use crate::routes::input;
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PaymentRequest {
    /// `transfer`, `bill`, `insurance` or `merchant`.
    #[schema(example = "transfer")]
    pub r#type: String,
    /// `transfer`: the amount. Bills and insurance take theirs from the inquiry or quote.
    pub amount: Option<i64>,
    /// `transfer`: `{"cccd"}`, `{"phone"}` or `{"bank_bin", "account_number"}`.
    #[schema(value_type = Option<Object>)]
    pub payee: Option<Value>,
    pub note: Option<String>,
    /// `bill`: a `bill_id` from `POST /v1/bills/inquiry`.
    pub bill_id: Option<String>,
    /// `insurance`: a `quote_id` from `POST /v1/insurance/quotes`.
    pub quote_id: Option<String>,
    /// `merchant`: the merchant's payment request id (`req_...`), or instead `qr`.
    pub payment_request_id: Option<String>,
    /// `merchant`: the payment request's scanned VietQR payload.
    pub qr: Option<String>,
}

/// Whom a transfer goes to, as given.
enum Payee {
    Cccd(Cccd),
    Phone(String),
    Bank { bin: String, account: String },
}

fn parse_payee(map: &Map<String, Value>) -> Result<Payee, ApiError> {
    let payee = input::nested(map, "payee")?;
    let has = |k: &str| payee.contains_key(k);
    match (
        has("cccd"),
        has("phone"),
        has("bank_bin") || has("account_number"),
    ) {
        (true, false, false) => {
            let raw = input::string(payee, "cccd", 12)?;
            Cccd::parse(&raw)
                .map(Payee::Cccd)
                .map_err(|e| ApiError::InvalidCccd(e.reason()))
        }
        (false, true, false) => {
            let phone = input::string(payee, "phone", 15)?;
            if !phone.bytes().all(|b| b.is_ascii_digit() || b == b'+') || phone.len() < 9 {
                return Err(ApiError::invalid(
                    "payee.phone is not a phone number",
                    json!({ "param": "payee.phone" }),
                ));
            }
            Ok(Payee::Phone(phone))
        }
        (false, false, true) => {
            let bin = input::string(payee, "bank_bin", 6)?;
            let account = input::string(payee, "account_number", 19)?;
            if adapters::bank::bank_name(&bin).is_none() {
                return Err(ApiError::invalid(
                    "payee.bank_bin is not a known NAPAS bank",
                    json!({ "param": "payee.bank_bin" }),
                ));
            }
            if !(6..=19).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid(
                    "payee.account_number must be 6 to 19 digits",
                    json!({ "param": "payee.account_number" }),
                ));
            }
            Ok(Payee::Bank { bin, account })
        }
        _ => Err(ApiError::invalid(
            "payee must hold exactly one of cccd, phone, or bank_bin with account_number",
            json!({ "param": "payee" }),
        )),
    }
}

/// Creates a payment. Transfers go to another citizen (by CCCD or phone, one ledger
/// transfer) or to any bank account (a hold, the bank credit, then post or void).
/// Bills and insurance hold the amount toward the biller, ask the biller to confirm,
/// then post (or void when it refuses); they do not count toward the monthly cap.
/// A merchant payment pays a payment request (by id or scanned VietQR): at once, or as
/// a hold the merchant captures (`authorized`).
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    request_body = PaymentRequest,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 printable ASCII characters")),
    responses(
        (status = 201, description = "The payment: `succeeded`, `pending`, `failed` (with the bank's or biller's code) or `requires_step_up`. Bill and insurance payments also carry a `receipt`", body = PaymentView),
        (status = 400, description = "`invalid_request`, `invalid_amount`, `invalid_cccd`, `invalid_id`, `invalid_qr`, `idempotency_key_*`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`vneid_level_insufficient`", body = ErrorBody),
        (status = 404, description = "`payee_not_found`, `bill_not_found`, `quote_not_found` (also another citizen's bill or quote), `payment_request_not_found`", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_progress`, `bill_already_paid` (at the biller or through us; `details.payment_id` names the caller's own failed payment if one was made), `quote_expired`, `quote_already_paid`, `payment_request_expired`, `payment_request_not_open`", body = ErrorBody),
        (status = 422, description = "`insufficient_funds`, `monthly_limit_exceeded` (`details.cap` = `general` or `essential`), `payee_is_payer`, `payee_phone_ambiguous` (several citizens share the phone: pay by CCCD), `idempotency_key_reused`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: a dependency is down; retry with the same key", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/payments")]
pub async fn create_payment(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (value, map) = input::object(&body)?;
    let kind = input::string(&map, "type", 16)?;
    match PaymentKind::parse(&kind) {
        Some(PaymentKind::Transfer) => {}
        Some(PaymentKind::Bill) => {
            return crate::routes::bills::create_bill_payment(&req, &state, &value, &map).await
        }
        Some(PaymentKind::Insurance) => {
            return crate::routes::insurance::create_insurance_payment(&req, &state, &value, &map)
                .await
        }
        Some(PaymentKind::Merchant) => {
            return crate::routes::merchant_pay::create_merchant_payment(&req, &state, &value, &map)
                .await
        }
        _ => {
            return Err(ApiError::invalid(
                "type must be transfer, bill, insurance or merchant",
                json!({ "param": "type" }),
            ))
        }
    }
    let amount = input::amount(&map)?;
    let payee = parse_payee(&map)?;
    let note = input::optional_string(&map, "note", 140)?;
    let payment = match payee {
        Payee::Cccd(cccd) => NewPayment::ToCitizen {
            payee: PayeeRef::Cccd(cccd.expose().to_string()),
            amount,
            note,
        },
        Payee::Phone(phone) => NewPayment::ToCitizen {
            payee: PayeeRef::Phone(phone),
            amount,
            note,
        },
        Payee::Bank { bin, account } => NewPayment::ToBankAccount {
            bank_bin: bin,
            account_number: account,
            amount,
            note,
        },
    };
    if !state.routes_citizens() {
        return start_payment(&req, &state, &value, payment).await;
    }
    let (key, caller, home) = citizen_key(&req, &state, &value).await?;
    let payment = match payment {
        NewPayment::ToCitizen {
            payee,
            amount,
            note,
        } => NewPayment::ToCitizen {
            payee: route_payee(&state, state.shard_of_identity(&caller.identity_id), payee).await?,
            amount,
            note,
        },
        other => other,
    };
    submit_payment(&home, key, caller, payment).await
}

/// How the payer's home shard should name a citizen payee: one on the same shard is
/// left for the group commit to find, exactly as on one database; one elsewhere is
/// named by identity id.
async fn route_payee(
    state: &AppState,
    payer_shard: u16,
    payee: PayeeRef,
) -> Result<PayeeRef, ApiError> {
    match payee {
        PayeeRef::Cccd(cccd) => {
            let shard = state.shard_of_cccd(&cccd);
            if shard == payer_shard {
                return Ok(PayeeRef::Cccd(cccd));
            }
            directory::identity_on(state, shard, cccd)
                .await?
                .map(|identity_id| PayeeRef::Remote { identity_id })
                .ok_or(ApiError::PayeeNotFound)
        }
        PayeeRef::Phone(phone) => match directory::holders_of(state, phone.clone()).await? {
            Some(holders) => match holders.as_slice() {
                [identity_id] if state.shard_of_identity(identity_id) != payer_shard => {
                    Ok(PayeeRef::Remote {
                        identity_id: identity_id.clone(),
                    })
                }
                [_, _, ..] => Err(ApiError::PayeePhoneAmbiguous),
                _ => Ok(PayeeRef::Phone(phone)),
            },
            None => Ok(PayeeRef::Phone(phone)),
        },
        remote @ PayeeRef::Remote { .. } => Ok(remote),
    }
}

fn check_payment_id(id: &str) -> Result<(), ApiError> {
    let ok = id.starts_with("pay_")
        && id.len() <= 24
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
        && id.len() > 4;
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidId {
            kind: "payment",
            id: id.chars().take(40).collect(),
        })
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ConfirmRequest {
    /// A VNeID assertion with `auth` = `biometric`, the citizen's own `sub`, `nonce` =
    /// the payment id, issued no earlier than the payment.
    pub assertion: String,
}

/// Completes a `requires_step_up` payment with a biometric VNeID assertion.
#[utoipa::path(post, path = "/v1/payments/{id}/confirm", tag = "payments",
    request_body = ConfirmRequest,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses(
        (status = 200, body = PaymentView),
        (status = 400, body = ErrorBody),
        (status = 401, description = "`invalid_assertion`", body = ErrorBody),
        (status = 403, description = "`step_up_failed`", body = ErrorBody),
        (status = 404, description = "`payment_not_found`", body = ErrorBody),
        (status = 409, description = "`payment_not_awaiting_step_up`", body = ErrorBody),
        (status = 422, description = "`insufficient_funds`, `monthly_limit_exceeded`", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/payments/{id}/confirm")]
pub async fn confirm_payment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let payment_id = path.into_inner();
    check_payment_id(&payment_id)?;
    let (value, map) = input::object(&body)?;
    let assertion = input::string(&map, "assertion", 8192)?;
    let (key, caller, state) = citizen_key(&req, &state, &value).await?;
    // A retry of this very request replays (or resumes) what the first attempt did;
    // its assertion was spent by that attempt and is not checked again.
    let step_up = if crate::idempotency::is_known(&state, &key).await? {
        None
    } else {
        let verified = sessions::accept_assertion(&state, &assertion, Utc::now()).await?;
        Some(StepUp {
            cccd: verified.cccd.expose().to_string(),
            auth: verified.auth(),
            nonce: verified.nonce().map(str::to_string),
            issued_at: verified.iat(),
        })
    };
    let remote_request = remote_request_of(&state, &caller.identity_id, &payment_id).await?;
    let reply = state
        .committer
        .submit(Command::Confirm {
            key,
            caller,
            payment_id,
            step_up,
            remote_request,
        })
        .await?;
    drive::respond(&state, reply).await
}

/// With citizens on home shards: the payment request a merchant payment awaiting
/// step-up pays, when it lives on another shard (read there, for the payment to claim
/// once confirmed).
async fn remote_request_of(
    home: &AppState,
    identity_id: &str,
    payment_id: &str,
) -> Result<Option<Box<crate::merchants::requests::RequestRow>>, ApiError> {
    if !home.routes_citizens() {
        return Ok(None);
    }
    let id = payment_id.to_string();
    let request = db::run(home, move |conn| crate::payments::store::find(conn, &id))
        .await?
        .and_then(|p| p.payment_request_id);
    match request {
        Some(request) => {
            let payer_shard = home.shard_of_identity(identity_id);
            crate::merchants::claims::remote_request(home, payer_shard, &request).await
        }
        None => Ok(None),
    }
}

/// One of the citizen's payments (anyone else's is not found).
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("citizen" = [])))]
#[get("/v1/payments/{id}")]
pub async fn get_payment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let payment_id = path.into_inner();
    check_payment_id(&payment_id)?;
    let (me, state) = session_at_home(&req, &state).await?;
    let viewed = db::run(&state, move |conn| {
        let payment = store::find_own(conn, &me.identity_id, &payment_id)?
            .ok_or(ApiError::NotFound("payment"))?;
        Ok((
            payment.payee_identity_id.clone(),
            store::view(conn, &payment)?,
        ))
    })
    .await?;
    let view = payee_leg::with_remote_payees(&state, vec![viewed])
        .await
        .pop()
        .ok_or(ApiError::NotFound("payment"))?;
    Ok(HttpResponse::Ok().json(view))
}
