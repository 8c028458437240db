//! VNPay's daily reconciliation file for a terminal (`vnp_TmnCode`).
//!
//! VNPay publishes its reconciliation process but not the file: "VNPAY gửi file tổng
//! hợp số liệu giao dịch của ngày T cho merchant qua email/S-FTP", and the merchant
//! compares it with the transaction list of VNPay's merchant portal (as a VNPay
//! merchant's published terms put it, <https://rangdongstore.vn/gioi-thieu>). The
//! transaction fields are those of the payment API
//! (<https://sandbox.vnpayment.vn/apis/docs/truy-van-hoan-tien/querydr&refund.html>):
//! `vnp_TransactionNo` (VNPay's id), `vnp_TxnRef` (the merchant's), `vnp_BankCode`,
//! `vnp_ResponseCode`, `vnp_PayDate`. With no public layout, this one is shaped like the
//! portal's spreadsheet export: a CSV with a byte order mark and CRLF, Vietnamese
//! column names, a title, the terminal and the day, then a "Tổng cộng" row with the
//! count and total.
//!
//! ```text
//! BÁO CÁO ĐỐI SOÁT GIAO DỊCH VNPAY
//! Mã website (vnp_TmnCode),DEMO0001
//! Ngày giao dịch,20/05/2024
//! STT,Mã GD VNPAY,Mã GD merchant (vnp_TxnRef),Ngân hàng,Loại giao dịch,Số tiền (VND),Mã phản hồi,Trạng thái,Thời gian thanh toán
//! 1,14000001,pay_01HXYZ,NCB,Thanh toán,150000,00,Thành công,20/05/2024 10:31:05
//! 2,,pay_01HXZZ,NCB,Thanh toán,50000,24,Không thành công,20/05/2024 11:02:40
//! Tổng cộng,2,,,,200000,,,
//! ```
//!
//! Times are Vietnam time; amounts are dong (not `vnp_Amount`'s dong × 100). A failed
//! order has no VNPay id when VNPay assigned none.

use super::csv_file::{self, Row, Sheet};
use super::text::{self, malformed};
use super::{
    FileHeader, LineStatus, Statement, StatementEntry, StatementError, StatementLine,
    StatementSource, WriteError,
};

const TITLE: &str = "BÁO CÁO ĐỐI SOÁT GIAO DỊCH VNPAY";
const TERMINAL: &str = "Mã website (vnp_TmnCode)";
const DAY: &str = "Ngày giao dịch";
const COLUMNS: [&str; 9] = [
    "STT",
    "Mã GD VNPAY",
    "Mã GD merchant (vnp_TxnRef)",
    "Ngân hàng",
    "Loại giao dịch",
    "Số tiền (VND)",
    "Mã phản hồi",
    "Trạng thái",
    "Thời gian thanh toán",
];
const TOTAL: &str = "Tổng cộng";
const SUCCESS: &str = "Thành công";
const FAILURE: &str = "Không thành công";
const DATE_FORMAT: &str = "%d/%m/%Y";
const TIME_FORMAT: &str = "%d/%m/%Y %H:%M:%S";
/// `vnp_ResponseCode` of a payment the customer cancelled.
const CANCELLED: &str = "24";

/// Writes the file.
pub(super) fn write(
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    let mut sheet = Sheet::new(b',', csv::Terminator::CRLF, true);
    sheet.row([TITLE])?;
    sheet.row([TERMINAL, header.account.as_str()])?;
    sheet.row([
        DAY.to_owned(),
        header.business_date.format(DATE_FORMAT).to_string(),
    ])?;
    sheet.row(COLUMNS)?;
    for (index, entry) in entries.iter().enumerate() {
        let amount = text::write_amount(entry.amount)?;
        let code = text::by_status(
            entry.status,
            "00",
            entry.result_code.as_deref().unwrap_or(CANCELLED),
        );
        sheet.row([
            (index + 1).to_string(),
            entry.their_id.clone().unwrap_or_default(),
            entry.reference.clone(),
            "NCB".to_owned(),
            "Thanh toán".to_owned(),
            amount.to_string(),
            code.to_owned(),
            text::by_status(entry.status, SUCCESS, FAILURE).to_owned(),
            text::local(entry.at, TIME_FORMAT),
        ])?;
    }
    let total = text::write_total(entries.iter().map(|entry| entry.amount))?;
    let count = entries.len().to_string();
    let total = total.to_string();
    sheet.row([
        TOTAL,
        count.as_str(),
        "",
        "",
        "",
        total.as_str(),
        "",
        "",
        "",
    ])?;
    sheet.finish()
}

