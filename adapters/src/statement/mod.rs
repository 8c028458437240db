//! Daily settlement statements of the outside systems, and their parser: NAPAS 247
//! (bank legs), VNPay, MoMo and ZaloPay (top-up orders), EVN, the water companies and
//! Vietnam Social Security (bill payments and contributions). The gateway fetches each
//! system's file for a business day with [`StatementClient`] and reads it with
//! [`parse`] to reconcile its books against it.
//!
//! Each system has a format of its own, as close to the real one as public
//! information allows; each module says what it follows, or that no spec is public:
//! - NAPAS ([`napas`]): tagged fixed-width `HR`/`DR`/`TR` records, `.dat`.
//! - VNPay ([`vnpay`]): the merchant portal's Vietnamese CSV export, with a BOM.
//! - MoMo ([`momo`]): an English CSV in the MoMo API's own field names.
//! - ZaloPay ([`zalopay`]): a semicolon-separated file in ZaloPay's field names.
//! - EVN, water, VSS ([`billers`]): one pipe-delimited collection list (`bảng kê gạch
//!   nợ`), whose header names the system.
//!
//! Every file has a header naming its system and business day, one detail record per
//! transaction, and a trailer with the count of detail records and the sum of their
//! amounts (failed ones included), which [`parse`] checks.
//!
//! The business day of a transaction is the Vietnam date (UTC+7) of when it happened at
//! that system. The writers ([`write`]) are here, next to the parser, so the
//! simulators and the gateway cannot drift apart; the tests also read hand-written
//! files, so the parser is not only checked against its own writer.

mod billers;
mod client;
mod csv_file;
mod momo;
mod napas;
mod text;
mod vnpay;
mod zalopay;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use client::{StatementClient, StatementTargets, MAX_FILE_BYTES};
pub use napas::{MEMBER_CODE as NAPAS_MEMBER_CODE, MEMBER_NAME as NAPAS_MEMBER_NAME};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The outside system a statement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementSource {
    /// NAPAS 247: debits and credits of citizens' bank accounts.
    Napas,
    /// VNPay top-up orders.
    Vnpay,
    /// MoMo top-up orders.
    Momo,
    /// ZaloPay top-up orders.
    Zalopay,
    /// EVN bill payments, every power corporation.
    Evn,
    /// Water bill payments, every water company.
    Water,
    /// Vietnam Social Security contributions.
    Vss,
}

impl StatementSource {
    /// Every source, in a stable order.
    pub const ALL: [StatementSource; 7] = [
        StatementSource::Napas,
        StatementSource::Vnpay,
        StatementSource::Momo,
        StatementSource::Zalopay,
        StatementSource::Evn,
        StatementSource::Water,
        StatementSource::Vss,
    ];

    /// The snake_case name, also the simulator's path prefix without the slash.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatementSource::Napas => "napas",
            StatementSource::Vnpay => "vnpay",
            StatementSource::Momo => "momo",
            StatementSource::Zalopay => "zalopay",
            StatementSource::Evn => "evn",
            StatementSource::Water => "water",
            StatementSource::Vss => "vss",
        }
    }

    /// The source named `s` ([`StatementSource::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|source| source.as_str() == s)
    }
}

/// What a statement says happened to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// The money moved (the order was paid, the bill cleared).
    Settled,
    /// It was refused or cancelled; no money moved.
    Failed,
}

/// One detail record of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// 1-based line number in the file, for the operator.
    pub line: u32,
    /// The gateway's reference (payment id) as the system recorded it: the payment id
    /// itself, except at ZaloPay where it is the `app_trans_id`, `yyMMdd_<payment id>`.
    pub reference: String,
    /// The system's own transaction id, when it assigned one.
    pub their_id: Option<String>,
    /// Dong.
    pub amount: i64,
    /// Settled or failed.
    pub status: LineStatus,
    /// When it happened at the system.
    pub at: DateTime<Utc>,
    /// NAPAS: `"debit"` or `"credit"` (of the citizen's account); billers: the biller
    /// code (`EVNHANOI`, `HAWACO`, `VSS_BHXH`, ...); providers: `None`.
    pub party: Option<String>,
}

/// A system's statement of one business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Who issued it.
    pub source: StatementSource,
    /// The Vietnam date it covers.
    pub business_date: NaiveDate,
    /// Its detail records, in file order.
    pub lines: Vec<StatementLine>,
}

/// Why a statement could not be had or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The file is not a well-formed statement of the expected system; `line` is the
    /// 1-based line at fault (0 when the file as a whole is).
    #[error("the statement is malformed at line {line}: {reason}")]
    Malformed {
        /// Where.
        line: u32,
        /// What is wrong, for the operator.
        reason: String,
    },
    /// The system could not be reached or answered with an error of its own.
    #[error("the statement server is unavailable: {0}")]
    Unavailable(String),
    /// No answer in time.
    #[error("the statement server did not answer in time")]
    Timeout,
    /// The system has no file for that day (yet).
    #[error("no statement for that day: {0}")]
    NotFound(String),
    /// The system refused the request (its error code).
    #[error("the statement request was refused: {0}")]
    Rejected(String),
}

