//! The billers' daily collection list ("bảng kê gạch nợ"): what EVN, the water system
//! and Vietnam Social Security recorded as paid through the gateway.
//!
//! No biller publishes the file it exchanges with collection partners; those layouts
//! are set in each collection contract. This one is designed for the purpose, in the
//! style of Vietnamese bank–biller batch files: pipe-delimited, one `H` header naming
//! the system (`EVN`, `NUOC`, `BHXH`) and the day, `D` details, and a `T` trailer with
//! the count and total, which the parser checks. The three systems share it, as they
//! would through one collection channel; the biller code column tells the power
//! corporation or water company (`EVNHANOI`, `HAWACO`, `SAWACO`, `VSS_BHXH`, ...).
//!
//! ```text
//! H|EVN|BẢNG KÊ GẠCH NỢ TIỀN ĐIỆN|20240520|CCCDPAY
//! D|1|EVNHANOI|PD01000012345|EVNA1B2C3HD000001|EVNA1B2C3TX000002|pay_01HXYZ|412345|00|20240520103105
//! T|1|412345
//! ```
//!
//! Detail fields: sequence, biller code, customer code (VSS: the insured's masked
//! number), bill ref (empty for VSS), the biller's transaction id, the gateway's
//! reference, amount in dong, status (`00` cleared, anything else failed), Vietnam time
//! `yyyyMMddHHmmss`.

use super::csv_file::{self, Row, Sheet};
use super::text::{self, malformed};
use super::{
    FileHeader, LineStatus, Statement, StatementEntry, StatementError, StatementLine,
    StatementSource, WriteError,
};
use crate::billing::{find_biller, BillerKind};

const TIME_FORMAT: &str = "%Y%m%d%H%M%S";
const DETAIL_FIELDS: usize = 10;
const CLEARED: &str = "00";
/// Status of a payment the biller refused, when the entry names no code.
const DEFAULT_FAILED: &str = "99";

/// The header's system code and title.
fn system(source: StatementSource) -> Option<(&'static str, &'static str)> {
    match source {
        StatementSource::Evn => Some(("EVN", "BẢNG KÊ GẠCH NỢ TIỀN ĐIỆN")),
        StatementSource::Water => Some(("NUOC", "BẢNG KÊ GẠCH NỢ TIỀN NƯỚC")),
        StatementSource::Vss => Some(("BHXH", "BẢNG KÊ THU HỘ BHXH, BHYT")),
        _ => None,
    }
}

/// Whether `biller_code` is one of `source`'s billers.
fn serves(source: StatementSource, biller_code: &str) -> bool {
    find_biller(biller_code).is_some_and(|biller| match source {
        StatementSource::Evn => biller.kind == BillerKind::Electricity,
        StatementSource::Water => biller.kind == BillerKind::Water,
        StatementSource::Vss => matches!(
            biller.kind,
            BillerKind::SocialInsurance | BillerKind::HealthInsurance
        ),
        _ => false,
    })
}

/// `EVN_GACHNO_CCCDPAY_20240520.txt`, `NUOC_...`, `BHXH_THUHO_...`.
pub(super) fn file_name(source: StatementSource, header: &FileHeader) -> String {
    let kind = if source == StatementSource::Vss {
        "THUHO"
    } else {
        "GACHNO"
    };
    let code = system(source).map_or("BILLER", |(code, _)| code);
    format!(
        "{code}_{kind}_{}_{}.txt",
        header.account,
        header.business_date.format("%Y%m%d")
    )
}

