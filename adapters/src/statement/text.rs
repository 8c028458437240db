//! What every format's reader and writer share: the checks of a detail record's values,
//! Vietnam wall-clock times, and the trailer's count and total.

use super::{LineStatus, StatementError, StatementLine, WriteError};
use crate::providers::vietnam_time::{to_vietnam, VIETNAM};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The largest amount a line may carry, in dong (the wire formats' own bound, 10^15).
pub(super) const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// Longest reference accepted in a file: the gateway sends at most 64 characters, and
/// ZaloPay adds its 7-character date prefix.
const MAX_REFERENCE_LEN: usize = 100;

/// Longest transaction id of a system accepted in a file.
const MAX_ID_LEN: usize = 100;

/// A [`StatementError::Malformed`] at `line`.
pub(super) fn malformed(line: u32, reason: impl Into<String>) -> StatementError {
    StatementError::Malformed {
        line,
        reason: reason.into(),
    }
}

/// A 1-based line number from a 0-based index, saturating: no real file has 4 billion
/// lines, and the number only guides the operator.
pub(super) fn line_number(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

/// The bytes without a leading UTF-8 byte order mark, which spreadsheet exports add.
pub(super) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A non-negative amount written as plain digits, at most [`MAX_AMOUNT`].
pub(super) fn parse_amount(line: u32, field: &str, text: &str) -> Result<i64, StatementError> {
    let text = text.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            line,
            format!("{field} must be a whole number of dong, not {text:?}"),
        ));
    }
    match text.parse::<i64>() {
        Ok(amount) if amount <= MAX_AMOUNT => Ok(amount),
        _ => Err(malformed(
            line,
            format!("{field} is larger than 10^15 dong"),
        )),
    }
}

/// A trailer's total: plain digits, any sum of amounts that fits an `i64`.
pub(super) fn parse_total(line: u32, field: &str, text: &str) -> Result<i64, StatementError> {
    let text = text.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            line,
            format!("{field} must be a whole number of dong, not {text:?}"),
        ));
    }
    text.parse::<i64>()
        .map_err(|_| malformed(line, format!("{field} is out of range")))
}

/// A count written as plain digits.
pub(super) fn parse_count(line: u32, field: &str, text: &str) -> Result<usize, StatementError> {
    let text = text.trim();
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            line,
            format!("{field} must be a count, not {text:?}"),
        ));
    }
    text.parse::<usize>()
        .map_err(|_| malformed(line, format!("{field} is out of range")))
}

/// The gateway's reference as recorded: 1 to 100 printable ASCII characters.
pub(super) fn parse_reference(line: u32, text: &str) -> Result<String, StatementError> {
    let text = text.trim();
    if text.is_empty()
        || text.len() > MAX_REFERENCE_LEN
        || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(malformed(
            line,
            "the reference must be 1 to 100 printable ASCII characters",
        ));
    }
    Ok(text.to_owned())
}

/// The system's own transaction id; empty means it assigned none.
pub(super) fn parse_their_id(line: u32, text: &str) -> Result<Option<String>, StatementError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_ID_LEN || text.chars().any(char::is_control) {
        return Err(malformed(
            line,
            "the transaction id is too long or not text",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A Vietnam wall-clock time in `format`, as an instant.
pub(super) fn parse_local(
    line: u32,
    field: &str,
    text: &str,
    format: &str,
) -> Result<DateTime<Utc>, StatementError> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), format)
        .map_err(|_| malformed(line, format!("{field} is not a time in {format}: {text:?}")))?;
    from_local(line, naive)
}

/// A Vietnam wall-clock time as an instant. UTC+7 has no gaps or folds, so this only
/// fails at the very ends of chrono's range.
pub(super) fn from_local(line: u32, naive: NaiveDateTime) -> Result<DateTime<Utc>, StatementError> {
    VIETNAM
        .from_local_datetime(&naive)
        .single()
        .map(|local| local.with_timezone(&Utc))
        .ok_or_else(|| malformed(line, "the time is out of range"))
}

/// A date in `format` (`%Y%m%d`, `%d/%m/%Y`, ...).
pub(super) fn parse_date(
    line: u32,
    field: &str,
    text: &str,
    format: &str,
) -> Result<NaiveDate, StatementError> {
    NaiveDate::parse_from_str(text.trim(), format)
        .map_err(|_| malformed(line, format!("{field} is not a date in {format}: {text:?}")))
}

/// `at` on the Vietnam wall clock in `format`.
pub(super) fn local(at: DateTime<Utc>, format: &str) -> String {
    to_vietnam(at).format(format).to_string()
}

/// Checks that the trailer's count and total are those of `lines`.
pub(super) fn check_trailer(
    trailer_line: u32,
    count: usize,
    total: i64,
    lines: &[StatementLine],
) -> Result<(), StatementError> {
    if count != lines.len() {
        return Err(malformed(
            trailer_line,
            format!(
                "the trailer counts {count} records but the file has {}",
                lines.len()
            ),
        ));
    }
    let sum = total_of(lines.iter().map(|line| line.amount))
        .ok_or_else(|| malformed(trailer_line, "the amounts overflow"))?;
    if sum != total {
        return Err(malformed(
            trailer_line,
            format!("the trailer's total is {total} but the records add up to {sum}"),
        ));
    }
    Ok(())
}

/// The sum of `amounts`, or `None` on overflow.
pub(super) fn total_of(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0_i64, |sum, amount| sum.checked_add(amount))
}

/// The total a writer puts in a trailer.
pub(super) fn write_total(amounts: impl IntoIterator<Item = i64>) -> Result<i64, WriteError> {
    total_of(amounts).ok_or(WriteError::Field {
        field: "total",
        reason: "the amounts overflow",
    })
}

/// Checks an amount a writer is given.
pub(super) fn write_amount(amount: i64) -> Result<i64, WriteError> {
    if (0..=MAX_AMOUNT).contains(&amount) {
        Ok(amount)
    } else {
        Err(WriteError::Field {
            field: "amount",
            reason: "must be 0 to 10^15 dong",
        })
    }
}

/// `settled` when the status is settled, else `failed`.
pub(super) fn by_status<T>(status: LineStatus, settled: T, failed: T) -> T {
    match status {
        LineStatus::Settled => settled,
        LineStatus::Failed => failed,
    }
}
