//! The hosted checkout page of a payment request (`checkout_url`): public, so it
//! shows what the payer needs and nothing personal (no CCCD number, no payer name).
//!
//! - `page`: the merchant, the amount, the VietQR and the account it pays, a
//!   countdown, the status as it changes, and the way back to the merchant;
//! - `status`: what the page polls;
//! - `wallet`: demo mode's "Pay with my VNeID wallet".

mod page;
mod status;
pub mod text;
mod wallet;

use actix_web::web;
use chrono::{DateTime, Utc};

use crate::db;
use crate::error::ApiError;
use crate::merchants::requests::{self, RequestRow, RequestStatus};
use crate::merchants::store;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page::show)
        .service(page::qr)
        .service(status::poll)
        .service(wallet::pay)
        .service(wallet::confirm);
}

/// A request as its checkout page shows it.
pub struct Checkout {
    pub request: RequestRow,
    pub merchant_name: String,
    pub status: RequestStatus,
}

impl Checkout {
    /// Whether the page has nothing more to wait for: anything but open.
    pub fn is_final(&self) -> bool {
        self.status != RequestStatus::Open
    }

    /// Where the page sends the payer once final: the merchant's `return_url` with the
    /// request id and status in the query.
    pub fn return_to(&self) -> Option<String> {
        if !self.is_final() {
            return None;
        }
        let mut url = reqwest::Url::parse(self.request.return_url.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("payment_request_id", &self.request.id)
            .append_pair("status", self.status.as_str());
        Some(url.to_string())
    }
}

/// Whether `id` looks like a request id at all (anything else is simply not found).
fn plausible_id(id: &str) -> bool {
    id.len() > 4
        && id.len() <= 24
        && id.starts_with("req_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The request and its merchant's name, its status as of `now`.
pub async fn load(state: &AppState, id: &str, now: DateTime<Utc>) -> Result<Checkout, ApiError> {
    if !plausible_id(id) {
        return Err(ApiError::NotFound("payment request"));
    }
    let (request, merchant) = if state.routes_citizens() {
        // On its own shard, or with its payment on the payer's; the merchant's record
        // is on every shard.
        let (home, request) = crate::merchants::claims::locate(state, id).await?;
        let merchant_id = request.merchant_id.clone();
        let merchant = db::run(&home, move |conn| store::find(conn, &merchant_id))
            .await?
            .ok_or_else(|| ApiError::Internal("a request of a missing merchant".into()))?;
        (request, merchant)
    } else {
        let id = id.to_string();
        db::run(state, move |conn| {
            let request =
                requests::find(conn, &id)?.ok_or(ApiError::NotFound("payment request"))?;
            let merchant = store::find(conn, &request.merchant_id)?
                .ok_or_else(|| ApiError::Internal("a request of a missing merchant".into()))?;
            Ok((request, merchant))
        })
        .await?
    };
    let status = request.status_at(now)?;
    Ok(Checkout {
        request,
        merchant_name: merchant.name,
        status,
    })
}