/// Writes the file.
pub(super) fn write(
    source: StatementSource,
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    let (code, title) = system(source).ok_or(WriteError::Field {
        field: "source",
        reason: "not a biller",
    })?;
    let mut sheet = Sheet::new(b'|', csv::Terminator::Any(b'\n'), false);
    let date = header.business_date.format("%Y%m%d").to_string();
    sheet.row(["H", code, title, date.as_str(), header.account.as_str()])?;
    for (index, entry) in entries.iter().enumerate() {
        let biller = entry.party.as_deref().ok_or(WriteError::Field {
            field: "biller code",
            reason: "missing",
        })?;
        let amount = text::write_amount(entry.amount)?.to_string();
        let status = text::by_status(
            entry.status,
            CLEARED,
            entry.result_code.as_deref().unwrap_or(DEFAULT_FAILED),
        );
        let sequence = (index + 1).to_string();
        let time = text::local(entry.at, TIME_FORMAT);
        sheet.row([
            "D",
            sequence.as_str(),
            biller,
            entry.account.as_deref().unwrap_or_default(),
            entry.bill_ref.as_deref().unwrap_or_default(),
            entry.their_id.as_deref().unwrap_or_default(),
            entry.reference.as_str(),
            amount.as_str(),
            status,
            time.as_str(),
        ])?;
    }
    let total = text::write_total(entries.iter().map(|entry| entry.amount))?;
    sheet.row(["T".to_owned(), entries.len().to_string(), total.to_string()])?;
    sheet.finish()
}

/// Reads the file of `source`.
pub(super) fn parse(source: StatementSource, bytes: &[u8]) -> Result<Statement, StatementError> {
    let (code, _) = system(source).ok_or_else(|| malformed(0, "not a biller source"))?;
    let rows = csv_file::read(bytes, b'|')?;
    let mut rows = rows.iter();
    let header = rows
        .next()
        .ok_or_else(|| malformed(1, "the file is empty"))?;
    header.expect_len(5, "the H header")?;
    if !header.starts_with("H") {
        return Err(malformed(
            header.line,
            "the first record must be the H header",
        ));
    }
    let named = header.get(1, "the system code")?.trim();
    if named != code {
        return Err(malformed(
            header.line,
            format!("the header names system {named:?}, not {code}"),
        ));
    }
    let business_date = text::parse_date(
        header.line,
        "the date",
        header.get(3, "the date")?,
        "%Y%m%d",
    )?;
    let mut lines = Vec::new();
    let mut last = header.line;
    while let Some(row) = rows.next() {
        if row.starts_with("T") {
            row.expect_len(3, "the T trailer")?;
            let count = text::parse_count(row.line, "the count", row.get(1, "the count")?)?;
            let total = text::parse_total(row.line, "the total", row.get(2, "the total")?)?;
            text::check_trailer(row.line, count, total, &lines)?;
            if let Some(extra) = rows.next() {
                return Err(malformed(extra.line, "records after the T trailer"));
            }
            return Ok(Statement {
                source,
                business_date,
                lines,
            });
        }
        lines.push(detail(source, row)?);
        last = row.line;
    }
    Err(malformed(
        last.saturating_add(1),
        "the file has no T trailer",
    ))
}

fn detail(source: StatementSource, row: &Row) -> Result<StatementLine, StatementError> {
    let line = row.line;
    if !row.starts_with("D") {
        return Err(malformed(
            line,
            "expected a D detail record or the T trailer",
        ));
    }
    row.expect_len(DETAIL_FIELDS, "a D record")?;
    text::parse_count(line, "the sequence", row.get(1, "the sequence")?)?;
    let biller = row.get(2, "the biller code")?.trim();
    if !serves(source, biller) {
        return Err(malformed(
            line,
            format!("{biller:?} is not a biller of this system"),
        ));
    }
    let status = row.get(8, "the status")?.trim();
    let status = match status {
        CLEARED => LineStatus::Settled,
        other if other.len() == 2 && other.bytes().all(|b| b.is_ascii_digit()) => {
            LineStatus::Failed
        }
        other => {
            return Err(malformed(
                line,
                format!("status must be 2 digits, not {other:?}"),
            ))
        }
    };
    Ok(StatementLine {
        line,
        reference: text::parse_reference(line, row.get(6, "the reference")?)?,
        their_id: text::parse_their_id(line, row.get(5, "the transaction id")?)?,
        amount: text::parse_amount(line, "the amount", row.get(7, "the amount")?)?,
        status,
        at: text::parse_local(line, "the time", row.get(9, "the time")?, TIME_FORMAT)?,
        party: Some(biller.to_owned()),
    })
}
