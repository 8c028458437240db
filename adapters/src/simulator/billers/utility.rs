//! What EVN and the water system share: the state, the wire endpoints (inquiry,
//! payment) and the bill read-back of the control API.

use super::book::{BillBook, BillView, BookError, NewBill};
use super::{bad_request, configure_faults, FaultSwitch, HasFaults, Refusal};
use crate::biller::wire::{self, codes, InquiryRequest, PaymentRequest};
use crate::billing::{evn_corporation, find_biller, Biller, BillerKind, PricingError};
use crate::simulator::reply;
use crate::simulator::statements::{self, Profile, Reconciled, TweakStore};
use crate::statement::{StatementEntry, StatementSource};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Longest customer name accepted by the control API.
const MAX_NAME_CHARS: usize = 100;

/// Which utility a state simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum System {
    /// EVN, every power corporation.
    Evn,
    /// The water companies.
    Water,
}

impl System {
    fn id_prefix(self) -> &'static str {
        match self {
            System::Evn => "EVN",
            System::Water => "WTR",
        }
    }

    fn kind(self) -> BillerKind {
        match self {
            System::Evn => BillerKind::Electricity,
            System::Water => BillerKind::Water,
        }
    }

    /// The biller `biller_code` if this system serves it.
    pub(super) fn biller(self, biller_code: &str) -> Result<&'static Biller, Refusal> {
        find_biller(biller_code)
            .filter(|biller| biller.kind == self.kind())
            .ok_or_else(|| bad_request(codes::UNKNOWN_BILLER, "this system serves no such biller"))
    }

    /// The biller, if `customer_code` is one of its customers' codes.
    fn customer_of(
        self,
        biller_code: &str,
        customer_code: &str,
    ) -> Result<&'static Biller, Refusal> {
        let biller = self.biller(biller_code)?;
        let accepted = match self {
            System::Evn => evn_corporation(customer_code)
                .is_ok_and(|corporation| corporation.code() == biller.code),
            System::Water => biller.accepts(customer_code),
        };
        if accepted {
            Ok(biller)
        } else {
            Err(bad_request(
                codes::INVALID_CUSTOMER_CODE,
                format!("not a customer code of {}", biller.code),
            ))
        }
    }
}

/// One utility's shared state.
#[derive(Debug)]
pub(crate) struct UtilityState {
    system: System,
    book: Mutex<BillBook>,
    faults: FaultSwitch,
    tweaks: TweakStore,
}

impl UtilityState {
    pub(crate) fn new(system: System) -> Self {
        UtilityState {
            system,
            book: Mutex::new(BillBook::new(system.id_prefix())),
            faults: FaultSwitch::default(),
            tweaks: TweakStore::default(),
        }
    }

    // Every change to the book is made after all its checks, so a panic while holding
    // the lock cannot leave it half-updated and a poisoned lock is still usable.
    fn book(&self) -> MutexGuard<'_, BillBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn system(&self) -> System {
        self.system
    }
}

impl Reconciled for UtilityState {
    fn profile(&self) -> Profile {
        Profile {
            source: match self.system {
                System::Evn => StatementSource::Evn,
                System::Water => StatementSource::Water,
            },
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

impl HasFaults for UtilityState {
    fn faults(&self) -> &FaultSwitch {
        &self.faults
    }
}

/// The refusal for a refusal of the books.
fn book_error(err: BookError) -> Refusal {
    let (status, code, message) = match err {
        BookError::CustomerNotFound => (
            StatusCode::NOT_FOUND,
            codes::CUSTOMER_NOT_FOUND,
            "no such customer",
        ),
        BookError::BillNotFound => (StatusCode::NOT_FOUND, codes::BILL_NOT_FOUND, "no such bill"),
        BookError::BillExists => (
            StatusCode::CONFLICT,
            "bill_exists",
            "the customer already has a bill for that period",
        ),
        BookError::AlreadyPaid => (
            StatusCode::CONFLICT,
            codes::BILL_ALREADY_PAID,
            "the bill is already paid",
        ),
        BookError::AmountMismatch => (
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::AMOUNT_MISMATCH,
            "the amount is not the bill's amount due",
        ),
        BookError::ReferenceConflict => (
            StatusCode::CONFLICT,
            codes::REFERENCE_CONFLICT,
            "the reference was already used for a different payment",
        ),
    };
    Refusal::new(status, code, message)
}

/// The refusal of a bill that could not be priced.
pub(super) fn pricing_error(err: PricingError) -> Refusal {
    let status = match err {
        PricingError::InvalidPersons => StatusCode::BAD_REQUEST,
        PricingError::TariffNotFound { .. }
        | PricingError::BillerKindMismatch { .. }
        | PricingError::AmountOutOfRange => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Refusal::new(status, err.code(), err.to_string())
}

/// Checks a customer name given to the control API.
pub(super) fn check_name(name: &str) -> Result<(), Refusal> {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(bad_request(
            "invalid_customer_name",
            "customer_name must be 1 to 100 characters",
        ));
    }
    Ok(())
}

/// Checks a metered consumption: a month with none has no bill.
pub(super) fn check_consumption(quantity: u32, field: &str) -> Result<(), Refusal> {
    if quantity == 0 {
        return Err(bad_request(
            "invalid_consumption",
            format!("{field} must be at least 1"),
        ));
    }
    Ok(())
}

/// Issues a priced bill and answers 201 with it.
pub(super) fn issue(state: &UtilityState, bill: NewBill) -> Result<HttpResponse, Refusal> {
    let view = state.book().issue(bill).map_err(book_error)?;
    Ok(HttpResponse::Created().json(view))
}

async fn inquiry(
    state: web::Data<UtilityState>,
    body: web::Json<InquiryRequest>,
) -> Result<HttpResponse, Refusal> {
    state
        .system
        .customer_of(&body.biller_code, &body.customer_code)?;
    let faults = state.faults.for_wire_call()?;
    let result = state.book().latest(&body.biller_code, &body.customer_code);
    tokio::time::sleep(faults.delay()).await;
    Ok(HttpResponse::Ok().json(result.map_err(book_error)?))
}

async fn pay(
    state: web::Data<UtilityState>,
    body: web::Json<PaymentRequest>,
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
    state.system.biller(&body.biller_code)?;
    let faults = state.faults.for_wire_call()?;
    // Recorded before the delay: in timeout mode the bill is cleared although the
    // caller never hears so, which is exactly what its retry must cope with.
    let result = state.book().pay(&body, Utc::now());
    tokio::time::sleep(faults.delay()).await;
    let (answer, replayed) = result.map_err(book_error)?;
    let mut response = HttpResponse::Ok();
    if replayed {
        response.insert_header((wire::REPLAYED_HEADER, "true"));
    }
    Ok(response.json(answer))
}

async fn get_bill(
    state: web::Data<UtilityState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let view: BillView = state.book().view(&path).map_err(book_error)?;
    Ok(HttpResponse::Ok().json(view))
}

/// Mounts the routes both utilities share; each adds its own `POST /bills`.
pub(super) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<UtilityState>) {
    cfg.app_data(state)
        .app_data(reply::json_config())
        .route(wire::INQUIRY_PATH, web::post().to(inquiry))
        .route(wire::PAYMENTS_PATH, web::post().to(pay))
        .route("/bills/{bill_ref}", web::get().to(get_bill));
    configure_faults::<UtilityState>(cfg);
    statements::routes::<UtilityState>(cfg);
}
