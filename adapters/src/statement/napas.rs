//! The NAPAS reconciliation file ("file đối soát", the `TC` file of successful and
//! listed transactions), `.dat`.
//!
//! NAPAS does not publish its specification; it is given to member banks and
//! intermediaries under contract. This layout follows the files as member-side code
//! that is public reads and writes them:
//! - <https://github.com/talk114/himlam/blob/master/gw/src/main/java/gateway/core/channel/napas/service/schedule/NapasScheduleService.java>
//!   (a payment intermediary's daily "đối soát NAPAS": the `HR`/`DR`/`TR` records, the
//!   field tags and widths, the `MMDDYY_ACQ_<member>_<code>_1_TC_<service>.dat` name,
//!   and the per-record `[CSR]` and per-file `[CSF]` checksums);
//! - <https://github.com/tranngocanh1987/ibft_job/blob/master/src/main/java/com/infoplus/ibft/service/NapasFileHandler.java>
//!   (a bank's IBFT job reading the same records).
//!
//! ```text
//! HR[REV]  971999[DATE]20052024
//! DR[MTI]0210[F2]      *********4567[F3]000000[SVC]  IF_DEBIT[TCC]99[F4]000000150000...[CSR]<32 hex>
//! TR[NOT]000000001[TOT]000000000000150000[CRE]               NAPAS[TIME]103105[DATE]21052024[CSF]<32 hex>
//! ```
//!
//! Each tag is followed by a value of fixed width, numbers zero-padded and text
//! right-aligned with spaces, as the code above writes them. Where this file differs,
//! and why:
//! - The trailer carries `[TOT]`, the sum of `[F4]` over the records, so the total can be
//!   checked as well as the count (`[NOT]`).
//! - The checksums are the first 32 hex digits of an unkeyed SHA-256 (`[CSR]` over the
//!   record up to and including `[CSR]`; `[CSF]` over the whole file up to and
//!   including `[CSF]`, lines joined by `\n`), where NAPAS uses a keyed MD5 whose key
//!   each member agrees with NAPAS: they catch damage, not forgery.
//! - Public samples show only interbank deposits (`[F3]910000`, `[SVC]IF_DEP`): credits
//!   of the citizen's account are written so; debits of it (a top-up pulled from the
//!   citizen's account) are `[F3]000000`, `[SVC]IF_DEBIT`.
//! - `[RRC]` is `0000` for a settled transfer and the refusal's response code for a
//!   failed one (`0051` insufficient funds, `0062` account closed).
//! - The gateway's reference is in `[RSV1]` and NAPAS's transaction id (the one its
//!   answer to the transfer carried) in `[RSV2]`; the citizen's account number is
//!   masked.
//! - Amounts are dong: VND has no minor unit.

use super::text::{self, malformed};
use super::{
    FileHeader, LineStatus, Statement, StatementEntry, StatementError, StatementLine,
    StatementSource, WriteError,
};
use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use sha2::{Digest, Sha256};

/// The gateway's member code at NAPAS, as NAPAS names it in `[REV]`, `[ACQ]`.
pub const MEMBER_CODE: &str = "971999";
/// The gateway's short name in NAPAS file names.
pub const MEMBER_NAME: &str = "CCCDPAY";
/// Who NAPAS says created the file (`[CRE]`).
const CREATOR: &str = "NAPAS";

/// `[F3]` and `[SVC]` of a credit of the citizen's account (an interbank deposit).
const CREDIT_CODES: (&str, &str) = ("910000", "IF_DEP");
/// `[F3]` and `[SVC]` of a debit of it.
const DEBIT_CODES: (&str, &str) = ("000000", "IF_DEBIT");
/// `[RRC]` of a settled transfer.
const SETTLED_RRC: &str = "0000";
/// `[RRC]` of a failed transfer whose entry names no code.
const DEFAULT_FAILED_RRC: &str = "0005";
/// The gateway's own account at NAPAS, `[F102]`/`[F103]` for its side of a transfer.
const SETTLEMENT_ACCOUNT: &str = "CCCDPAY-SETTLEMENT";

