//! Runs, differences and resolutions as the operator's API shows them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::matching::{Action, DiscrepancyKind, RecordStatus};

/// One reconciliation run: one system's statement for one business day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    #[schema(example = "rcn_8f2k1m")]
    pub id: String,
    /// `napas`, `vnpay`, `momo`, `zalopay`, `evn`, `water` or `vss`.
    #[schema(example = "napas")]
    pub source: String,
    /// The day (Vietnam time) the statement covers.
    pub business_date: NaiveDate,
    /// `fetched`, `uploaded` or `scheduled`.
    pub origin: String,
    pub file_name: Option<String>,
    /// SHA-256 of the file as received, hex.
    pub file_sha256: String,
    /// Detail lines in the file.
    pub lines: i32,
    /// Lines that agree with a payment of ours.
    pub matched: i32,
    /// Differences found.
    pub discrepancies: i32,
    /// Differences not yet resolved.
    pub open: i64,
    /// What their settled lines add up to, in dong.
    pub their_total: i64,
    /// What our settled payments of the day through this system add up to.
    pub our_total: i64,
    pub created_at: DateTime<Utc>,
}

/// Their side of a difference.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct TheirSide {
    /// The line in their file.
    pub line: Option<i32>,
    pub transaction_id: Option<String>,
    pub amount: Option<i64>,
    pub status: Option<RecordStatus>,
}

/// Our side of a difference.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct OurSide {
    pub amount: Option<i64>,
    pub status: Option<RecordStatus>,
}

/// How a difference was resolved: the audit record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ResolutionView {
    pub action: Action,
    pub reason: String,
    /// Who resolved it, as the operator named themself.
    pub operator: String,
    /// The ledger transfer made, when the action moved money.
    pub transfer_id: Option<String>,
    pub amount: Option<i64>,
    /// The payment's status afterwards.
    pub payment_status: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A difference between their statement and our payments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct DiscrepancyView {
    #[schema(example = "dsc_2h8q0c")]
    pub id: String,
    pub run_id: String,
    pub kind: DiscrepancyKind,
    /// The reference the line carries: our payment id, as they recorded it.
    pub reference: String,
    pub payment_id: Option<String>,
    pub theirs: TheirSide,
    pub ours: OurSide,
    /// What may resolve it.
    pub actions: Vec<Action>,
    pub resolution: Option<ResolutionView>,
}

/// A page of differences, in a stable order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscrepancyPage {
    pub data: Vec<DiscrepancyView>,
    pub has_more: bool,
}

/// A run with its differences (the first page; the rest through the list endpoint).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: RunView,
    pub items: DiscrepancyPage,
}
