//! Merchant tax codes (mã số thuế).
//!
//! Since 1 Jul 2025 (Circular 86/2024/TT-BTC) a household business or individual owner
//! is taxed under their 12-digit personal identification number; organisations keep
//! 10-digit codes and their dependent units 10 + "-" + 3 digits. The domain notes give
//! no check digit for the 10-digit code, so none is enforced here.

use super::cccd::{Cccd, CccdError};
use super::clock::vietnam_today;
use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The API error code shared by every [`TaxCodeError`].
pub const INVALID_TAX_CODE: &str = "invalid_tax_code";

const ENTERPRISE_LEN: usize = 10;
const UNIT_SUFFIX_LEN: usize = 3;
const DEPENDENT_UNIT_LEN: usize = ENTERPRISE_LEN + 1 + UNIT_SUFFIX_LEN;

/// A merchant's tax code.
///
/// `Debug`, `Display` and `Serialize` mask a personal number (`001******345`); organisation
/// codes are public registry data and are shown in full. Build values with
/// [`TaxCode::parse`]: the variants can be constructed directly, but only `parse`
/// validates them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaxCode {
    /// A household business or individual owner: their personal identification number.
    Personal(Cccd),
    /// An organisation: 10 digits.
    Enterprise(String),
    /// A dependent unit (branch) of an organisation: `NNNNNNNNNN-NNN`.
    DependentUnit(String),
}

/// Why a string is not a merchant tax code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxCodeError {
    /// Not 10 digits, 12 digits, or 10 digits + "-" + 3 digits.
    #[error("a tax code is 10 digits, a 12-digit personal identification number, or 10 digits, a hyphen and 3 digits")]
    Malformed,
    /// Twelve digits that are not a valid personal identification number.
    #[error("a 12-digit tax code must be a valid personal identification number: {0}")]
    InvalidPersonalNumber(#[source] CccdError),
}

impl TaxCodeError {
    /// The API error code: always `"invalid_tax_code"`.
    pub const fn code(&self) -> &'static str {
        INVALID_TAX_CODE
    }

    /// A stable snake_case reason, for `details` in error responses.
    pub const fn reason(&self) -> &'static str {
        match self {
            TaxCodeError::Malformed => "malformed",
            TaxCodeError::InvalidPersonalNumber(_) => "invalid_personal_number",
        }
    }
}

fn all_ascii_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

impl TaxCode {
    /// Parses a tax code, validating a personal number against today's date in Vietnam.
    pub fn parse(input: &str) -> Result<TaxCode, TaxCodeError> {
        TaxCode::parse_at(input, vietnam_today())
    }

    /// Parses a tax code as of `today` (a date in Vietnam). The input is not trimmed and
    /// a dependent unit's hyphen is required.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<TaxCode, TaxCodeError> {
        match input.len() {
            ENTERPRISE_LEN if all_ascii_digits(input) => Ok(TaxCode::Enterprise(input.to_owned())),
            len if len == super::cccd::CCCD_LEN && all_ascii_digits(input) => {
                Cccd::parse_at(input, today)
                    .map(TaxCode::Personal)
                    .map_err(TaxCodeError::InvalidPersonalNumber)
            }
            DEPENDENT_UNIT_LEN => match input.split_once('-') {
                Some((parent, unit))
                    if parent.len() == ENTERPRISE_LEN
                        && unit.len() == UNIT_SUFFIX_LEN
                        && all_ascii_digits(parent)
                        && all_ascii_digits(unit) =>
                {
                    Ok(TaxCode::DependentUnit(input.to_owned()))
                }
                _ => Err(TaxCodeError::Malformed),
            },
            _ => Err(TaxCodeError::Malformed),
        }
    }

    /// The full code, for storage and for the tax authority. For a personal number this
    /// is the unmasked number: never use it for display or logs.
    pub fn expose(&self) -> &str {
        match self {
            TaxCode::Personal(cccd) => cccd.expose(),
            TaxCode::Enterprise(code) | TaxCode::DependentUnit(code) => code,
        }
    }

    /// The 10-digit code of the organisation a dependent unit belongs to, or the
    /// organisation's own code; `None` for a personal number.
    pub fn enterprise_code(&self) -> Option<&str> {
        match self {
            TaxCode::Personal(_) => None,
            TaxCode::Enterprise(code) | TaxCode::DependentUnit(code) => code.get(..ENTERPRISE_LEN),
        }
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxCode::Personal(cccd) => fmt::Display::fmt(cccd, f),
            TaxCode::Enterprise(code) | TaxCode::DependentUnit(code) => f.write_str(code),
        }
    }
}

