//! Runs and differences in PostgreSQL: a run is written with all its differences in
//! one transaction; resolutions are written by the group commit with their ledger
//! transfers (see `commit::reconcile`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use super::matching::{Action, DiscrepancyKind, Finding, Matched, RecordStatus};
use super::views::{DiscrepancyView, OurSide, ResolutionView, RunView, TheirSide};
use crate::error::ApiError;
use crate::ids;
use crate::schema::{
    reconciliation_discrepancies as d, reconciliation_resolutions as r, reconciliation_runs as runs,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = runs)]
pub struct RunRow {
    pub id: String,
    pub source: String,
    pub business_date: NaiveDate,
    pub origin: String,
    pub file_name: Option<String>,
    pub file_sha256: String,
    pub lines: i32,
    pub matched: i32,
    pub discrepancies: i32,
    pub their_total: i64,
    pub our_total: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = d)]
pub struct DiscrepancyRow {
    pub id: String,
    pub run_id: String,
    pub kind: String,
    pub reference: String,
    pub payment_id: Option<String>,
    pub their_line: Option<i32>,
    pub their_transaction_id: Option<String>,
    pub their_amount: Option<i64>,
    pub their_status: Option<String>,
    pub our_amount: Option<i64>,
    pub our_status: Option<String>,
    pub actions: Vec<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = r)]
pub struct ResolutionRow {
    pub discrepancy_id: String,
    pub action: String,
    pub reason: String,
    pub operator: String,
    pub transfer_id: Option<String>,
    pub amount: Option<i64>,
    pub payment_status: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn stored(e: &str) -> ApiError {
    ApiError::Internal(format!("a stored reconciliation row is malformed: {e}"))
}

impl ResolutionRow {
    pub fn view(&self) -> Result<ResolutionView, ApiError> {
        Ok(ResolutionView {
            action: Action::parse(&self.action).ok_or_else(|| stored("action"))?,
            reason: self.reason.clone(),
            operator: self.operator.clone(),
            transfer_id: self.transfer_id.clone(),
            amount: self.amount,
            payment_status: self.payment_status.clone(),
            created_at: self.created_at,
        })
    }
}

fn status(s: &Option<String>) -> Result<Option<RecordStatus>, ApiError> {
    s.as_deref()
        .map(|s| RecordStatus::parse(s).ok_or_else(|| stored("status")))
        .transpose()
}

impl DiscrepancyRow {
    pub fn view(&self, resolution: Option<&ResolutionRow>) -> Result<DiscrepancyView, ApiError> {
        Ok(DiscrepancyView {
            id: self.id.clone(),
            run_id: self.run_id.clone(),
            kind: DiscrepancyKind::parse(&self.kind).ok_or_else(|| stored("kind"))?,
            reference: self.reference.clone(),
            payment_id: self.payment_id.clone(),
            theirs: TheirSide {
                line: self.their_line,
                transaction_id: self.their_transaction_id.clone(),
                amount: self.their_amount,
                status: status(&self.their_status)?,
            },
            ours: OurSide {
                amount: self.our_amount,
                status: status(&self.our_status)?,
            },
            actions: self
                .actions
                .iter()
                .map(|a| Action::parse(a).ok_or_else(|| stored("actions")))
                .collect::<Result<_, _>>()?,
            resolution: resolution.map(ResolutionRow::view).transpose()?,
        })
    }
}

impl RunRow {
    pub fn view(&self, open: i64) -> RunView {
        RunView {
            id: self.id.clone(),
            source: self.source.clone(),
            business_date: self.business_date,
            origin: self.origin.clone(),
            file_name: self.file_name.clone(),
            file_sha256: self.file_sha256.clone(),
            lines: self.lines,
            matched: self.matched,
            discrepancies: self.discrepancies,
            open,
            their_total: self.their_total,
            our_total: self.our_total,
            created_at: self.created_at,
        }
    }
}

fn discrepancy_row(run_id: &str, n: usize, f: &Finding, now: DateTime<Utc>) -> DiscrepancyRow {
    DiscrepancyRow {
        // Stable within the run: the n-th difference found.
        id: ids::derive("dsc_", &[run_id, &n.to_string()]),
        run_id: run_id.to_string(),
        kind: f.kind.as_str().to_string(),
        reference: f.reference.clone(),
        payment_id: f.payment_id.clone(),
        their_line: f.their_line.and_then(|l| i32::try_from(l).ok()),
        their_transaction_id: f.their_id.clone(),
        their_amount: f.their_amount,
        their_status: f.their_status.map(|s| s.as_str().to_string()),
        our_amount: f.our_amount,
        our_status: f.our_status.map(|s| s.as_str().to_string()),
        actions: f.actions.iter().map(|a| a.as_str().to_string()).collect(),
        resolved_at: None,
        created_at: now,
    }
}

/// Rows per multi-row insert, below PostgreSQL's 65,535 parameters.
const ROWS_PER_INSERT: usize = 4_000;

/// Writes a run and its differences. `Ok(false)` when a scheduled run of that system
/// and day exists already (another instance made it).
pub fn insert(conn: &mut PgConnection, run: &RunRow, matched: &Matched) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let inserted = diesel::insert_into(runs::table)
            .values(run)
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Ok(false);
        }
        let rows: Vec<DiscrepancyRow> = matched
            .findings
            .iter()
            .enumerate()
            .map(|(n, f)| discrepancy_row(&run.id, n, f, run.created_at))
            .collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            diesel::insert_into(d::table).values(chunk).execute(conn)?;
        }
        Ok(true)
    })
}

