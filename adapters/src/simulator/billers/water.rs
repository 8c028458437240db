//! The water simulator: domestic water bills of HAWACO and SAWACO, priced by each
//! company's tariff in force for the period. All paths are under `/water`.

use super::book::NewBill;
use super::utility::{self, check_consumption, check_name, pricing_error, UtilityState};
use super::{bad_request, Refusal};
use crate::biller::wire::codes;
use crate::biller::{BillDetails, MeterUnit};
use crate::billing::{
    price_water_for, BillerKind, BillingPeriod, HouseholdStatus, PeriodError, TariffTable,
};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Body of `POST /water/bills`.
#[derive(Deserialize)]
struct CreateBill {
    biller_code: String,
    customer_code: String,
    customer_name: String,
    period: String,
    m3: u32,
    /// People on the connection; only per-person tariffs (HCMC) use it.
    persons: Option<u32>,
    /// The customer's status in the poverty register; ordinary when absent. Poor and
    /// near-poor households pay the company's social prices.
    household: Option<HouseholdStatus>,
}

async fn create_bill(
    state: web::Data<UtilityState>,
    body: web::Json<CreateBill>,
) -> Result<HttpResponse, Refusal> {
    let body = body.into_inner();
    let biller = state.system().biller(&body.biller_code)?;
    if !biller.accepts(&body.customer_code) {
        return Err(bad_request(
            codes::INVALID_CUSTOMER_CODE,
            format!("customer_code must match {}", biller.customer_code_pattern),
        ));
    }
    check_name(&body.customer_name)?;
    let period: BillingPeriod = body
        .period
        .parse()
        .map_err(|err: PeriodError| bad_request(err.code(), err.to_string()))?;
    check_consumption(body.m3, "m3")?;
    // The pricing's own default for callers without a count.
    let persons = body.persons.unwrap_or(1);
    let household = body.household.unwrap_or_default();
    let pricing = price_water_for(
        biller,
        body.m3,
        persons,
        period.into(),
        household,
        TariffTable::vietnam(),
    )
    .map_err(pricing_error)?;
    let bill = NewBill {
        biller_code: biller.code.to_owned(),
        customer_code: body.customer_code,
        customer_name: body.customer_name.trim().to_owned(),
        period,
        details: BillDetails {
            kind: BillerKind::Water,
            unit: MeterUnit::CubicMetre,
            consumption: body.m3,
            persons: Some(persons),
            pricing,
        },
    };
    utility::issue(&state, bill)
}

/// Mounts the water routes; the caller puts them under `/water`.
pub(super) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<UtilityState>) {
    utility::configure(cfg, state);
    cfg.route("/bills", web::post().to(create_bill));
}
