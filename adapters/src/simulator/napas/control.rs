//! The control API of the NAPAS simulator, for tests and demos.

use super::switch::book_error;
use super::{Faults, NapasState};
use crate::bank::{is_bin_shaped, wire};
use crate::identity::Cccd;
use crate::simulator::reply;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Longest account number accepted; Vietnamese account numbers are far shorter.
const MAX_ACCOUNT_NUMBER_LEN: usize = 32;

/// Body of `POST /napas/accounts`.
#[derive(Deserialize)]
pub(super) struct OpenAccount {
    bank_bin: String,
    account_number: String,
    holder_cccd: String,
    holder_name: String,
    balance: i64,
}

fn is_account_number(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= MAX_ACCOUNT_NUMBER_LEN
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(super) async fn open_account(
    state: web::Data<NapasState>,
    body: web::Json<OpenAccount>,
) -> HttpResponse {
    let body = body.into_inner();
    if !is_bin_shaped(&body.bank_bin) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_bank_bin",
            "bank_bin must be 6 digits",
        );
    }
    if !is_account_number(&body.account_number) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_account_number",
            "account_number must be 1 to 32 letters or digits",
        );
    }
    let holder_cccd = match Cccd::parse(&body.holder_cccd) {
        Ok(cccd) => cccd,
        Err(err) => return reply::error(StatusCode::BAD_REQUEST, err.code(), err.to_string()),
    };
    if !(0..=wire::MAX_AMOUNT).contains(&body.balance) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            wire::codes::INVALID_AMOUNT,
            "balance must be a whole number of dong from 0 to 10^15",
        );
    }
    let opened = state.book().open(
        &body.bank_bin,
        &body.account_number,
        holder_cccd,
        body.holder_name,
        body.balance,
    );
    match opened {
        Ok(view) => HttpResponse::Created().json(view),
        Err(err) => book_error(err),
    }
}

pub(super) async fn get_account(
    state: web::Data<NapasState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (bin, number) = path.into_inner();
    match state.book().view(&bin, &number) {
        Ok(view) => HttpResponse::Ok().json(view),
        Err(err) => book_error(err),
    }
}

pub(super) async fn close_account(
    state: web::Data<NapasState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (bin, number) = path.into_inner();
    match state.book().close(&bin, &number) {
        Ok(view) => HttpResponse::Ok().json(view),
        Err(err) => book_error(err),
    }
}

pub(super) async fn set_faults(
    state: web::Data<NapasState>,
    body: web::Json<Faults>,
) -> HttpResponse {
    let faults = body.into_inner();
    state.set_faults(faults);
    HttpResponse::Ok().json(faults)
}

pub(super) async fn get_faults(state: web::Data<NapasState>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults())
}