fn open_counts(
    conn: &mut PgConnection,
    run_ids: &[String],
) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(d::table
        .filter(d::run_id.eq_any(run_ids))
        .filter(d::resolved_at.is_null())
        .group_by(d::run_id)
        .select((d::run_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Runs, newest first, optionally of one system or day.
pub fn list_runs(
    conn: &mut PgConnection,
    source: Option<&str>,
    business_date: Option<NaiveDate>,
    limit: i64,
    after: Option<&RunRow>,
) -> Result<(Vec<RunView>, bool), ApiError> {
    let mut q = runs::table.select(RunRow::as_select()).into_boxed();
    if let Some(s) = source {
        q = q.filter(runs::source.eq(s.to_string()));
    }
    if let Some(day) = business_date {
        q = q.filter(runs::business_date.eq(day));
    }
    if let Some(a) = after {
        q = q.filter(
            runs::created_at.lt(a.created_at).or(runs::created_at
                .eq(a.created_at)
                .and(runs::id.lt(a.id.clone()))),
        );
    }
    let mut rows: Vec<RunRow> = q
        .order((runs::created_at.desc(), runs::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let open = open_counts(conn, &ids)?;
    let views = rows
        .iter()
        .map(|r| {
            let n = open
                .iter()
                .find(|(id, _)| *id == r.id)
                .map_or(0, |(_, n)| *n);
            r.view(n)
        })
        .collect();
    Ok((views, has_more))
}

pub fn find_run(conn: &mut PgConnection, id: &str) -> Result<Option<RunRow>, ApiError> {
    Ok(runs::table
        .find(id)
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn run_view(conn: &mut PgConnection, run: &RunRow) -> Result<RunView, ApiError> {
    let open = open_counts(conn, std::slice::from_ref(&run.id))?;
    Ok(run.view(open.first().map_or(0, |(_, n)| *n)))
}

fn with_resolutions(
    conn: &mut PgConnection,
    rows: &[DiscrepancyRow],
) -> Result<Vec<DiscrepancyView>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let resolutions: Vec<ResolutionRow> = r::table
        .filter(r::discrepancy_id.eq_any(ids))
        .select(ResolutionRow::as_select())
        .load(conn)?;
    rows.iter()
        .map(|row| row.view(resolutions.iter().find(|x| x.discrepancy_id == row.id)))
        .collect()
}

/// A run's differences in a stable order (by id), optionally only the open ones.
pub fn list_discrepancies(
    conn: &mut PgConnection,
    run_id: &str,
    only_open: bool,
    limit: i64,
    after: Option<&str>,
) -> Result<(Vec<DiscrepancyView>, bool), ApiError> {
    let mut q = d::table
        .filter(d::run_id.eq(run_id.to_string()))
        .select(DiscrepancyRow::as_select())
        .into_boxed();
    if only_open {
        q = q.filter(d::resolved_at.is_null());
    }
    if let Some(after) = after {
        q = q.filter(d::id.gt(after.to_string()));
    }
    let mut rows: Vec<DiscrepancyRow> = q.order(d::id.asc()).limit(limit + 1).load(conn)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((with_resolutions(conn, &rows)?, has_more))
}

pub fn find_discrepancy(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<DiscrepancyView>, ApiError> {
    let row: Option<DiscrepancyRow> = d::table
        .find(id)
        .select(DiscrepancyRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(with_resolutions(conn, std::slice::from_ref(&row))?.pop()),
        None => Ok(None),
    }
}