impl StatementError {
    /// A stable snake_case code for logs, metrics and API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            StatementError::Malformed { .. } => "statement_malformed",
            StatementError::Unavailable(_) => "statement_unavailable",
            StatementError::Timeout => "statement_timeout",
            StatementError::NotFound(_) => "statement_not_found",
            StatementError::Rejected(_) => "statement_rejected",
        }
    }

    /// Whether asking again later may succeed. A missing file is not retryable at once:
    /// the system publishes it after the day ends, so the caller schedules a later try.
    pub const fn is_retryable(&self) -> bool {
        matches!(
            self,
            StatementError::Unavailable(_) | StatementError::Timeout
        )
    }
}

/// Parses a file of `source` (as fetched or as an operator uploaded it). Checks the
/// header names this source, the trailer's count and total match the lines, and (for
/// NAPAS) the record and file checksums. Never panics; anything else is
/// [`StatementError::Malformed`] naming the line.
pub fn parse(source: StatementSource, bytes: &[u8]) -> Result<Statement, StatementError> {
    match source {
        StatementSource::Napas => napas::parse(bytes),
        StatementSource::Vnpay => vnpay::parse(bytes),
        StatementSource::Momo => momo::parse(bytes),
        StatementSource::Zalopay => zalopay::parse(bytes),
        StatementSource::Evn | StatementSource::Water | StatementSource::Vss => {
            billers::parse(source, bytes)
        }
    }
}

/// One transaction as a system lists it, before it is written in the system's format.
/// Fields a format has no place for are ignored by its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    /// The gateway's reference as the system recorded it.
    pub reference: String,
    /// The system's transaction id, if it assigned one.
    pub their_id: Option<String>,
    /// Dong.
    pub amount: i64,
    /// Settled or failed.
    pub status: LineStatus,
    /// When it happened at the system.
    pub at: DateTime<Utc>,
    /// NAPAS: `"debit"` or `"credit"`; billers: the biller code.
    pub party: Option<String>,
    /// NAPAS: the BIN of the citizen's bank.
    pub bank_bin: Option<String>,
    /// NAPAS: the citizen's account number, masked; billers: the customer code (VSS:
    /// the insured's masked number).
    pub account: Option<String>,
    /// Billers: the bill paid.
    pub bill_ref: Option<String>,
    /// The system's own code for the outcome when it is not the default one for the
    /// status (a NAPAS response code, VNPay `vnp_ResponseCode`, MoMo `resultCode`,
    /// ZaloPay `sub_return_code`).
    pub result_code: Option<String>,
}

/// What the header and trailer of a file say besides its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// The Vietnam date the file covers.
    pub business_date: NaiveDate,
    /// Whose file it is at the system: the NAPAS member code, the VNPay `vnp_TmnCode`,
    /// the MoMo `partnerCode`, the ZaloPay `app_id`, the billers' collection partner.
    pub account: String,
    /// When the system produced it.
    pub created_at: DateTime<Utc>,
}

/// Why a file could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// A value does not fit its fixed-width field, or a required value is missing.
    #[error("{field} cannot be written: {reason}")]
    Field {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The encoder failed.
    #[error("the file could not be encoded")]
    Encoding,
}

/// Writes `entries` (all of `header.business_date`, in order) as `source`'s file.
pub fn write(
    source: StatementSource,
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    match source {
        StatementSource::Napas => napas::write(header, entries),
        StatementSource::Vnpay => vnpay::write(header, entries),
        StatementSource::Momo => momo::write(header, entries),
        StatementSource::Zalopay => zalopay::write(header, entries),
        StatementSource::Evn | StatementSource::Water | StatementSource::Vss => {
            billers::write(source, header, entries)
        }
    }
}

/// The file name `source` gives its file of `header.business_date`.
pub fn file_name(source: StatementSource, header: &FileHeader) -> String {
    let date = header.business_date;
    match source {
        StatementSource::Napas => napas::file_name(header),
        StatementSource::Vnpay => format!(
            "VNPAY_DOISOAT_{}_{}.csv",
            header.account,
            date.format("%Y%m%d")
        ),
        StatementSource::Momo => format!(
            "MOMO_RECONCILE_{}_{}.csv",
            header.account,
            date.format("%Y%m%d")
        ),
        StatementSource::Zalopay => format!(
            "ZLP_DOISOAT_{}_{}.csv",
            header.account,
            date.format("%Y%m%d")
        ),
        StatementSource::Evn | StatementSource::Water | StatementSource::Vss => {
            billers::file_name(source, header)
        }
    }
}

/// The media type of `source`'s files.
pub const fn content_type(source: StatementSource) -> &'static str {
    match source {
        StatementSource::Vnpay | StatementSource::Momo | StatementSource::Zalopay => {
            "text/csv; charset=utf-8"
        }
        StatementSource::Napas
        | StatementSource::Evn
        | StatementSource::Water
        | StatementSource::Vss => "text/plain; charset=utf-8",
    }
}

/// The Vietnam date of `at`: the business day a transaction belongs to.
pub fn business_date_of(at: DateTime<Utc>) -> NaiveDate {
    crate::providers::vietnam_time::to_vietnam(at).date_naive()
}
