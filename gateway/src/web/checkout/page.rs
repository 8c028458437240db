//! `GET /checkout/{id}`: the page itself, and its QR image.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::text::{Lang, Text};
use crate::db;
use crate::payments::model::PaymentStatus;
use crate::payments::store as payments;
use crate::state::AppState;
use crate::web::page::{render, Audience, PageError};

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    /// A payment of this request that waits for the payer's biometric step-up (the
    /// demo wallet sends the payer here with it).
    step_up: Option<String>,
    /// Why the demo wallet could not pay (an error code of the API).
    wallet_error: Option<String>,
}

/// The step-up the page offers: the payment to confirm.
pub struct StepUpOffer {
    pub payment_id: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    lang: &'static str,
    t: &'static Text,
    other_lang_href: String,
    request_id: String,
    merchant_name: String,
    amount: String,
    order_ref: String,
    description: Option<String>,
    bank_name: String,
    account: String,
    expires_at: String,
    status: &'static str,
    status_label: &'static str,
    is_final: bool,
    return_to: Option<String>,
    demo_wallet: bool,
    step_up: Option<StepUpOffer>,
    wallet_error: Option<String>,
}

/// An error code is shown only if it looks like one of ours.
fn error_code(raw: Option<&str>) -> Option<String> {
    raw.filter(|c| {
        !c.is_empty() && c.len() <= 48 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
    .map(str::to_string)
}

#[get("/checkout/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let checkout = super::load(&state, &path, Utc::now()).await?;
    let request = &checkout.request;
    // Only a payment of this very request, still waiting for its step-up, is offered.
    let step_up = match query.step_up.clone() {
        Some(payment_id) if state.config.demo && !checkout.is_final() => {
            let request_id = request.id.clone();
            db::run(&state, move |conn| {
                Ok(payments::find(conn, &payment_id)?.filter(|p| {
                    p.payment_request_id.as_deref() == Some(request_id.as_str())
                        && p.status() == Some(PaymentStatus::RequiresStepUp)
                }))
            })
            .await?
            .map(|p| StepUpOffer { payment_id: p.id })
        }
        _ => None,
    };
    let base = format!("/checkout/{}", request.id);
    let other_lang_href = match lang {
        Lang::Vi => format!("{base}?lang=en"),
        Lang::En => base,
    };
    let config = &state.config;
    let page = CheckoutPage {
        lang: lang.code(),
        t: lang.text(),
        other_lang_href,
        request_id: request.id.clone(),
        merchant_name: checkout.merchant_name.clone(),
        amount: lang.amount(request.amount),
        order_ref: request.order_ref.clone(),
        description: request.description.clone(),
        bank_name: adapters::bank::bank_name(&config.qr_bank_bin)
            .unwrap_or(config.qr_bank_bin.as_str())
            .to_string(),
        account: config.qr_account.clone(),
        expires_at: request.expires_at.to_rfc3339(),
        status: checkout.status.as_str(),
        status_label: lang.status(checkout.status),
        is_final: checkout.is_final(),
        return_to: checkout.return_to(),
        demo_wallet: config.demo,
        step_up,
        wallet_error: error_code(query.wallet_error.as_deref()),
    };
    Ok(render(StatusCode::OK, Audience::Payer, &page)?)
}

/// The request's VietQR as a PNG.
#[get("/checkout/{id}/qr.png")]
pub async fn qr(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let checkout = super::load(&state, &path, Utc::now()).await?;
    let png = crate::web::qr_image::png(&checkout.request.qr)?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(png))
}
