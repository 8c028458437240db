//! A reconciliation run: the statement fetched from the system (or uploaded by an
//! operator), parsed, matched against our side and stored with every difference.

use adapters::statement::{self, LineStatus, Statement, StatementError, StatementSource};
use chrono::{NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::matching::{reconcile, RecordStatus, TheirLine};
use super::ours;
use super::store::{self, RunRow};
use super::views::RunView;
use crate::db;
use crate::error::ApiError;
use crate::ids;
use crate::state::AppState;

/// How a run got its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Fetched,
    Uploaded,
    Scheduled,
}

impl Origin {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Fetched => "fetched",
            Self::Uploaded => "uploaded",
            Self::Scheduled => "scheduled",
        }
    }
}

/// A file an operator uploaded.
pub struct Upload {
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

fn unreadable(e: &StatementError, uploaded: bool, source: StatementSource) -> ApiError {
    if uploaded {
        return ApiError::InvalidInput {
            code: "invalid_statement",
            message: format!("the file is not a {} statement: {e}", source.as_str()),
            details: json!({ "param": "file" }),
        };
    }
    match e {
        StatementError::NotFound(_) => ApiError::NotFound("statement"),
        // A file we fetched that we cannot read is the system's fault, not the
        // operator's: retry later or upload a corrected one.
        _ => ApiError::Unavailable(source.as_str()),
    }
}

/// Our payment id as the system recorded it: ZaloPay keeps it inside its
/// `app_trans_id` (`yyMMdd_<payment id>`); the others as sent.
fn our_reference(source: StatementSource, reference: &str) -> String {
    match source {
        StatementSource::Zalopay => adapters::providers::zalopay::reference_of(reference)
            .unwrap_or(reference)
            .to_string(),
        _ => reference.to_string(),
    }
}

fn their_lines(statement: &Statement) -> Vec<TheirLine> {
    statement
        .lines
        .iter()
        .map(|l| TheirLine {
            line: l.line,
            reference: our_reference(statement.source, &l.reference),
            their_id: l.their_id.clone(),
            amount: l.amount,
            status: match l.status {
                LineStatus::Settled => RecordStatus::Settled,
                LineStatus::Failed => RecordStatus::Failed,
            },
        })
        .collect()
}

/// The systems that have no scheduled run for `day` yet.
pub fn scheduled_due(
    conn: &mut diesel::PgConnection,
    day: NaiveDate,
) -> Result<Vec<StatementSource>, ApiError> {
    use crate::schema::reconciliation_runs as r;
    use diesel::prelude::*;
    let done: Vec<String> = r::table
        .filter(r::business_date.eq(day))
        .filter(r::origin.eq(Origin::Scheduled.as_str()))
        .select(r::source)
        .load(conn)?;
    Ok(StatementSource::ALL
        .into_iter()
        .filter(|s| !done.iter().any(|d| d == s.as_str()))
        .collect())
}

/// Runs reconciliation of `source` for `day`. `Ok(None)` only for a scheduled run that
/// another instance made first.
pub async fn run(
    state: &AppState,
    source: StatementSource,
    day: NaiveDate,
    origin: Origin,
    upload: Option<Upload>,
) -> Result<Option<RunView>, ApiError> {
    let uploaded = upload.is_some();
    let (file_name, bytes) = match upload {
        Some(u) => (u.file_name, u.bytes),
        None => {
            let bytes = state
                .statements
                .fetch(source, day)
                .await
                .map_err(|e| unreadable(&e, false, source))?;
            (None, bytes)
        }
    };
    let parsed = statement::parse(source, &bytes).map_err(|e| unreadable(&e, uploaded, source))?;
    if parsed.business_date != day {
        return Err(ApiError::InvalidInput {
            code: "statement_date_mismatch",
            message: format!("the statement covers {}, not {day}", parsed.business_date),
            details: json!({ "param": "business_date", "statement_date": parsed.business_date }),
        });
    }
    let now = Utc::now();
    let sha = hex::encode(Sha256::digest(&bytes));
    let lines = their_lines(&parsed);
    let references: Vec<String> = lines.iter().map(|l| l.reference.clone()).collect();
    let id = ids::derive(
        "rcn_",
        &[
            source.as_str(),
            &day.to_string(),
            &uuid::Uuid::new_v4().to_string(),
        ],
    );
    // With citizens on home shards, our side is every shard's payments.
    let mut parts = Vec::new();
    for home in state.everywhere() {
        let references = references.clone();
        parts.push(db::run(&home, move |conn| ours::load(conn, source, day, references)).await?);
    }
    let ours = ours::OurSide::merge(parts);
    db::run(state, move |conn| {
        let matched = reconcile(&lines, &ours.records, &ours.of_day, |id| {
            ours.holds.get(id).copied().unwrap_or(false)
        });
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let row = RunRow {
            id,
            source: source.as_str().to_string(),
            business_date: day,
            origin: origin.as_str().to_string(),
            file_name,
            file_sha256: sha,
            lines: count(lines.len()),
            matched: i32::try_from(matched.matched).unwrap_or(i32::MAX),
            discrepancies: count(matched.findings.len()),
            their_total: matched.their_total,
            our_total: matched.our_total,
            created_at: now,
        };
        if !store::insert(conn, &row, &matched)? {
            return Ok(None);
        }
        Ok(Some(row.view(i64::from(row.discrepancies))))
    })
    .await
}
