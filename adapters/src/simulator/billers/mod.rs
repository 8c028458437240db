//! The biller simulators: EVN under `/evn`, the water companies (HAWACO, SAWACO) under
//! `/water`, Vietnam Social Security under `/vss`. Each serves the wire endpoints of
//! [`crate::biller::wire`] (what [`crate::biller::HttpBillerAdapter`] calls) from
//! in-memory state, plus a control API for tests and demos.
//!
//! Control API of `/evn` and `/water`:
//! - `POST /evn/bills` `{"customer_code", "customer_name", "period": "YYYY-MM",
//!   "kwh", "household"?}` and `POST /water/bills` `{"biller_code", "customer_code",
//!   "customer_name", "period", "m3", "persons"?, "household"?}` (persons default 1)
//!   → 201 the bill (below), priced with [`crate::billing::price_electricity_for`] /
//!   [`crate::billing::price_water_for`] by the tariffs in force over the month (split
//!   by days where the price changed inside it). `household` is the customer's status
//!   in the poverty register, `"none"`, `"poor"` or `"near_poor"` (absent: none): poor
//!   and near-poor households pay a water company's social prices, and a poor
//!   household's EVN bill shows EVN's support in `details.notes` without changing the
//!   amount due; the bill's `details.household` shows the status (absent for none). 400
//!   `invalid_customer_code` / `unknown_customer_code_prefix` / `unknown_biller` /
//!   `invalid_period` / `invalid_consumption` / `invalid_persons` /
//!   `invalid_customer_name` / `invalid_request` (a body that is not this JSON, an
//!   unknown `household` included), 409 `bill_exists` (one bill per customer and period),
//!   422 `tariff_not_found`.
//! - `GET /evn/bills/{bill_ref}` (same under `/water`) → 200 `{...the inquiry
//!   statement..., "lines", "payment": null | {...the payment answer...}}`, or 404
//!   `bill_not_found`.
//!
//! Control API of `/vss`: `GET /vss/contributions/{cccd}` → 200 `{"data": [...the
//! contribution answers, CCCD masked...], "has_more": false}` in recording order (400
//! `invalid_cccd`).
//!
//! Statements, for each of the three: `GET .../statements/{YYYY-MM-DD}` and
//! `.../statements/tweaks` ([`super::statements`]): the collection list of the bills
//! cleared and contributions recorded on that Vietnam day, with the biller code of each.
//!
//! Faults, for each of the three: `POST .../faults` `{"mode":
//! "none"|"timeout"|"unavailable", "delay_ms"?}` → 200 the faults now in force; `GET
//! .../faults` reads them. Same meaning as NAPAS's ([`super::napas`]): `unavailable`
//! answers every wire call 503 `unavailable` and records nothing; `timeout` records,
//! then answers after `delay_ms` (default 30,000), so the caller's retry with the same
//! reference must be answered from the record.

mod book;
mod evn;
mod utility;
mod vss;
mod water;

#[cfg(test)]
mod tests;

use super::napas::{FaultMode, Faults};
use super::reply;
use crate::biller::wire::codes;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// The gateway's name at the billers as a collection partner, in their statement files.
const COLLECTION_PARTNER: &str = "CCCDPAY";

/// The state of the three biller simulators, one per [`super::Simulators`].
#[derive(Debug, Clone)]
pub(crate) struct BillerSimulators {
    evn: web::Data<utility::UtilityState>,
    water: web::Data<utility::UtilityState>,
    vss: web::Data<vss::VssState>,
}

impl BillerSimulators {
    /// Fresh simulators: no customers, no bills, no contributions, no faults.
    pub(crate) fn new() -> Self {
        BillerSimulators {
            evn: web::Data::new(utility::UtilityState::new(utility::System::Evn)),
            water: web::Data::new(utility::UtilityState::new(utility::System::Water)),
            vss: web::Data::new(vss::VssState::default()),
        }
    }

    /// Mounts `/evn`, `/water` and `/vss`.
    pub(crate) fn configure(&self, cfg: &mut web::ServiceConfig) {
        let evn = self.evn.clone();
        let water = self.water.clone();
        let vss = self.vss.clone();
        cfg.service(web::scope("/evn").configure(|c| evn::configure(c, evn)))
            .service(web::scope("/water").configure(|c| water::configure(c, water)))
            .service(web::scope("/vss").configure(|c| vss::configure(c, vss)));
    }
}

/// The faults in force at one simulator.
#[derive(Debug, Default)]
pub(crate) struct FaultSwitch(Mutex<Faults>);

impl FaultSwitch {
    // Faults are a plain copyable value, so a poisoned lock still holds a whole one.
    fn get(&self) -> Faults {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, faults: Faults) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// The faults for a wire call, or the 503 refusal when the system is down.
    fn for_wire_call(&self) -> Result<Faults, Refusal> {
        let faults = self.get();
        if faults.mode == FaultMode::Unavailable {
            return Err(Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::UNAVAILABLE,
                "the biller is not answering",
            ));
        }
        Ok(faults)
    }
}

/// A simulator state with a fault switch, so the fault routes are written once.
pub(crate) trait HasFaults: Send + Sync + 'static {
    /// The simulator's switch.
    fn faults(&self) -> &FaultSwitch;
}

async fn set_faults<S: HasFaults>(state: web::Data<S>, body: web::Json<Faults>) -> HttpResponse {
    let faults = body.into_inner();
    state.faults().set(faults);
    HttpResponse::Ok().json(faults)
}

async fn get_faults<S: HasFaults>(state: web::Data<S>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults().get())
}

/// Mounts `POST /faults` and `GET /faults` for a simulator.
fn configure_faults<S: HasFaults>(cfg: &mut web::ServiceConfig) {
    cfg.route("/faults", web::post().to(set_faults::<S>))
        .route("/faults", web::get().to(get_faults::<S>));
}

/// A refused request, answered `{"error": {"code", "message"}}` by actix at the
/// handler's edge, so checks can use `?` (an `HttpResponse` is too big for an `Err`).
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        reply::error(self.status, self.code, self.message.as_str())
    }
}

/// A refusal of invalid input.
fn bad_request(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, code, message)
}
