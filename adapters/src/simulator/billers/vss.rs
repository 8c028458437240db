//! The Vietnam Social Security simulator: records insurance contributions, once per
//! reference, keyed by the insured person's number. All paths are under `/vss`.
//!
//! The full number is only a map key and a comparison here; every answer masks it and
//! nothing is logged.

use super::{bad_request, configure_faults, FaultSwitch, HasFaults, Refusal};
use crate::biller::vss_biller_code;
use crate::biller::wire::{self, codes, ContributionRequest, ContributionResponse};
use crate::billing::insurance::ALLOWED_MONTHS;
use crate::identity::Cccd;
use crate::simulator::reply;
use crate::simulator::statements::{self, Profile, Reconciled, TweakStore};
use crate::statement::{LineStatus, StatementEntry, StatementSource};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Why a contribution was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContributionError {
    ReferenceConflict,
}

#[derive(Debug, Clone)]
struct Recorded {
    request: ContributionRequest,
    answer: ContributionResponse,
    at: DateTime<Utc>,
}

/// Every contribution recorded, by reference and by insured person.
#[derive(Debug, Default)]
pub(super) struct ContributionBook {
    recorded: HashMap<String, Recorded>,
    by_insured: HashMap<String, Vec<String>>,
}

impl ContributionBook {
    /// Records a contribution at most once per reference. Returns the answer and
    /// whether it is a replay of an earlier identical request. The caller has checked
    /// the request.
    pub(super) fn record(
        &mut self,
        request: &ContributionRequest,
        insured: &Cccd,
        now: DateTime<Utc>,
    ) -> Result<(ContributionResponse, bool), ContributionError> {
        if let Some(recorded) = self.recorded.get(&request.reference) {
            if recorded.request == *request {
                return Ok((recorded.answer.clone(), true));
            }
            return Err(ContributionError::ReferenceConflict);
        }
        let receipt_no = format!("VSS{}{:08}", now.format("%Y%m%d"), self.recorded.len() + 1);
        let answer = ContributionResponse {
            reference: request.reference.clone(),
            scheme: request.scheme,
            biller_code: vss_biller_code(request.scheme).to_owned(),
            insured_cccd: insured.masked(),
            amount: request.amount,
            months: request.months,
            receipt_no,
            recorded_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        self.recorded.insert(
            request.reference.clone(),
            Recorded {
                request: request.clone(),
                answer: answer.clone(),
                at: now,
            },
        );
        self.by_insured
            .entry(insured.expose().to_owned())
            .or_default()
            .push(request.reference.clone());
        Ok((answer, false))
    }

    /// Every contribution as a statement entry, the insured's number masked.
    pub(super) fn statement_entries(&self) -> Vec<StatementEntry> {
        self.recorded
            .values()
            .map(|recorded| StatementEntry {
                reference: recorded.answer.reference.clone(),
                their_id: Some(recorded.answer.receipt_no.clone()),
                amount: recorded.answer.amount,
                status: LineStatus::Settled,
                at: recorded.at,
                party: Some(recorded.answer.biller_code.clone()),
                bank_bin: None,
                account: Some(recorded.answer.insured_cccd.clone()),
                bill_ref: None,
                result_code: None,
            })
            .collect()
    }

    /// The person's contributions in recording order.
    pub(super) fn of(&self, insured: &Cccd) -> Vec<ContributionResponse> {
        self.by_insured
            .get(insured.expose())
            .into_iter()
            .flatten()
            .filter_map(|reference| self.recorded.get(reference))
            .map(|recorded| recorded.answer.clone())
            .collect()
    }
}

/// The VSS simulator's shared state.
#[derive(Debug, Default)]
pub(crate) struct VssState {
    book: Mutex<ContributionBook>,
    faults: FaultSwitch,
    tweaks: TweakStore,
}

impl VssState {
    // Each change is one pair of inserts after every check, so a poisoned lock still
    // holds consistent books.
    fn book(&self) -> MutexGuard<'_, ContributionBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Reconciled for VssState {
    fn profile(&self) -> Profile {
        Profile {
            source: StatementSource::Vss,
            account: super::COLLECTION_PARTNER.to_owned(),
        }
    }

    fn entries(&self) -> Vec<StatementEntry> {
        self.book().statement_entries()
    }

    fn tweaks(&self) -> &TweakStore {
        &self.tweaks
    }
}

impl HasFaults for VssState {
    fn faults(&self) -> &FaultSwitch {
        &self.faults
    }
}

#[derive(Serialize)]
struct ContributionList {
    data: Vec<ContributionResponse>,
    has_more: bool,
}

fn invalid_cccd(err: crate::identity::CccdError) -> Refusal {
    // The error carries no part of the number, so its message is safe to return.
    bad_request(codes::INVALID_CCCD, err.to_string())
}

async fn contribute(
    state: web::Data<VssState>,
    body: web::Json<ContributionRequest>,
) -> Result<HttpResponse, Refusal> {
    if !wire::is_valid_amount(body.amount) {
        return Err(bad_request(
            codes::INVALID_AMOUNT,
            "amount must be a whole number of dong from 1 to 10^15",
        ));
    }
    if !wire::is_valid_reference(&body.reference) {
        return Err(bad_request(
            codes::INVALID_REFERENCE,
            "reference must be 1 to 64 printable ASCII characters",
        ));
    }
    if !ALLOWED_MONTHS.contains(&body.months) {
        return Err(bad_request(
            codes::INVALID_MONTHS,
            "months must be 1, 3, 6 or 12",
        ));
    }
    let insured = Cccd::parse(&body.insured_cccd).map_err(invalid_cccd)?;
    let faults = state.faults.for_wire_call()?;
    // Recorded before the delay, as the utilities do (see the module doc of `super`).
    let result = state.book().record(&body, &insured, Utc::now());
    tokio::time::sleep(faults.delay()).await;
    let (answer, replayed) = result.map_err(|ContributionError::ReferenceConflict| {
        Refusal::new(
            StatusCode::CONFLICT,
            codes::REFERENCE_CONFLICT,
            "the reference was already used for a different contribution",
        )
    })?;
    let mut response = HttpResponse::Ok();
    if replayed {
        response.insert_header((wire::REPLAYED_HEADER, "true"));
    }
    Ok(response.json(answer))
}

async fn list(
    state: web::Data<VssState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let insured = Cccd::parse(&path).map_err(invalid_cccd)?;
    let data = state.book().of(&insured);
    Ok(HttpResponse::Ok().json(ContributionList {
        data,
        has_more: false,
    }))
}

/// Mounts the VSS routes; the caller puts them under `/vss`.
pub(super) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<VssState>) {
    cfg.app_data(state)
        .app_data(reply::json_config())
        .route(wire::CONTRIBUTIONS_PATH, web::post().to(contribute))
        .route("/contributions/{cccd}", web::get().to(list));
    configure_faults::<VssState>(cfg);
    statements::routes::<VssState>(cfg);
}