/// Reads the file.
pub(super) fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    let rows = csv_file::read(bytes, b',')?;
    let mut rows = rows.iter();
    let title = rows
        .next()
        .ok_or_else(|| malformed(1, "the file is empty"))?;
    title.expect(&[TITLE], "the VNPay report title")?;
    let terminal = next(&mut rows, title.line, "the terminal row")?;
    terminal.expect_len(2, "the terminal row")?;
    if terminal.get(0, "")?.trim() != TERMINAL {
        return Err(malformed(terminal.line, format!("expected {TERMINAL}")));
    }
    let day = next(&mut rows, terminal.line, "the day row")?;
    day.expect_len(2, "the day row")?;
    if day.get(0, "")?.trim() != DAY {
        return Err(malformed(day.line, format!("expected {DAY}")));
    }
    let business_date = text::parse_date(day.line, DAY, day.get(1, DAY)?, DATE_FORMAT)?;
    let columns = next(&mut rows, day.line, "the column names")?;
    columns.expect(&COLUMNS, "the column names")?;
    let mut lines = Vec::new();
    let mut last = columns.line;
    for row in rows.by_ref() {
        if row.starts_with(TOTAL) {
            row.expect_len(COLUMNS.len(), "the total row")?;
            let count = text::parse_count(row.line, "the count", row.get(1, "the count")?)?;
            let total = text::parse_total(row.line, "the total", row.get(5, "the total")?)?;
            text::check_trailer(row.line, count, total, &lines)?;
            return finish(rows.next(), business_date, lines);
        }
        lines.push(detail(row)?);
        last = row.line;
    }
    Err(malformed(
        last.saturating_add(1),
        "the file has no Tổng cộng row",
    ))
}

fn next<'a>(
    rows: &mut std::slice::Iter<'a, Row>,
    previous: u32,
    what: &str,
) -> Result<&'a Row, StatementError> {
    rows.next()
        .ok_or_else(|| malformed(previous.saturating_add(1), format!("{what} is missing")))
}

fn finish(
    after: Option<&Row>,
    business_date: chrono::NaiveDate,
    lines: Vec<StatementLine>,
) -> Result<Statement, StatementError> {
    if let Some(row) = after {
        return Err(malformed(row.line, "records after the Tổng cộng row"));
    }
    Ok(Statement {
        source: StatementSource::Vnpay,
        business_date,
        lines,
    })
}

fn detail(row: &Row) -> Result<StatementLine, StatementError> {
    let line = row.line;
    row.expect_len(COLUMNS.len(), "a transaction row")?;
    text::parse_count(line, "STT", row.get(0, "STT")?)?;
    let code = row.get(6, "Mã phản hồi")?.trim();
    let status = match row.get(7, "Trạng thái")?.trim() {
        SUCCESS if code == "00" => LineStatus::Settled,
        FAILURE if code != "00" => LineStatus::Failed,
        other => {
            return Err(malformed(
                line,
                format!("status {other:?} does not agree with response code {code:?}"),
            ))
        }
    };
    Ok(StatementLine {
        line,
        reference: text::parse_reference(line, row.get(2, "the merchant reference")?)?,
        their_id: text::parse_their_id(line, row.get(1, "the VNPay id")?)?,
        amount: text::parse_amount(line, "the amount", row.get(5, "the amount")?)?,
        status,
        at: text::parse_local(
            line,
            "the payment time",
            row.get(8, "the time")?,
            TIME_FORMAT,
        )?,
        party: None,
    })
}
