//! ZaloPay's daily reconciliation ("đối soát") file for a merchant app (`app_id`).
//!
//! ZaloPay publishes no reconciliation file layout. Its API documentation fixes what a
//! reconciliation keys on: the `app_trans_id` must start with the `yyMMdd` date "đúng
//! TimeZone Vietnam (GMT+7) (Vì các giao dịch đối soát theo ngày giờ Việt Nam)"
//! (<https://docs.zalopay.vn/v2/general/overview.html>), and ZaloPay's own id is the
//! `zp_trans_id`. So this file lists orders by the Vietnam day in ZaloPay's field
//! names, semicolon-separated, with a `return_code`-style status (1 success, 2 failed)
//! and the `sub_return_code`:
//!
//! ```text
//! app_id;2553;reconcile_date;20240520
//! app_trans_id;zp_trans_id;amount;user_fee_amount;discount_amount;status;sub_return_code;server_time
//! 240520_pay_01HXYZ;240520000000001;150000;0;0;1;1;2024-05-20 10:31:05
//! total;1;150000
//! ```
//!
//! The reference is the `app_trans_id` as ZaloPay recorded it, so `yyMMdd_` precedes the
//! gateway's payment id. `server_time` is Vietnam time.

use super::csv_file::{self, Row, Sheet};
use super::text::{self, malformed};
use super::{
    FileHeader, LineStatus, Statement, StatementEntry, StatementError, StatementLine,
    StatementSource, WriteError,
};
use chrono::NaiveDate;

const APP_ID: &str = "app_id";
const RECONCILE_DATE: &str = "reconcile_date";
const COLUMNS: [&str; 8] = [
    "app_trans_id",
    "zp_trans_id",
    "amount",
    "user_fee_amount",
    "discount_amount",
    "status",
    "sub_return_code",
    "server_time",
];
/// The layout both the writer and the reader follow.
const SHEET: csv_file::TotalledSheet<'static> = csv_file::TotalledSheet {
    delimiter: b';',
    columns: &COLUMNS,
    total_label: TOTAL,
};
const TOTAL: &str = "total";
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// `sub_return_code` of a failed order whose entry names none.
const DEFAULT_FAILED: &str = "-1";

/// Writes the file.
pub(super) fn write(
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    let mut sheet = Sheet::new(SHEET.delimiter, csv::Terminator::Any(b'\n'), false);
    let date = header.business_date.format("%Y%m%d").to_string();
    sheet.row([
        APP_ID,
        header.account.as_str(),
        RECONCILE_DATE,
        date.as_str(),
    ])?;
    sheet.row(COLUMNS)?;
    for entry in entries {
        let amount = text::write_amount(entry.amount)?.to_string();
        let status = text::by_status(entry.status, "1", "2");
        let sub = text::by_status(
            entry.status,
            "1",
            entry.result_code.as_deref().unwrap_or(DEFAULT_FAILED),
        );
        let time = text::local(entry.at, TIME_FORMAT);
        sheet.row([
            entry.reference.as_str(),
            entry.their_id.as_deref().unwrap_or_default(),
            amount.as_str(),
            "0",
            "0",
            status,
            sub,
            time.as_str(),
        ])?;
    }
    SHEET.finish(sheet, entries)
}

/// Reads the file.
pub(super) fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    let (business_date, lines) = SHEET.read(bytes, parse_header, detail)?;
    Ok(Statement {
        source: StatementSource::Zalopay,
        business_date,
        lines,
    })
}

fn parse_header(row: &Row) -> Result<NaiveDate, StatementError> {
    row.expect_len(4, "the ZaloPay header (app_id;...;reconcile_date;...)")?;
    if row.get(0, APP_ID)?.trim() != APP_ID || row.get(2, RECONCILE_DATE)?.trim() != RECONCILE_DATE
    {
        return Err(malformed(
            row.line,
            "not a ZaloPay file: expected app_id and reconcile_date",
        ));
    }
    text::parse_date(
        row.line,
        RECONCILE_DATE,
        row.get(3, RECONCILE_DATE)?,
        "%Y%m%d",
    )
}

fn detail(row: &Row) -> Result<StatementLine, StatementError> {
    let line = row.line;
    row.expect_len(COLUMNS.len(), "a transaction row")?;
    let status = match row.get(5, "status")?.trim() {
        "1" => LineStatus::Settled,
        "2" => LineStatus::Failed,
        other => {
            return Err(malformed(
                line,
                format!("status must be 1 or 2, not {other:?}"),
            ))
        }
    };
    let sub = row.get(6, "sub_return_code")?.trim();
    if sub.parse::<i32>().is_err() {
        return Err(malformed(
            line,
            format!("sub_return_code is not a number: {sub:?}"),
        ));
    }
    text::parse_amount(line, "user_fee_amount", row.get(3, "user_fee_amount")?)?;
    text::parse_amount(line, "discount_amount", row.get(4, "discount_amount")?)?;
    Ok(StatementLine {
        line,
        reference: text::parse_reference(line, row.get(0, "app_trans_id")?)?,
        their_id: text::parse_their_id(line, row.get(1, "zp_trans_id")?)?,
        amount: text::parse_amount(line, "amount", row.get(2, "amount")?)?,
        status,
        at: text::parse_local(line, "server_time", row.get(7, "server_time")?, TIME_FORMAT)?,
        party: None,
    })
}
