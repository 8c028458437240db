//! `POST /v1/payments` with `{"type": "merchant"}`: a citizen pays a merchant's payment
//! request, named by its id or by its scanned VietQR payload.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use crate::commit::NewPayment;
use crate::error::ApiError;
use crate::merchants::claims;
use crate::merchants::pay;
use crate::routes::citizen::{citizen_key, submit_payment};
use crate::routes::input;
use crate::state::AppState;

/// Longest VietQR payload accepted (a full EMVCo payload is far shorter).
const MAX_QR_CHARS: usize = 512;

fn valid_request_id(id: &str) -> bool {
    id.len() > 4
        && id.len() <= 24
        && id.starts_with("req_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

pub async fn create_merchant_payment(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    value: &Value,
    map: &Map<String, Value>,
) -> Result<HttpResponse, ApiError> {
    let by_id = input::optional_string(map, "payment_request_id", 40)?;
    let by_qr = input::optional_string(map, "qr", MAX_QR_CHARS)?;
    let (request_id, qr_amount) = match (by_id, by_qr) {
        (Some(id), None) if valid_request_id(&id) => (id, None),
        (Some(id), None) => {
            return Err(ApiError::InvalidId {
                kind: "payment request",
                id: id.chars().take(40).collect(),
            })
        }
        (None, Some(payload)) => {
            let (id, amount) = pay::parse_qr(&state.config, &payload)?;
            (id, Some(amount))
        }
        _ => {
            return Err(ApiError::invalid(
                "a merchant payment needs exactly one of payment_request_id or qr",
                json!({ "param": "payment_request_id" }),
            ))
        }
    };
    let (key, caller, home) = citizen_key(req, state, value).await?;
    // A request made on another home shard than the payer's is read there, then
    // claimed there by the payment.
    let payer_shard = state.shard_of_identity(&caller.identity_id);
    let remote = claims::remote_request(state, payer_shard, &request_id).await?;
    let payment = NewPayment::Merchant {
        request_id,
        qr_amount,
        remote,
    };
    submit_payment(&home, key, caller, payment).await
}
