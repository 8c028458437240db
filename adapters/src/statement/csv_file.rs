//! The delimited files (VNPay, MoMo, ZaloPay, the billers) through the `csv` crate,
//! which gets quoting right: records of different lengths (title, column names,
//! details, trailer), each read with the line it starts on.

use super::text::{self, malformed};
use super::{StatementError, WriteError};

/// One record and where it starts.
#[derive(Debug)]
pub(super) struct Row {
    /// 1-based line of the record's start.
    pub line: u32,
    /// Its fields, as written (not trimmed).
    pub fields: Vec<String>,
}

impl Row {
    /// Field `index`, or an error naming `what`.
    pub fn get(&self, index: usize, what: &str) -> Result<&str, StatementError> {
        self.fields
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| malformed(self.line, format!("{what} is missing")))
    }

    /// Whether the first field is `marker` (a trailer's, say).
    pub fn starts_with(&self, marker: &str) -> bool {
        self.fields
            .first()
            .is_some_and(|first| first.trim() == marker)
    }

    /// Checks the record is exactly `expected` (a title or the column names).
    pub fn expect(&self, expected: &[&str], what: &str) -> Result<(), StatementError> {
        let matches = self.fields.len() == expected.len()
            && self
                .fields
                .iter()
                .zip(expected)
                .all(|(field, want)| field.trim() == *want);
        if matches {
            Ok(())
        } else {
            Err(malformed(
                self.line,
                format!("expected {what}: {}", expected.join(",")),
            ))
        }
    }

    /// Checks the record has `count` fields.
    pub fn expect_len(&self, count: usize, what: &str) -> Result<(), StatementError> {
        if self.fields.len() == count {
            Ok(())
        } else {
            Err(malformed(
                self.line,
                format!("{what} must have {count} fields, not {}", self.fields.len()),
            ))
        }
    }
}

/// Every record of `bytes` (a leading BOM dropped; blank lines skipped).
pub(super) fn read(bytes: &[u8], delimiter: u8) -> Result<Vec<Row>, StatementError> {
    let input = text::strip_bom(bytes);
    // The crate's own line count misses a line after each CRLF, and a record after a
    // CRLF starts at that CRLF's `\n`; so lines are counted here from each record's
    // byte offset, a `\n` at the offset itself included.
    let newlines: Vec<u64> = input
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(offset, _)| offset as u64)
        .collect();
    let line_at = |position: Option<&csv::Position>| {
        position.map_or(0, |p| {
            text::line_number(newlines.partition_point(|&offset| offset <= p.byte()))
        })
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut rows = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => {
                rows.push(Row {
                    line: line_at(record.position()),
                    fields: record.iter().map(str::to_owned).collect(),
                });
            }
            Err(err) => {
                let line = line_at(err.position());
                let reason = match err.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8".to_owned(),
                    _ => format!("unreadable record: {err}"),
                };
                return Err(malformed(line, reason));
            }
        }
    }
    Ok(rows)
}

/// A delimited file being written.
pub(super) struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Sheet {
    /// A file with `delimiter` and `terminator`; `bom` starts it with a UTF-8 byte order
    /// mark, as spreadsheet exports do.
    pub fn new(delimiter: u8, terminator: csv::Terminator, bom: bool) -> Self {
        let start = if bom {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        let writer = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .terminator(terminator)
            .from_writer(start);
        Sheet { writer }
    }

    /// Appends a record.
    pub fn row<I, F>(&mut self, fields: I) -> Result<(), WriteError>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .map_err(|_| WriteError::Encoding)
    }

    /// The bytes written.
    pub fn finish(self) -> Result<Vec<u8>, WriteError> {
        self.writer.into_inner().map_err(|_| WriteError::Encoding)
    }
}

/// How a sheet of a header row, a row of column names, detail rows and a closing
/// `<total label>,<count>,<total>` row is laid out (MoMo's and ZaloPay's files).
pub(super) struct TotalledSheet<'a> {
    pub delimiter: u8,
    pub columns: &'a [&'a str],
    /// The first field of the closing row, as the system writes it.
    pub total_label: &'a str,
}

impl TotalledSheet<'_> {
    /// The closing row for `entries`, and the finished file.
    pub fn finish(
        &self,
        mut sheet: Sheet,
        entries: &[super::StatementEntry],
    ) -> Result<Vec<u8>, WriteError> {
        let total = text::write_total(entries.iter().map(|entry| entry.amount))?;
        sheet.row([
            self.total_label.to_owned(),
            entries.len().to_string(),
            total.to_string(),
        ])?;
        sheet.finish()
    }

    /// The header's business date and the detail lines, the closing row checked
    /// against them.
    pub fn read(
        &self,
        bytes: &[u8],
        header: impl Fn(&Row) -> Result<chrono::NaiveDate, StatementError>,
        detail: impl Fn(&Row) -> Result<super::StatementLine, StatementError>,
    ) -> Result<(chrono::NaiveDate, Vec<super::StatementLine>), StatementError> {
        let rows = read(bytes, self.delimiter)?;
        let mut rows = rows.iter();
        let first = rows
            .next()
            .ok_or_else(|| malformed(1, "the file is empty"))?;
        let business_date = header(first)?;
        let columns = rows.next().ok_or_else(|| {
            malformed(first.line.saturating_add(1), "the column names are missing")
        })?;
        columns.expect(self.columns, "the column names")?;
        let label = self.total_label;
        let mut lines = Vec::new();
        let mut last = columns.line;
        while let Some(row) = rows.next() {
            if row.starts_with(label) && row.fields.len() == 3 {
                let count = text::parse_count(row.line, "the count", row.get(1, "the count")?)?;
                let total = text::parse_total(row.line, "the total", row.get(2, "the total")?)?;
                text::check_trailer(row.line, count, total, &lines)?;
                if let Some(extra) = rows.next() {
                    return Err(malformed(
                        extra.line,
                        format!("records after the {label} row"),
                    ));
                }
                return Ok((business_date, lines));
            }
            lines.push(detail(row)?);
            last = row.line;
        }
        Err(malformed(
            last.saturating_add(1),
            format!("the file has no {label} row"),
        ))
    }
}
