//! The 12-digit personal identification number (số định danh cá nhân), printed on the
//! CCCD / thẻ căn cước.
//!
//! Layout `PPP G YY RRRRRR` (Decree 137/2015/NĐ-CP Art. 13): birth-registration code,
//! century-and-gender digit, last two digits of the birth year, six random digits.
//! There is no checksum: the last six digits are random by law, so validation is only
//! structural and must not reject numbers on an invented check digit.

use super::century::{Century, CenturyGender, Gender};
use super::clock::vietnam_today;
use super::province::Province;
use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Number of digits in a personal identification number.
pub const CCCD_LEN: usize = 12;

/// What a masked number shows when the input was not a 12-digit number at all: nothing.
const FULLY_MASKED: &str = "************";

/// The API error code shared by every [`CccdError`].
pub const INVALID_CCCD: &str = "invalid_cccd";

/// Why a string is not a structurally valid personal identification number.
///
/// No variant carries the input itself, so errors can be logged without leaking it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CccdError {
    /// Not 12 characters long.
    #[error("a personal identification number has 12 digits, this one has {len} characters")]
    WrongLength {
        /// Length of the input in characters.
        len: usize,
    },
    /// A character other than the ASCII digits 0-9.
    #[error(
        "a personal identification number has only the digits 0-9; character {position} is not one"
    )]
    NonDigit {
        /// 1-based position of the first offending character.
        position: usize,
    },
    /// The first three digits are neither a province nor a foreign-birth code.
    #[error("{code:03} is not a known birth-registration province code")]
    UnknownProvince {
        /// The first three digits.
        code: u16,
    },
    /// The 4th digit does not encode a century and gender.
    #[error("{digit} is not a century-and-gender digit")]
    BadCenturyDigit {
        /// The 4th digit.
        digit: u8,
    },
    /// The encoded birth year is after the current year.
    #[error("birth year {year} is in the future")]
    BirthYearInFuture {
        /// The decoded birth year.
        year: i32,
    },
}

impl CccdError {
    /// The API error code: always `"invalid_cccd"`.
    pub const fn code(&self) -> &'static str {
        INVALID_CCCD
    }

    /// A stable snake_case reason, for `details` in error responses and for metrics.
    pub const fn reason(&self) -> &'static str {
        match self {
            CccdError::WrongLength { .. } => "wrong_length",
            CccdError::NonDigit { .. } => "non_digit",
            CccdError::UnknownProvince { .. } => "unknown_province",
            CccdError::BadCenturyDigit { .. } => "bad_century_digit",
            CccdError::BirthYearInFuture { .. } => "birth_year_in_future",
        }
    }
}

/// A structurally valid personal identification number.
///
/// The number is sensitive personal data (Decree 13/2023), so `Debug`, `Display` and
/// `Serialize` all give the masked form `001******345`; [`Cccd::expose`] is the only way
/// to the full number. There is deliberately no `Deserialize`: numbers enter through
/// [`Cccd::parse`] so they are always validated.
#[derive(Clone)]
pub struct Cccd {
    number: String,
    province: Province,
    century_gender: CenturyGender,
    birth_year: i32,
}

impl Cccd {
    /// Parses and validates a number against today's date in Vietnam (UTC+7).
    pub fn parse(input: &str) -> Result<Cccd, CccdError> {
        Cccd::parse_at(input, vietnam_today())
    }

    /// Parses and validates a number as of `today` (a date in Vietnam). Pure: the same
    /// input and date always give the same result.
    ///
    /// Checks, in order: 12 characters, all ASCII digits, a known birth-registration
    /// code, a century-and-gender digit, a birth year not after `today`'s year. The
    /// input is not trimmed.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Cccd, CccdError> {
        let len = input.chars().count();
        if len != CCCD_LEN {
            return Err(CccdError::WrongLength { len });
        }
        if let Some(index) = input.chars().position(|c| !c.is_ascii_digit()) {
            return Err(CccdError::NonDigit {
                position: index + 1,
            });
        }
        // Every character is now one ASCII byte, so the input is exactly 12 bytes.
        let Ok(bytes) = <[u8; CCCD_LEN]>::try_from(input.as_bytes()) else {
            return Err(CccdError::WrongLength { len });
        };
        let digits = bytes.map(|b| b - b'0');
        let province_code =
            u16::from(digits[0]) * 100 + u16::from(digits[1]) * 10 + u16::from(digits[2]);
        let province = Province::from_value(province_code).ok_or(CccdError::UnknownProvince {
            code: province_code,
        })?;
        let century_gender = CenturyGender::from_digit(digits[3])
            .ok_or(CccdError::BadCenturyDigit { digit: digits[3] })?;
        let birth_year = century_gender.century().year(digits[4] * 10 + digits[5]);
        // Only the year is encoded, so a number is "in the future" only once its whole
        // year is; anyone born this year is accepted.
        if birth_year > today.year() {
            return Err(CccdError::BirthYearInFuture { year: birth_year });
        }
        Ok(Cccd {
            number: input.to_owned(),
            province,
            century_gender,
            birth_year,
        })
    }

    /// The province (or foreign-birth code) where the birth was registered.
    pub const fn province(&self) -> Province {
        self.province
    }

    /// The gender encoded in the 4th digit.
    pub const fn gender(&self) -> Gender {
        self.century_gender.gender()
    }

    /// The century of birth encoded in the 4th digit.
    pub const fn century(&self) -> Century {
        self.century_gender.century()
    }

    /// The full birth year, e.g. 1999.
    pub const fn birth_year(&self) -> i32 {
        self.birth_year
    }

    /// The masked form, `001******345`, safe for responses and logs.
    pub fn masked(&self) -> String {
        mask_cccd(&self.number)
    }

    /// The full 12-digit number. Call only where the full number is genuinely needed
    /// (storage, calls to the identity or tax systems), never for display or logs.
    pub fn expose(&self) -> &str {
        &self.number
    }
}

