//! The EVN simulator: residential electricity bills of every power corporation,
//! priced by the EVN tariff in force for the period. All paths are under `/evn`.

use super::book::NewBill;
use super::utility::{self, check_consumption, check_name, pricing_error, UtilityState};
use super::{bad_request, Refusal};
use crate::biller::{BillDetails, MeterUnit};
use crate::billing::{
    evn_corporation, price_electricity_for, BillerKind, BillingPeriod, HouseholdStatus,
    PeriodError, TariffTable,
};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Body of `POST /evn/bills`.
#[derive(Deserialize)]
struct CreateBill {
    customer_code: String,
    customer_name: String,
    period: String,
    kwh: u32,
    /// The customer's status in the poverty register; ordinary when absent. A poor
    /// household's bill shows EVN's support, which does not change the amount due.
    household: Option<HouseholdStatus>,
}

async fn create_bill(
    state: web::Data<UtilityState>,
    body: web::Json<CreateBill>,
) -> Result<HttpResponse, Refusal> {
    let body = body.into_inner();
    // The corporation, and so the biller, is read from the code's prefix.
    let corporation = evn_corporation(&body.customer_code)
        .map_err(|err| bad_request(err.code(), err.to_string()))?;
    check_name(&body.customer_name)?;
    let period: BillingPeriod = body
        .period
        .parse()
        .map_err(|err: PeriodError| bad_request(err.code(), err.to_string()))?;
    check_consumption(body.kwh, "kwh")?;
    let household = body.household.unwrap_or_default();
    let pricing = price_electricity_for(body.kwh, period.into(), household, TariffTable::vietnam())
        .map_err(pricing_error)?;
    let bill = NewBill {
        biller_code: corporation.code().to_owned(),
        customer_code: body.customer_code,
        customer_name: body.customer_name.trim().to_owned(),
        period,
        details: BillDetails {
            kind: BillerKind::Electricity,
            unit: MeterUnit::Kwh,
            consumption: body.kwh,
            persons: None,
            pricing,
        },
    };
    utility::issue(&state, bill)
}

/// Mounts the EVN routes; the caller puts them under `/evn`.
pub(super) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<UtilityState>) {
    utility::configure(cfg, state);
    cfg.route("/bills", web::post().to(create_bill));
}
