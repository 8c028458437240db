//! The wallet providers' callbacks, each answered in the provider's own format and
//! order of checks (signature first, so an unsigned request costs no database read).

use actix_web::{get, post, web, HttpResponse};
use adapters::funding::{momo, vnpay, zalopay, Provider};
use adapters::providers::vnpay::IpnReply;
use adapters::providers::zalopay::CallbackReply;

use crate::payments::provider_topups::{settle, Settlement};
use crate::state::AppState;

/// VNPay's IPN: `{"RspCode", "Message"}` with HTTP 200, checked in VNPay's order
/// (97 signature, 01 order, 04 amount, 02 already confirmed, 00 recorded).
#[utoipa::path(get, path = "/v1/callbacks/vnpay/ipn", tag = "callbacks",
    params(("vnp_*" = String, Query, description = "VNPay's signed IPN parameters")),
    responses((status = 200, description = "VNPay's reply: `{\"RspCode\", \"Message\"}`")))]
#[get("/v1/callbacks/vnpay/ipn")]
pub async fn vnpay_ipn(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match vnpay::verify_ipn(&query, &state.funding.vnpay_credentials) {
        Ok(signed) => signed,
        Err(e) => return HttpResponse::Ok().json(vnpay::ipn_reply_for(&e).body()),
    };
    let reference = signed.reference().to_string();
    let reply = match settle(&state, Provider::Vnpay, &reference, |order| {
        signed.check(order)
    })
    .await
    {
        Ok(()) => IpnReply::ConfirmSuccess,
        Err(Settlement::Refused(e)) => vnpay::ipn_reply_for(&e),
        Err(Settlement::Failed(e)) => {
            tracing::error!(error = %e, "recording a VNPay IPN failed");
            IpnReply::UnknownError
        }
    };
    HttpResponse::Ok().json(reply.body())
}

/// MoMo's IPN: 204 when recorded or already recorded; 401 bad signature, 404 unknown
/// order, 422 wrong amount (nothing credited in each).
#[utoipa::path(post, path = "/v1/callbacks/momo/ipn", tag = "callbacks",
    request_body(content = String, content_type = "application/json", description = "MoMo's signed IPN"),
    responses((status = 204, description = "Recorded, or already recorded"),
        (status = 401, description = "Bad signature"), (status = 404, description = "Unknown order"),
        (status = 422, description = "Wrong amount")))]
#[post("/v1/callbacks/momo/ipn")]
pub async fn momo_ipn(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let status = |code: u16| {
        HttpResponse::build(
            actix_web::http::StatusCode::from_u16(code)
                .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
        )
        .finish()
    };
    let signed = match momo::verify_ipn_body(&body, &state.funding.momo_credentials) {
        Ok(signed) => signed,
        Err(e) => return status(momo::ipn_status_for(&e)),
    };
    let reference = signed.reference().to_string();
    match settle(&state, Provider::Momo, &reference, |order| {
        signed.check(order)
    })
    .await
    {
        Ok(()) => status(204),
        Err(Settlement::Refused(e)) => status(momo::ipn_status_for(&e)),
        Err(Settlement::Failed(e)) => {
            tracing::error!(error = %e, "recording a MoMo IPN failed");
            status(503)
        }
    }
}

/// ZaloPay's callback: `return_code` 1 recorded, 2 already recorded, -1 bad `mac` or
/// unknown order (nothing credited).
#[utoipa::path(post, path = "/v1/callbacks/zalopay", tag = "callbacks",
    request_body(content = String, content_type = "application/json", description = "`{\"data\", \"mac\", \"type\"}`"),
    responses((status = 200, description = "ZaloPay's reply: `{\"return_code\", \"return_message\"}`")))]
#[post("/v1/callbacks/zalopay")]
pub async fn zalopay_callback(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let signed = match zalopay::verify_callback_body(&body, &state.funding.zalopay_credentials) {
        Ok(signed) => signed,
        Err(e) => return HttpResponse::Ok().json(zalopay::callback_reply_for(&e)),
    };
    let reference = signed.reference().to_string();
    let reply = match settle(&state, Provider::Zalopay, &reference, |order| {
        signed.check(order)
    })
    .await
    {
        Ok(()) => CallbackReply::success(),
        Err(Settlement::Refused(e)) => zalopay::callback_reply_for(&e),
        Err(Settlement::Failed(e)) => {
            tracing::error!(error = %e, "recording a ZaloPay callback failed");
            CallbackReply::retry()
        }
    };
    HttpResponse::Ok().json(reply)
}
