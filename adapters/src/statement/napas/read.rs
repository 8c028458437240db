//! Reading the NAPAS file: the fixed-width fields of each record, its checksum, and
//! the trailer's count, total and file checksum.

use super::{
    checksum, checksum_of, Field, CREDIT_CODES, CSR_TAG, DEBIT_CODES, DETAIL, HEADER, SETTLED_RRC,
    TRAILER,
};
use crate::statement::text::{self, malformed};
use crate::statement::{LineStatus, Statement, StatementError, StatementLine, StatementSource};
use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use sha2::{Digest, Sha256};

/// Reads the fixed-width fields of one record.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
}

impl<'a> Cursor<'a> {
    /// Expects `tag` then returns the value of `width` bytes after it.
    fn field(&mut self, (tag, width): Field) -> Result<&'a str, StatementError> {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        if !rest.starts_with(tag) {
            return Err(malformed(
                self.line,
                format!("expected {tag} at column {}", self.pos + 1),
            ));
        }
        let start = self.pos + tag.len();
        let end = start.saturating_add(width);
        let value = self
            .text
            .get(start..end)
            .ok_or_else(|| malformed(self.line, format!("{tag} is cut short")))?;
        self.pos = end;
        Ok(value)
    }

    /// Expects `tag` and returns the text up to and including it.
    fn through_tag(&mut self, tag: &str) -> Result<&'a str, StatementError> {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        if !rest.starts_with(tag) {
            return Err(malformed(
                self.line,
                format!("expected {tag} at column {}", self.pos + 1),
            ));
        }
        self.pos += tag.len();
        Ok(self.text.get(..self.pos).unwrap_or_default())
    }

    fn end(&self) -> Result<(), StatementError> {
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(malformed(self.line, "unexpected text after the last field"))
        }
    }
}

fn digits<'a>(line: u32, tag: &str, value: &'a str) -> Result<&'a str, StatementError> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value)
    } else {
        Err(malformed(
            line,
            format!("{tag} must be digits, not {value:?}"),
        ))
    }
}

/// `ddMMyyyy`.
fn parse_ddmmyyyy(line: u32, tag: &str, value: &str) -> Result<NaiveDate, StatementError> {
    let value = digits(line, tag, value)?;
    text::parse_date(line, tag, value, "%d%m%Y")
}

/// Reads the file.
pub(in crate::statement) fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    let content = std::str::from_utf8(text::strip_bom(bytes)).map_err(|err| {
        // The line of the first bad byte.
        let upto = bytes.get(..err.valid_up_to()).unwrap_or_default();
        let newlines = upto.iter().filter(|&&b| b == b'\n').count();
        malformed(text::line_number(newlines), "the file is not UTF-8")
    })?;
    let mut rows: Vec<&str> = content
        .split('\n')
        .map(|row| row.strip_suffix('\r').unwrap_or(row))
        .collect();
    while rows.last().is_some_and(|row| row.trim().is_empty()) {
        rows.pop();
    }
    let Some((first, rest)) = rows.split_first() else {
        return Err(malformed(1, "the file is empty"));
    };
    let business_date = parse_header(first)?;
    let Some((last, details)) = rest.split_last() else {
        return Err(malformed(2, "the file has no TR trailer"));
    };
    // The file checksum covers every line before the trailer, each ended by `\n`.
    let mut file_hasher = Sha256::new();
    file_hasher.update(first.as_bytes());
    file_hasher.update(b"\n");
    let mut lines = Vec::with_capacity(details.len());
    for (index, row) in details.iter().enumerate() {
        let line = text::line_number(index + 1);
        if !row.starts_with("DR") {
            return Err(malformed(
                line,
                "expected a DR detail record or the TR trailer",
            ));
        }
        lines.push(parse_detail(line, row, business_date)?);
        file_hasher.update(row.as_bytes());
        file_hasher.update(b"\n");
    }
    let trailer_line = text::line_number(rows.len() - 1);
    parse_trailer(trailer_line, last, file_hasher, &lines)?;
    Ok(Statement {
        source: StatementSource::Napas,
        business_date,
        lines,
    })
}

fn parse_header(row: &str) -> Result<NaiveDate, StatementError> {
    if !row.starts_with("HR[REV]") {
        return Err(malformed(
            1,
            "not a NAPAS file: the first record must be HR[REV]",
        ));
    }
    let mut cursor = Cursor {
        text: row,
        pos: 2,
        line: 1,
    };
    let [rev, date] = HEADER;
    cursor.field(rev)?;
    let date = parse_ddmmyyyy(1, date.0, cursor.field(date)?)?;
    cursor.end()?;
    Ok(date)
}