impl Serialize for TaxCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for TaxCode {
    type Err = TaxCodeError;

    /// Same as [`TaxCode::parse`].
    fn from_str(input: &str) -> Result<TaxCode, TaxCodeError> {
        TaxCode::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<TaxCode, TaxCodeError> {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).expect("valid date");
        TaxCode::parse_at(input, today)
    }

    #[test]
    fn enterprise_code() {
        // The power company's parent code from the NAPAS QR vector (domain/vietnam.md §6).
        let code = parse("0100101114").expect("enterprise");
        assert_eq!(code, TaxCode::Enterprise("0100101114".to_owned()));
        assert_eq!(code.to_string(), "0100101114");
        assert_eq!(code.expose(), "0100101114");
        assert_eq!(code.enterprise_code(), Some("0100101114"));
    }

    #[test]
    fn enterprise_code_has_no_checksum() {
        // No check digit is documented, so every 10-digit code is accepted.
        for code in ["0000000000", "0100101115", "9999999999", "1234567890"] {
            assert!(matches!(parse(code), Ok(TaxCode::Enterprise(_))), "{code}");
        }
    }

    #[test]
    fn dependent_unit_code() {
        // domain/vietnam.md §6: tag 26 sub 01 carries "0100101114-019".
        let code = parse("0100101114-019").expect("dependent unit");
        assert_eq!(code, TaxCode::DependentUnit("0100101114-019".to_owned()));
        assert_eq!(code.to_string(), "0100101114-019");
        assert_eq!(code.enterprise_code(), Some("0100101114"));
        assert_eq!(
            serde_json::to_string(&code).ok().as_deref(),
            Some("\"0100101114-019\"")
        );
    }

    #[test]
    fn personal_number_is_a_valid_cccd_and_masked() {
        let code = parse("001099012345").expect("personal");
        let TaxCode::Personal(cccd) = &code else {
            panic!("expected a personal tax code, got {code:?}");
        };
        assert_eq!(cccd.province().name(), "Hà Nội");
        assert_eq!(code.to_string(), "001******345");
        assert_eq!(format!("{code:?}"), "Personal(Cccd(\"001******345\"))");
        assert_eq!(
            serde_json::to_string(&code).ok().as_deref(),
            Some("\"001******345\"")
        );
        assert_eq!(code.expose(), "001099012345");
        assert_eq!(code.enterprise_code(), None);
    }

    #[test]
    fn twelve_digits_that_are_not_a_cccd_are_rejected() {
        let cases = [
            ("003099012345", CccdError::UnknownProvince { code: 3 }),
            ("001227012345", CccdError::BirthYearInFuture { year: 2027 }),
            ("001499012345", CccdError::BirthYearInFuture { year: 2199 }),
        ];
        for (input, cause) in cases {
            let err = parse(input).expect_err(input);
            assert_eq!(err, TaxCodeError::InvalidPersonalNumber(cause));
            assert_eq!(err.code(), "invalid_tax_code");
            assert_eq!(err.reason(), "invalid_personal_number");
        }
    }

    #[test]
    fn other_shapes_are_malformed() {
        let cases = [
            "",
            "010010111",
            "01001011140",
            "0100101114019",
            "01001011140190",
            "0100101114-19",
            "0100101114-0190",
            "010010111-4019",
            "0100101114_019",
            "0100101114 019",
            "0100101114--19",
            "-0100101114019",
            "0100101114-01a",
            "01001O1114",
            " 0100101114",
            "0100101114 ",
            "00109901234x",
            "0010990123456",
            "０100101114",
            "MST0100101114",
        ];
        for input in cases {
            let err = parse(input).expect_err(input);
            assert_eq!(err, TaxCodeError::Malformed, "{input:?}");
            assert_eq!(err.code(), "invalid_tax_code");
            assert_eq!(err.reason(), "malformed");
        }
    }

    #[test]
    fn from_str_uses_the_current_date() {
        assert!("0100101114-019".parse::<TaxCode>().is_ok());
        assert!(TaxCode::parse("001099012345").is_ok());
        assert!(TaxCode::parse("001999012345").is_err());
    }
}
