//! MoMo's daily reconciliation ("đối soát") file for a partner (`partnerCode`).
//!
//! MoMo gives partners reconciliation data through its business portal (M4B) and by
//! agreement; no file layout is public. Its API reference
//! (<https://developers.momo.vn/>) names the identifiers a reconciliation matches on:
//! "Mã giao dịch MoMo (TID/transId)" and "Mã giao dịch đối tác (refId/orderId)", and
//! the outcome is a `resultCode` (0 success; e.g. 1006 denied by the payer, 4002 payer
//! not verified by C06, <https://developers.momo.vn/v3/docs/payment/api/result-handling/resultcode/>).
//! So this file is a plain CSV in the API's own field names, with times as the API
//! gives them (`responseTime`, Unix milliseconds):
//!
//! ```text
//! partnerCode,MOMO,reportDate,2024-05-20
//! orderId,transId,amount,resultCode,message,payType,responseTime
//! pay_01HXYZ,4000000001,150000,0,Successful.,qr,1716175865000
//! pay_01HXZZ,,50000,4002,Transaction rejected: the user account is not verified by C06.,qr,1716177000000
//! TOTAL,2,200000
//! ```
//!
//! `resultCode` 0 is settled, anything else failed.

use super::csv_file::{self, Row, Sheet};
use super::text::{self, malformed};
use super::{
    FileHeader, LineStatus, Statement, StatementEntry, StatementError, StatementLine,
    StatementSource, WriteError,
};
use chrono::{DateTime, NaiveDate, Utc};

const PARTNER: &str = "partnerCode";
const REPORT_DATE: &str = "reportDate";
const COLUMNS: [&str; 7] = [
    "orderId",
    "transId",
    "amount",
    "resultCode",
    "message",
    "payType",
    "responseTime",
];
/// The layout both the writer and the reader follow.
const SHEET: csv_file::TotalledSheet<'static> = csv_file::TotalledSheet {
    delimiter: b',',
    columns: &COLUMNS,
    total_label: TOTAL,
};
const TOTAL: &str = "TOTAL";
/// `resultCode` of a failed order whose entry names none: denied by the payer.
const DENIED: &str = "1006";

/// MoMo's message for a `resultCode`.
fn message(result_code: &str) -> &'static str {
    match result_code {
        "0" => "Successful.",
        "1006" => "Transaction denied by user.",
        "4002" => "Transaction rejected: the user account is not verified by C06.",
        _ => "Transaction failed.",
    }
}

/// Writes the file.
pub(super) fn write(
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    let mut sheet = Sheet::new(SHEET.delimiter, csv::Terminator::Any(b'\n'), false);
    let date = header.business_date.format("%Y-%m-%d").to_string();
    sheet.row([PARTNER, header.account.as_str(), REPORT_DATE, date.as_str()])?;
    sheet.row(COLUMNS)?;
    for entry in entries {
        let amount = text::write_amount(entry.amount)?;
        let code = text::by_status(
            entry.status,
            "0",
            entry.result_code.as_deref().unwrap_or(DENIED),
        );
        sheet.row([
            entry.reference.as_str(),
            entry.their_id.as_deref().unwrap_or_default(),
            &amount.to_string(),
            code,
            message(code),
            "qr",
            &entry.at.timestamp_millis().to_string(),
        ])?;
    }
    SHEET.finish(sheet, entries)
}

/// Reads the file.
pub(super) fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    let (business_date, lines) = SHEET.read(bytes, parse_header, detail)?;
    Ok(Statement {
        source: StatementSource::Momo,
        business_date,
        lines,
    })
}

fn parse_header(row: &Row) -> Result<NaiveDate, StatementError> {
    row.expect_len(4, "the MoMo header (partnerCode,...,reportDate,...)")?;
    if row.get(0, PARTNER)?.trim() != PARTNER || row.get(2, REPORT_DATE)?.trim() != REPORT_DATE {
        return Err(malformed(
            row.line,
            "not a MoMo file: expected partnerCode and reportDate",
        ));
    }
    text::parse_date(row.line, REPORT_DATE, row.get(3, REPORT_DATE)?, "%Y-%m-%d")
}

fn detail(row: &Row) -> Result<StatementLine, StatementError> {
    let line = row.line;
    row.expect_len(COLUMNS.len(), "a transaction row")?;
    let code = row.get(3, "resultCode")?.trim();
    let status = match code.parse::<i32>() {
        Ok(0) => LineStatus::Settled,
        Ok(_) => LineStatus::Failed,
        Err(_) => {
            return Err(malformed(
                line,
                format!("resultCode is not a number: {code:?}"),
            ))
        }
    };
    let millis = row.get(6, "responseTime")?.trim();
    let at = millis
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .ok_or_else(|| {
            malformed(
                line,
                format!("responseTime is not Unix milliseconds: {millis:?}"),
            )
        })?;
    Ok(StatementLine {
        line,
        reference: text::parse_reference(line, row.get(0, "orderId")?)?,
        their_id: text::parse_their_id(line, row.get(1, "transId")?)?,
        amount: text::parse_amount(line, "amount", row.get(2, "amount")?)?,
        status,
        at,
        party: None,
    })
}