fn parse_detail(
    line: u32,
    row: &str,
    business_date: NaiveDate,
) -> Result<StatementLine, StatementError> {
    let mut cursor = Cursor {
        text: row,
        pos: 2,
        line,
    };
    let mut values = [""; 23];
    for (slot, field) in values.iter_mut().zip(DETAIL.iter()) {
        *slot = cursor.field(*field)?;
    }
    let signed = cursor.through_tag(CSR_TAG)?;
    let written = cursor.field(("", 32))?;
    cursor.end()?;
    if checksum_of(signed.as_bytes()) != written.to_ascii_lowercase() {
        return Err(malformed(
            line,
            "the record's [CSR] checksum does not match",
        ));
    }
    let [mti, _f2, f3, svc, _tcc, f4, rta, f49, _f11, f12, f13, _f15, _acq, iss, bnb, _f102, _f103, _f37, _trn, rrc, rsv1, rsv2, _rsv3] =
        values;
    if mti != "0210" || f49 != "704" {
        return Err(malformed(line, "expected [MTI]0210 and [F49]704 (VND)"));
    }
    let direction = match (f3, svc.trim()) {
        code if code == CREDIT_CODES => "credit",
        code if code == DEBIT_CODES => "debit",
        _ => {
            return Err(malformed(
                line,
                format!(
                    "unknown [F3]{f3} [SVC]{} for a NAPAS 247 transfer",
                    svc.trim()
                ),
            ))
        }
    };
    let bin = if direction == "credit" { bnb } else { iss };
    digits(line, "[ISS]/[BNB]", bin.trim())?;
    let amount = text::parse_amount(line, "[F4]", f4)?;
    text::parse_amount(line, "[RTA]", rta)?;
    let status = match digits(line, "[RRC]", rrc)? {
        SETTLED_RRC => LineStatus::Settled,
        _ => LineStatus::Failed,
    };
    let time = digits(line, "[F12]", f12)?;
    let time = NaiveTime::parse_from_str(time, "%H%M%S")
        .map_err(|_| malformed(line, format!("[F12] is not hhmmss: {time:?}")))?;
    let at = transaction_time(line, business_date, digits(line, "[F13]", f13)?, time)?;
    Ok(StatementLine {
        line,
        reference: text::parse_reference(line, rsv1)?,
        their_id: text::parse_their_id(line, rsv2)?,
        amount,
        status,
        at,
        party: Some(direction.to_owned()),
    })
}

/// The instant of `[F13]` (MMdd) and `[F12]`: the year is the file's, or the one before
/// for a December record in a January file.
fn transaction_time(
    line: u32,
    business_date: NaiveDate,
    month_day: &str,
    time: NaiveTime,
) -> Result<chrono::DateTime<chrono::Utc>, StatementError> {
    let month: u32 = month_day.get(..2).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = month_day.get(2..).and_then(|d| d.parse().ok()).unwrap_or(0);
    let year = if month > business_date.month() {
        business_date.year() - 1
    } else {
        business_date.year()
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| malformed(line, format!("[F13] is not a date: {month_day:?}")))?;
    let naive = date
        .and_hms_opt(time.hour(), time.minute(), time.second())
        .ok_or_else(|| malformed(line, "[F12] is not a time"))?;
    text::from_local(line, naive)
}

fn parse_trailer(
    line: u32,
    row: &str,
    mut file_hasher: Sha256,
    lines: &[StatementLine],
) -> Result<(), StatementError> {
    if !row.starts_with("TR[NOT]") {
        return Err(malformed(line, "the file must end with a TR[NOT] trailer"));
    }
    let mut cursor = Cursor {
        text: row,
        pos: 2,
        line,
    };
    let [not, tot, cre, time, date, csf] = TRAILER;
    let count = text::parse_count(line, not.0, digits(line, not.0, cursor.field(not)?)?)?;
    let total = text::parse_total(line, tot.0, cursor.field(tot)?)?;
    cursor.field(cre)?;
    digits(line, time.0, cursor.field(time)?)?;
    parse_ddmmyyyy(line, date.0, cursor.field(date)?)?;
    let signed = cursor.through_tag(csf.0)?;
    let written = cursor.field(("", csf.1))?;
    cursor.end()?;
    file_hasher.update(signed.as_bytes());
    if checksum(file_hasher) != written.to_ascii_lowercase() {
        return Err(malformed(line, "the file's [CSF] checksum does not match"));
    }
    text::check_trailer(line, count, total, lines)
}