/// Masks a personal identification number to its first 3 and last 3 digits,
/// `001******345`, as the API requires wherever a number appears in a response.
///
/// Works on any string. Anything that is not exactly 12 ASCII digits is masked entirely
/// (`************`), because a malformed number may still be someone's real one.
pub fn mask_cccd(number: &str) -> String {
    let is_number = number.len() == CCCD_LEN && number.bytes().all(|b| b.is_ascii_digit());
    match (is_number, number.get(..3), number.get(CCCD_LEN - 3..)) {
        (true, Some(head), Some(tail)) => format!("{head}******{tail}"),
        _ => FULLY_MASKED.to_owned(),
    }
}

impl PartialEq for Cccd {
    fn eq(&self, other: &Cccd) -> bool {
        // Everything else is derived from the number.
        self.number == other.number
    }
}

impl Eq for Cccd {}

impl Hash for Cccd {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.number.hash(state);
    }
}

impl fmt::Debug for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cccd").field(&self.masked()).finish()
    }
}

impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Cccd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl FromStr for Cccd {
    type Err = CccdError;

    /// Same as [`Cccd::parse`].
    fn from_str(input: &str) -> Result<Cccd, CccdError> {
        Cccd::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::province::BirthRegistration;
    use std::collections::HashSet;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
    }

    fn today() -> NaiveDate {
        date(2026, 3, 15)
    }

    fn parse(input: &str) -> Result<Cccd, CccdError> {
        Cccd::parse_at(input, today())
    }

    #[test]
    fn parses_and_decodes_hanoi_male_1999() {
        let cccd = parse("001099012345").expect("valid");
        assert_eq!(cccd.province().code().to_string(), "001");
        assert_eq!(cccd.province().name(), "Hà Nội");
        assert_eq!(cccd.gender(), Gender::Male);
        assert_eq!(cccd.century().ordinal(), 20);
        assert_eq!(cccd.birth_year(), 1999);
        assert_eq!(cccd.expose(), "001099012345");
    }

    #[test]
    fn decodes_each_century_and_gender_digit() {
        // (number, birth year, gender, century): one case per row of the doc's table
        // that can be in the past today.
        let cases = [
            ("079000000001", 1900, Gender::Male, 20),
            ("079185000001", 1985, Gender::Female, 20),
            ("079200000001", 2000, Gender::Male, 21),
            ("079312000001", 2012, Gender::Female, 21),
            ("079226000001", 2026, Gender::Male, 21),
        ];
        for (number, year, gender, century) in cases {
            let cccd = parse(number).expect(number);
            assert_eq!(cccd.birth_year(), year, "{number}");
            assert_eq!(cccd.gender(), gender, "{number}");
            assert_eq!(cccd.century().ordinal(), century, "{number}");
            assert_eq!(cccd.province().name(), "TP. Hồ Chí Minh");
        }
    }

    #[test]
    fn every_documented_province_code_is_accepted() {
        for province in Province::domestic() {
            let number = format!("{}085123456", province.code());
            let cccd = parse(&number).expect("domestic code");
            assert_eq!(cccd.province(), province);
        }
    }

    #[test]
    fn foreign_birth_codes_are_accepted_and_marked() {
        for code in ["101", "175", "232", "279", "295"] {
            let cccd = parse(&format!("{code}301123456")).expect(code);
            assert!(cccd.province().is_abroad(), "{code}");
            assert_eq!(cccd.province().registration(), BirthRegistration::Abroad);
            assert_eq!(cccd.birth_year(), 2001);
            assert_eq!(cccd.gender(), Gender::Female);
        }
    }

    #[test]
    fn rejects_wrong_length() {
        for (input, len) in [("", 0), ("00109901234", 11), ("0010990123456", 13)] {
            let err = parse(input).expect_err(input);
            assert_eq!(err, CccdError::WrongLength { len });
            assert_eq!(err.reason(), "wrong_length");
        }
        // Length counts characters, not bytes: 12 characters of which one is non-ASCII
        // is a digit problem, not a length one.
        assert_eq!(
            parse("00109901234٥"),
            Err(CccdError::NonDigit { position: 12 })
        );
    }

    #[test]
    fn rejects_non_digits() {
        let cases = [
            ("A01099012345", 1),
            ("001 99012345", 4),
            ("00109901234x", 12),
            ("-01099012345", 1),
            ("+01099012345", 1),
            ("00109901234\n", 12),
            ("００1099012345", 1),
        ];
        for (input, position) in cases {
            assert_eq!(input.chars().count(), CCCD_LEN, "{input:?}");
            assert_eq!(
                parse(input),
                Err(CccdError::NonDigit { position }),
                "{input:?}"
            );
        }
        assert_eq!(
            parse("001099O12345").map_err(|e| e.reason()),
            Err("non_digit")
        );
        // Surrounding whitespace is not trimmed away.
        assert!(parse(" 001099012345").is_err());
    }

    #[test]
    fn rejects_unknown_province_codes() {
        for (code, number) in [
            (0, "000099012345"),
            (3, "003099012345"),
            (97, "097099012345"),
            (100, "100099012345"),
            (296, "296099012345"),
            (999, "999099012345"),
        ] {
            let err = parse(number).expect_err(number);
            assert_eq!(err, CccdError::UnknownProvince { code });
            assert_eq!(err.reason(), "unknown_province");
        }
    }

    #[test]
    fn rejects_birth_years_in_the_future() {
        // 2027 is after the test's "today" in 2026.
        assert_eq!(
            parse("001227012345"),
            Err(CccdError::BirthYearInFuture { year: 2027 })
        );
        assert_eq!(
            parse("001399012345"),
            Err(CccdError::BirthYearInFuture { year: 2099 })
        );
        // Digits 4-9 are 22nd-24th century births: always in the future for now.
        for digit in 4..=9 {
            let number = format!("001{digit}00012345");
            let err = parse(&number).expect_err(&number);
            assert_eq!(err.reason(), "birth_year_in_future");
        }
    }

    #[test]
    fn current_year_is_not_the_future() {
        // Born on 1 January of today's year, or today itself: only the year is known.
        assert!(Cccd::parse_at("001226012345", date(2026, 1, 1)).is_ok());
        assert!(Cccd::parse_at("001226012345", date(2025, 12, 31)).is_err());
    }

    #[test]
    fn parse_uses_the_current_date() {
        assert!(Cccd::parse("001099012345").is_ok());
        assert!("001099012345".parse::<Cccd>().is_ok());
        assert!(Cccd::parse("001999012345").is_err());
    }

    #[test]
    fn there_is_no_checksum() {
        // Any last six digits are accepted: they are random by law.
        for tail in ["000000", "000001", "123456", "999999", "314159"] {
            assert!(parse(&format!("001099{tail}")).is_ok(), "{tail}");
        }
    }

    #[test]
    fn every_error_has_api_code_invalid_cccd() {
        let errors = [
            CccdError::WrongLength { len: 3 },
            CccdError::NonDigit { position: 1 },
            CccdError::UnknownProvince { code: 3 },
            CccdError::BadCenturyDigit { digit: 10 },
            CccdError::BirthYearInFuture { year: 2100 },
        ];
        let reasons: HashSet<&str> = errors.iter().map(CccdError::reason).collect();
        assert_eq!(reasons.len(), errors.len(), "reasons are distinct");
        for err in &errors {
            assert_eq!(err.code(), "invalid_cccd");
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(
            CccdError::UnknownProvince { code: 3 }.to_string(),
            "003 is not a known birth-registration province code"
        );
    }

    #[test]
    fn masked_everywhere_by_default() {
        // domain/api.md: "001******345".
        let cccd = parse("001099012345").expect("valid");
        assert_eq!(cccd.masked(), "001******345");
        assert_eq!(cccd.to_string(), "001******345");
        assert_eq!(format!("{cccd:?}"), "Cccd(\"001******345\")");
        assert_eq!(
            serde_json::to_string(&cccd).ok().as_deref(),
            Some("\"001******345\"")
        );
        let nested = format!("{:?}", Some(&cccd));
        assert!(!nested.contains("099012"), "{nested}");
    }

    #[test]
    fn mask_cccd_handles_any_input() {
        assert_eq!(mask_cccd("001099012345"), "001******345");
        // Not a 12-digit number: nothing is shown.
        for input in [
            "",
            "123",
            "0010990123456",
            "00109901234x",
            "ab1099012345",
            "00109901234٥",
        ] {
            assert_eq!(mask_cccd(input), "************", "{input:?}");
        }
    }

    #[test]
    fn equality_and_hash_follow_the_number() {
        let a = parse("001099012345").expect("valid");
        let b = parse("001099012345").expect("valid");
        let c = parse("001099012346").expect("valid");
        assert_eq!(a, b);
        assert_ne!(a, c);
        let set: HashSet<Cccd> = [a, b, c].into_iter().collect();
        assert_eq!(set.len(), 2);
    }
}