/// A field: its tag and the width of its value.
type Field = (&'static str, usize);

const HEADER: [Field; 2] = [("[REV]", 8), ("[DATE]", 8)];
const DETAIL: [Field; 24] = [
    ("[MTI]", 4),
    ("[F2]", 19),
    ("[F3]", 6),
    ("[SVC]", 10),
    ("[TCC]", 2),
    ("[F4]", 12),
    ("[RTA]", 12),
    ("[F49]", 3),
    ("[F11]", 6),
    ("[F12]", 6),
    ("[F13]", 4),
    ("[F15]", 4),
    ("[ACQ]", 8),
    ("[ISS]", 8),
    ("[BNB]", 8),
    ("[F102]", 28),
    ("[F103]", 28),
    ("[F37]", 12),
    ("[TRN]", 16),
    ("[RRC]", 4),
    ("[RSV1]", 100),
    ("[RSV2]", 100),
    ("[RSV3]", 100),
    ("[CSR]", 32),
];
const TRAILER: [Field; 6] = [
    ("[NOT]", 9),
    ("[TOT]", 18),
    ("[CRE]", 20),
    ("[TIME]", 6),
    ("[DATE]", 8),
    ("[CSF]", 32),
];

/// `MMDDYY_ACQ_CCCDPAY_971999_1_TC_IBFT.dat`.
pub(super) fn file_name(header: &FileHeader) -> String {
    format!(
        "{}_ACQ_{MEMBER_NAME}_{}_1_TC_IBFT.dat",
        header.business_date.format("%m%d%y"),
        header.account
    )
}

/// The checksum of everything hashed so far.
fn checksum(hasher: Sha256) -> String {
    let digest = hex::encode(hasher.finalize());
    digest.get(..32).unwrap_or_default().to_owned()
}

fn checksum_of(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    checksum(hasher)
}

// ---------------------------------------------------------------------------------
// Writing

/// A record being written: tags and padded values.
struct Record {
    text: String,
}

impl Record {
    fn new(kind: &str) -> Self {
        Record {
            text: kind.to_owned(),
        }
    }

    /// Appends `tag` and `value` right-aligned in `width` with `pad`.
    fn put(
        &mut self,
        (tag, width): Field,
        value: &str,
        pad: char,
    ) -> Result<&mut Self, WriteError> {
        if !value.is_ascii() || value.bytes().any(|b| b.is_ascii_control()) {
            return Err(WriteError::Field {
                field: tag,
                reason: "must be printable ASCII",
            });
        }
        if value.len() > width {
            return Err(WriteError::Field {
                field: tag,
                reason: "does not fit its width",
            });
        }
        self.text.push_str(tag);
        self.text
            .extend(std::iter::repeat_n(pad, width - value.len()));
        self.text.push_str(value);
        Ok(self)
    }
}

/// Writes the file.
pub(super) fn write(
    header: &FileHeader,
    entries: &[StatementEntry],
) -> Result<Vec<u8>, WriteError> {
    let [rev, date] = HEADER;
    let mut out = String::new();
    let mut record = Record::new("HR");
    record.put(rev, &header.account, ' ')?.put(
        date,
        &header.business_date.format("%d%m%Y").to_string(),
        '0',
    )?;
    out.push_str(&record.text);
    out.push('\n');
    for (index, entry) in entries.iter().enumerate() {
        out.push_str(&detail(header, index + 1, entry)?);
        out.push('\n');
    }
    let total = text::write_total(entries.iter().map(|entry| entry.amount))?;
    let [not, tot, cre, time, created, csf] = TRAILER;
    let mut record = Record::new("TR");
    record
        .put(not, &entries.len().to_string(), '0')?
        .put(tot, &total.to_string(), '0')?
        .put(cre, CREATOR, ' ')?
        .put(time, &text::local(header.created_at, "%H%M%S"), '0')?
        .put(created, &text::local(header.created_at, "%d%m%Y"), '0')?;
    out.push_str(&record.text);
    out.push_str(csf.0);
    let sum = checksum_of(out.as_bytes());
    out.push_str(&sum);
    out.push('\n');
    Ok(out.into_bytes())
}

fn detail(
    header: &FileHeader,
    sequence: usize,
    entry: &StatementEntry,
) -> Result<String, WriteError> {
    let amount = text::write_amount(entry.amount)?.to_string();
    let credit = match entry.party.as_deref() {
        Some("credit") => true,
        Some("debit") => false,
        _ => {
            return Err(WriteError::Field {
                field: "direction",
                reason: "must be debit or credit",
            })
        }
    };
    let bin = entry.bank_bin.as_deref().unwrap_or_default();
    let account = entry.account.as_deref().unwrap_or_default();
    let (processing, service) = if credit { CREDIT_CODES } else { DEBIT_CODES };
    let (issuer, beneficiary) = if credit {
        (header.account.as_str(), bin)
    } else {
        (bin, header.account.as_str())
    };
    let (source, destination) = if credit {
        (SETTLEMENT_ACCOUNT, account)
    } else {
        (account, SETTLEMENT_ACCOUNT)
    };
    let their_id = entry.their_id.as_deref().unwrap_or_default();
    let digits: String = their_id.chars().filter(char::is_ascii_digit).collect();
    let retrieval = digits
        .get(digits.len().saturating_sub(12)..)
        .unwrap_or_default();
    let rrc = text::by_status(
        entry.status,
        SETTLED_RRC,
        entry.result_code.as_deref().unwrap_or(DEFAULT_FAILED_RRC),
    );
    let month_day = text::local(entry.at, "%m%d");
    let trace = (sequence % 1_000_000).to_string();
    let transfer_ref = format!("{month_day}IBT{:09}", sequence % 1_000_000_000);
    let f = |index: usize| DETAIL.get(index).copied().unwrap_or(("[?]", 0));
    let mut record = Record::new("DR");
    record
        .put(f(0), "0210", '0')?
        .put(f(1), account, ' ')?
        .put(f(2), processing, '0')?
        .put(f(3), service, ' ')?
        .put(f(4), "99", '0')?
        .put(f(5), &amount, '0')?
        .put(f(6), &amount, '0')?
        .put(f(7), "704", '0')?
        .put(f(8), &trace, '0')?
        .put(f(9), &text::local(entry.at, "%H%M%S"), '0')?
        .put(f(10), &month_day, '0')?
        .put(f(11), &month_day, '0')?
        .put(f(12), &header.account, ' ')?
        .put(f(13), issuer, ' ')?
        .put(f(14), beneficiary, ' ')?
        .put(f(15), source, ' ')?
        .put(f(16), destination, ' ')?
        .put(f(17), retrieval, '0')?
        .put(f(18), &transfer_ref, ' ')?
        .put(f(19), rrc, '0')?
        .put(f(20), &entry.reference, ' ')?
        .put(f(21), their_id, ' ')?
        .put(f(22), "", ' ')?;
    record.text.push_str(f(23).0);
    let sum = checksum_of(record.text.as_bytes());
    record.text.push_str(&sum);
    Ok(record.text)
}

// ---------------------------------------------------------------------------------
// Reading

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
pub(super) fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
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
    let signed = cursor.through_tag(DETAIL[23].0)?;
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
