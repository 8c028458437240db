//! The NAPAS 247 simulator: in-memory accounts at every bank, the wire endpoints of
//! [`crate::bank::wire`] (what [`crate::bank::HttpBankAdapter`] calls), and a control
//! API for tests and demos. All paths are under `/napas`.
//!
//! Control API:
//! - `POST /accounts` `{"bank_bin", "account_number", "holder_cccd", "holder_name",
//!   "balance"}` → 201 account (400 `invalid_bank_bin` / `invalid_account_number` /
//!   `invalid_cccd` / `invalid_amount`, 409 `account_exists`).
//! - `GET /accounts/{bin}/{number}` → 200 `{"bank_bin", "account_number",
//!   "holder_cccd" (masked), "holder_name", "balance", "status": "open"|"closed"}`, or
//!   404 `account_not_found`.
//! - `POST /accounts/{bin}/{number}/close` → 200 account; inquiries and new transfers
//!   on it then answer 422 `account_closed`.
//! - `POST /faults` `{"mode": "none"|"timeout"|"unavailable", "delay_ms"?}` → 200 the
//!   faults now in force; `GET /faults` reads them. `unavailable`: every wire call
//!   answers 503 `unavailable` and applies nothing. `timeout`: wire calls are applied
//!   at once but answered only after `delay_ms` (default 30,000), the worst case for a
//!   caller, whose retry with the same reference must then be answered from the record.
//!   `none` with `delay_ms`: a slow bank, same behaviour with a caller-chosen delay.
//! - `GET /statements/{YYYY-MM-DD}` and `/statements/tweaks`: the NAPAS reconciliation
//!   file and the control of its disagreements ([`super::statements`]). It lists every
//!   applied debit and credit, and the ones refused for insufficient funds or a closed
//!   account as failed, with the amount asked; a refused reference retried and applied
//!   is listed twice, failed then settled.

mod book;
mod control;
mod switch;

#[cfg(test)]
mod tests;

use super::statements::{self, Profile, Reconciled, TweakStore};
use crate::statement::{StatementEntry, StatementSource};
use actix_web::web;
use book::Book;
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long `timeout` mode holds an answer unless `delay_ms` says otherwise: longer
/// than any sane client timeout.
pub const DEFAULT_TIMEOUT_DELAY_MS: u64 = 30_000;

/// The longest delay a test may ask for, so a typo cannot park requests for days.
pub const MAX_DELAY_MS: u64 = 600_000;

/// What the simulated switch does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultMode {
    /// Behave.
    #[default]
    None,
    /// Apply, then answer too late.
    Timeout,
    /// Answer 503 at once, apply nothing.
    Unavailable,
}

/// The faults in force: the body of `POST /napas/faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Faults {
    /// The mode.
    pub mode: FaultMode,
    /// Delay before each wire answer, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl Faults {
    /// The delay each wire answer gets under these faults.
    pub fn delay(&self) -> Duration {
        let ms = match (self.mode, self.delay_ms) {
            (FaultMode::Unavailable, _) => 0,
            (_, Some(ms)) => ms,
            (FaultMode::Timeout, None) => DEFAULT_TIMEOUT_DELAY_MS,
            (FaultMode::None, None) => 0,
        };
        Duration::from_millis(ms.min(MAX_DELAY_MS))
    }
}

/// The simulator's shared state, one per [`super::Simulators`].
#[derive(Debug, Default)]
pub(crate) struct NapasState {
    book: Mutex<Book>,
    faults: Mutex<Faults>,
    tweaks: TweakStore,
}

impl NapasState {
    // A panic while holding a lock cannot leave the book half-updated (every change is
    // a single assignment after all checks), so a poisoned lock is still usable.
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> Faults {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }
}

impl Reconciled for NapasState {
    fn profile(&self) -> Profile {
        Profile {
            source: StatementSource::Napas,
            account: crate::statement::NAPAS_MEMBER_CODE.to_owned(),
        }
    }

    fn entries(&self) -> Vec<StatementEntry> {
        self.book().statement_entries()
    }

    fn tweaks(&self) -> &TweakStore {
        &self.tweaks
    }
}

/// Mounts the NAPAS routes; the caller puts them under `/napas`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<NapasState>) {
    cfg.app_data(state)
        .app_data(super::reply::json_config())
        .route(
            crate::bank::wire::INQUIRY_PATH,
            web::post().to(switch::inquiry),
        )
        .route(
            crate::bank::wire::DEBITS_PATH,
            web::post().to(switch::debit),
        )
        .route(
            crate::bank::wire::CREDITS_PATH,
            web::post().to(switch::credit),
        )
        .route("/accounts", web::post().to(control::open_account))
        .route(
            "/accounts/{bin}/{number}",
            web::get().to(control::get_account),
        )
        .route(
            "/accounts/{bin}/{number}/close",
            web::post().to(control::close_account),
        )
        .route("/faults", web::post().to(control::set_faults))
        .route("/faults", web::get().to(control::get_faults));
    statements::routes::<NapasState>(cfg);
}
