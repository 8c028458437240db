//! Writing the NAPAS file.

use super::{
    checksum_of, Field, CREATOR, CREDIT_CODES, DEBIT_CODES, DEFAULT_FAILED_RRC, DETAIL, HEADER,
    SETTLED_RRC, SETTLEMENT_ACCOUNT, TRAILER,
};
use crate::statement::text;
use crate::statement::{FileHeader, StatementEntry, WriteError};

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
pub(in crate::statement) fn write(
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
