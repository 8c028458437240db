//! Each simulator's daily statement file ([`crate::statement`] writes and parses the
//! formats), and a control API that makes the file disagree with what really happened,
//! for the gateway's reconciliation tests and demos. One implementation serves all
//! seven systems: each simulator's state implements [`Reconciled`] (its records as
//! statement entries, and a [`TweakStore`]) and mounts [`routes`].
//!
//! Under each prefix (`/napas`, `/vnpay`, `/momo`, `/zalopay`, `/evn`, `/water`, `/vss`):
//! - `GET /statements/{YYYY-MM-DD}` → 200 the file of that business day (the Vietnam
//!   date, UTC+7, of when each transaction happened at the system), with the system's
//!   `Content-Type` and `Content-Disposition: attachment; filename="..."`. A day with
//!   nothing is a valid file with header and trailer only. 400 `invalid_date` for
//!   anything but a `YYYY-MM-DD` date; 404 `statement_not_ready` for a day after today
//!   (Vietnam time): the system has not produced that file yet.
//! - `POST /statements/tweaks` `{"reference", "change": "omit"|"duplicate"|"amount"|
//!   "status"|"add", "amount"?, "status"?: "settled"|"failed", "party"?}` → 201
//!   `{"tweaks": [...]}` (every tweak in force, oldest first). `omit` drops the
//!   reference's lines; `duplicate` lists each of them twice; `amount` reports `amount`
//!   (required) instead; `status` reports `status` (required); `add` adds a line the
//!   system never recorded, of `amount` (required) and `status` (default settled), at
//!   the time of the reference's real record if there is one, else at the time of the
//!   tweak (so on today's file). `party` is the direction (`debit`, the default, or
//!   `credit`) of an added NAPAS line, or the biller code of an added biller line
//!   (default the system's first biller). Tweaks apply in the order they were made.
//!   400 `invalid_request` (not this JSON), `unknown_change`, `invalid_reference`,
//!   `invalid_amount`, `invalid_status`, `invalid_party`; 409 `too_many_tweaks`.
//! - `GET /statements/tweaks` → 200 `{"tweaks": [...]}`; `DELETE /statements/tweaks` →
//!   200 `{"tweaks": []}`, the files tell the truth again.

mod tweaks;

#[cfg(test)]
mod tests;

pub(crate) use tweaks::TweakStore;

use super::reply;
use crate::statement::{self, business_date_of, FileHeader, StatementEntry, StatementSource};
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tweaks::TweakError;

/// What a statement needs to know of a system besides its records.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// Which system.
    pub source: StatementSource,
    /// Whose file it is there (the file header's account).
    pub account: String,
}

/// A simulator whose records can be listed on a statement.
pub(crate) trait Reconciled: Send + Sync + 'static {
    /// Which system, and whose file.
    fn profile(&self) -> Profile;
    /// Every transaction the system recorded, any day, in any order.
    fn entries(&self) -> Vec<StatementEntry>;
    /// The tweaks in force.
    fn tweaks(&self) -> &TweakStore;
}

/// Mounts the statement routes on a simulator's scope.
pub(crate) fn routes<S: Reconciled>(cfg: &mut web::ServiceConfig) {
    // Before `{date}`, which would otherwise take "tweaks" for a malformed date.
    cfg.route("/statements/tweaks", web::post().to(add_tweak::<S>))
        .route("/statements/tweaks", web::get().to(list_tweaks::<S>))
        .route("/statements/tweaks", web::delete().to(clear_tweaks::<S>))
        .route("/statements/{date}", web::get().to(statement::<S>));
}

#[derive(Serialize)]
struct TweakList {
    tweaks: Vec<tweaks::Tweak>,
}

/// A date exactly in `YYYY-MM-DD`.
fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|date| date.format("%Y-%m-%d").to_string() == text)
}

async fn statement<S: Reconciled>(state: web::Data<S>, date: web::Path<String>) -> HttpResponse {
    let Some(date) = parse_day(&date) else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "the date must be YYYY-MM-DD",
        );
    };
    let now = Utc::now();
    if date > business_date_of(now) {
        return reply::error(
            StatusCode::NOT_FOUND,
            "statement_not_ready",
            "the file of a day is produced once the day has begun",
        );
    }
    let profile = state.profile();
    let entries = tweaks::apply(state.entries(), &state.tweaks().list(), &profile, date);
    let header = FileHeader {
        business_date: date,
        account: profile.account,
        created_at: now,
    };
    let bytes = match statement::write(profile.source, &header, &entries) {
        Ok(bytes) => bytes,
        Err(err) => {
            return reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "statement_unwritable",
                err.to_string(),
            )
        }
    };
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(statement::file_name(
            profile.source,
            &header,
        ))],
    };
    HttpResponse::Ok()
        .content_type(statement::content_type(profile.source))
        .insert_header(disposition)
        .body(bytes)
}

async fn add_tweak<S: Reconciled>(state: web::Data<S>, body: web::Bytes) -> HttpResponse {
    let profile = state.profile();
    let tweak = match tweaks::Tweak::from_request(&body, profile.source, Utc::now()) {
        Ok(tweak) => tweak,
        Err(err) => return tweak_error(&err),
    };
    match state.tweaks().add(tweak) {
        Ok(tweaks) => HttpResponse::Created().json(TweakList { tweaks }),
        Err(err) => tweak_error(&err),
    }
}

async fn list_tweaks<S: Reconciled>(state: web::Data<S>) -> HttpResponse {
    HttpResponse::Ok().json(TweakList {
        tweaks: state.tweaks().list(),
    })
}

async fn clear_tweaks<S: Reconciled>(state: web::Data<S>) -> HttpResponse {
    state.tweaks().clear();
    HttpResponse::Ok().json(TweakList { tweaks: Vec::new() })
}

fn tweak_error(err: &TweakError) -> HttpResponse {
    let status = match err {
        TweakError::Full => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    reply::error(status, err.code(), err.to_string())
}
