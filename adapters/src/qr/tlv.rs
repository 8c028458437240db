//! The EMVCo tag-length-value layout: a 2-digit tag, a 2-digit length and that many
//! characters of value, repeated. Templates (tags 38 and 62 in VietQR) hold another TLV
//! list as their value, so the same parser serves every nesting level.
//!
//! Lengths count characters (Unicode scalar values), not bytes, as EMVCo specifies; a
//! purpose text with Vietnamese diacritics therefore declares fewer units than it has
//! UTF-8 bytes.

use thiserror::Error;

/// The largest value a 2-digit length can announce.
pub const MAX_VALUE_CHARS: usize = 99;

/// The largest tag a 2-digit tag can name.
pub const MAX_TAG: u8 = 99;

/// One data object of a TLV list, borrowing its value from the parsed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The tag, `0..=99`.
    pub tag: u8,
    /// The value, exactly as many characters as the length announced.
    pub value: &'a str,
    /// Character offset of the tag within the parsed input, for error messages.
    pub position: usize,
}

/// Why a TLV list could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    /// Fewer than four characters remain, or the tag or length is not two ASCII digits.
    #[error("no valid 2-digit tag and 2-digit length at character {position}")]
    BadHeader {
        /// Character offset where the header should start.
        position: usize,
    },
    /// The length announces more characters than the input has left.
    #[error("tag {tag:02} at character {position} announces {declared} characters but only {available} remain")]
    Truncated {
        /// The field's tag.
        tag: u8,
        /// Character offset of the field's tag.
        position: usize,
        /// The announced length.
        declared: usize,
        /// Characters actually left after the header.
        available: usize,
    },
    /// A length of `00`; EMVCo lengths run from 01 to 99.
    #[error("tag {tag:02} at character {position} has an empty value")]
    Empty {
        /// The field's tag.
        tag: u8,
        /// Character offset of the field's tag.
        position: usize,
    },
    /// A value to write does not fit a 2-digit length (or is empty).
    #[error("tag {tag:02} cannot carry a value of {length} characters (1 to 99 allowed)")]
    BadValueLength {
        /// The field's tag.
        tag: u8,
        /// The value's length in characters.
        length: usize,
    },
    /// A tag to write is above 99.
    #[error("tag {0} does not fit in two digits")]
    TagOutOfRange(u8),
}

/// Reads `input` as a complete TLV list. Trailing characters that do not form a full
/// field are an error, never silently dropped: a beneficiary account number cut short
/// by a wrong length must not be read as a different, shorter account.
pub fn parse(input: &str) -> Result<Vec<Field<'_>>, TlvError> {
    let mut fields = Vec::new();
    let mut rest = input;
    let mut position = 0usize;
    while !rest.is_empty() {
        let (tag, declared) = header(rest).ok_or(TlvError::BadHeader { position })?;
        // The header is four ASCII bytes, so byte offset 4 is a character boundary.
        let after = rest.get(4..).ok_or(TlvError::BadHeader { position })?;
        if declared == 0 {
            return Err(TlvError::Empty { tag, position });
        }
        let end = match after.char_indices().nth(declared) {
            Some((byte, _)) => byte,
            None => {
                let available = after.chars().count();
                if available != declared {
                    return Err(TlvError::Truncated {
                        tag,
                        position,
                        declared,
                        available,
                    });
                }
                after.len()
            }
        };
        let (value, remainder) = after.split_at(end);
        fields.push(Field {
            tag,
            value,
            position,
        });
        position += 4 + declared;
        rest = remainder;
    }
    Ok(fields)
}

/// Appends one field to `out`, announcing the value's length in characters.
pub fn write(out: &mut String, tag: u8, value: &str) -> Result<(), TlvError> {
    if tag > MAX_TAG {
        return Err(TlvError::TagOutOfRange(tag));
    }
    let length = value.chars().count();
    if length == 0 || length > MAX_VALUE_CHARS {
        return Err(TlvError::BadValueLength { tag, length });
    }
    out.push_str(&format!("{tag:02}{length:02}"));
    out.push_str(value);
    Ok(())
}

/// The tag and length of the header starting `rest`, if it is four ASCII digits.
fn header(rest: &str) -> Option<(u8, usize)> {
    let bytes = rest.as_bytes().get(..4)?;
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digit = |i: usize| bytes.get(i).map(|b| b - b'0');
    let tag = digit(0)? * 10 + digit(1)?;
    let length = usize::from(digit(2)? * 10 + digit(3)?);
    Some((tag, length))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_flat_list() {
        let fields = parse("0002010102115802VN").unwrap();
        let pairs: Vec<_> = fields
            .iter()
            .map(|f| (f.tag, f.value, f.position))
            .collect();
        assert_eq!(pairs, vec![(0, "01", 0), (1, "11", 6), (58, "VN", 12)]);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let fields = parse("0803Bùi0102ab").unwrap();
        assert_eq!(fields[0].value, "Bùi");
        assert_eq!(fields[1].value, "ab");
        assert_eq!(fields[1].position, 7);
    }

    #[test]
    fn rejects_truncated_empty_and_bad_headers() {
        assert_eq!(
            parse("0005abc"),
            Err(TlvError::Truncated {
                tag: 0,
                position: 0,
                declared: 5,
                available: 3
            })
        );
        assert_eq!(
            parse("0200"),
            Err(TlvError::Empty {
                tag: 2,
                position: 0
            })
        );
        assert_eq!(parse("0102ab8"), Err(TlvError::BadHeader { position: 6 }));
        assert_eq!(parse("0x02ab"), Err(TlvError::BadHeader { position: 0 }));
        assert_eq!(parse("é"), Err(TlvError::BadHeader { position: 0 }));
    }

    #[test]
    fn empty_input_is_an_empty_list() {
        assert_eq!(parse(""), Ok(vec![]));
    }

    #[test]
    fn writer_refuses_what_two_digits_cannot_say() {
        let mut out = String::new();
        assert_eq!(
            write(&mut out, 5, ""),
            Err(TlvError::BadValueLength { tag: 5, length: 0 })
        );
        assert_eq!(
            write(&mut out, 5, &"x".repeat(100)),
            Err(TlvError::BadValueLength {
                tag: 5,
                length: 100
            })
        );
        assert_eq!(write(&mut out, 100, "x"), Err(TlvError::TagOutOfRange(100)));
        assert!(out.is_empty());
        write(&mut out, 8, "Bùi").unwrap();
        assert_eq!(out, "0803Bùi");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = parse(&s);
        }

        #[test]
        fn write_then_parse_round_trips(items in prop::collection::vec((0u8..=99, "\\PC{1,99}"), 0..6)) {
            let mut out = String::new();
            for (tag, value) in &items {
                write(&mut out, *tag, value).unwrap();
            }
            let parsed: Vec<_> = parse(&out).unwrap().iter().map(|f| (f.tag, f.value.to_owned())).collect();
            prop_assert_eq!(parsed, items);
        }
    }
}
