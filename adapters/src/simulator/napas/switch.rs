//! The wire endpoints of the simulated switch (see [`crate::bank::wire`]).

use super::book::BookError;
use super::{FaultMode, NapasState};
use crate::bank::wire::{self, codes, InquiryRequest, TransferRequest};
use crate::bank::TransferDirection;
use crate::simulator::reply;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;

/// The answer for a refusal of the books, shared with the control API.
pub(super) fn book_error(err: BookError) -> HttpResponse {
    let (status, code, message) = match err {
        BookError::NotFound => (
            StatusCode::NOT_FOUND,
            codes::ACCOUNT_NOT_FOUND,
            "no such account at this bank",
        ),
        BookError::AlreadyExists => (
            StatusCode::CONFLICT,
            "account_exists",
            "that account already exists",
        ),
        BookError::Closed => (
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::ACCOUNT_CLOSED,
            "the account is closed",
        ),
        BookError::InsufficientFunds => (
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INSUFFICIENT_FUNDS,
            "the balance does not cover the debit",
        ),
        BookError::OutOfRange => (
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::AMOUNT_OUT_OF_RANGE,
            "the credit would overflow the balance",
        ),
        BookError::ReferenceConflict => (
            StatusCode::CONFLICT,
            codes::REFERENCE_CONFLICT,
            "the reference was already used for a different transfer",
        ),
    };
    reply::error(status, code, message)
}

fn unavailable() -> HttpResponse {
    reply::error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::UNAVAILABLE,
        "the bank is not answering",
    )
}

pub(super) async fn inquiry(
    state: web::Data<NapasState>,
    body: web::Json<InquiryRequest>,
) -> HttpResponse {
    let faults = state.faults();
    if faults.mode == FaultMode::Unavailable {
        return unavailable();
    }
    let result = state.book().inquire(&body.bank_bin, &body.account_number);
    tokio::time::sleep(faults.delay()).await;
    match result {
        Ok(answer) => HttpResponse::Ok().json(answer),
        Err(err) => book_error(err),
    }
}

pub(super) async fn debit(
    state: web::Data<NapasState>,
    body: web::Json<TransferRequest>,
) -> HttpResponse {
    transfer(TransferDirection::Debit, &state, &body).await
}

pub(super) async fn credit(
    state: web::Data<NapasState>,
    body: web::Json<TransferRequest>,
) -> HttpResponse {
    transfer(TransferDirection::Credit, &state, &body).await
}

async fn transfer(
    direction: TransferDirection,
    state: &NapasState,
    request: &TransferRequest,
) -> HttpResponse {
    if !wire::is_valid_amount(request.amount) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            codes::INVALID_AMOUNT,
            "amount must be a whole number of dong from 1 to 10^15",
        );
    }
    if !wire::is_valid_reference(request.reference.as_str()) {
        return reply::error(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REFERENCE,
            "reference must be 1 to 64 printable ASCII characters",
        );
    }
    let faults = state.faults();
    if faults.mode == FaultMode::Unavailable {
        return unavailable();
    }
    // Applied before the delay: in timeout mode the money has moved although the
    // caller never hears so, which is exactly what its retry must cope with.
    let result = state.book().apply(direction, request, Utc::now());
    tokio::time::sleep(faults.delay()).await;
    match result {
        Ok((receipt, replayed)) => {
            let mut response = HttpResponse::Ok();
            if replayed {
                response.insert_header((wire::REPLAYED_HEADER, "true"));
            }
            response.json(receipt)
        }
        Err(err) => book_error(err),
    }
}
