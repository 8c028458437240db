//! The century-and-gender digit (the 4th digit of a personal identification number).
//!
//! Decree 137/2015 Art. 13 packs two facts into one digit: the century of birth and the
//! gender. Even digits are men, odd digits women; each pair of digits moves one century.

use serde::Serialize;
use std::fmt;

/// Gender as recorded in the personal identification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Gender {
    /// The API spelling: `"male"` or `"female"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A century of birth, counted the usual way: the 20th century is 1900–1999.
///
/// The domain notes write `century = 19 + G/2` for what is really the year's hundreds;
/// this type keeps the two apart with [`Century::ordinal`] and [`Century::first_year`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Century(u8);

impl Century {
    /// The earliest century a personal identification number can encode.
    pub const TWENTIETH: Century = Century(20);
    /// The latest century a personal identification number can encode.
    pub const TWENTY_FOURTH: Century = Century(24);

    /// The century's ordinal number, e.g. 20 for 1900–1999.
    pub const fn ordinal(self) -> u8 {
        self.0
    }

    /// The first year of the century as the number encodes it, e.g. 1900 for the 20th.
    pub const fn first_year(self) -> i32 {
        (self.0 as i32 - 1) * 100
    }

    /// The full birth year from its last two digits (`YY`, 0–99).
    pub const fn year(self, two_digit_year: u8) -> i32 {
        self.first_year() + two_digit_year as i32
    }
}

/// The decoded 4th digit of a personal identification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CenturyGender {
    century: Century,
    gender: Gender,
}

impl CenturyGender {
    /// Decodes the digit: 0/1 the 20th century, 2/3 the 21st, 4/5 the 22nd, 6/7 the 23rd,
    /// 8/9 the 24th, men on even digits and women on odd ones. `None` above 9.
    pub const fn from_digit(digit: u8) -> Option<CenturyGender> {
        if digit > 9 {
            return None;
        }
        let gender = if digit.is_multiple_of(2) {
            Gender::Male
        } else {
            Gender::Female
        };
        Some(CenturyGender {
            century: Century(Century::TWENTIETH.0 + digit / 2),
            gender,
        })
    }

    /// The digit for someone of `gender` born in `year`; `None` outside 1900–2399, which
    /// the number cannot express.
    pub const fn for_birth(year: i32, gender: Gender) -> Option<CenturyGender> {
        if year < Century::TWENTIETH.first_year()
            || year >= Century::TWENTY_FOURTH.first_year() + 100
        {
            return None;
        }
        Some(CenturyGender {
            century: Century(((year / 100) + 1) as u8),
            gender,
        })
    }

    /// Encodes back to the digit (0–9).
    pub const fn digit(self) -> u8 {
        let base = (self.century.0 - Century::TWENTIETH.0) * 2;
        match self.gender {
            Gender::Male => base,
            Gender::Female => base + 1,
        }
    }

    /// The century of birth.
    pub const fn century(self) -> Century {
        self.century
    }

    /// The gender.
    pub const fn gender(self) -> Gender {
        self.gender
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table in domain/vietnam.md §1.1: (digit, ordinal century, first year, gender).
    const DOC_TABLE: [(u8, u8, i32, Gender); 10] = [
        (0, 20, 1900, Gender::Male),
        (1, 20, 1900, Gender::Female),
        (2, 21, 2000, Gender::Male),
        (3, 21, 2000, Gender::Female),
        (4, 22, 2100, Gender::Male),
        (5, 22, 2100, Gender::Female),
        (6, 23, 2200, Gender::Male),
        (7, 23, 2200, Gender::Female),
        (8, 24, 2300, Gender::Male),
        (9, 24, 2300, Gender::Female),
    ];

    #[test]
    fn every_digit_decodes_as_the_doc_table_says() {
        for (digit, ordinal, first_year, gender) in DOC_TABLE {
            let decoded = CenturyGender::from_digit(digit).expect("digit 0-9 decodes");
            assert_eq!(decoded.century().ordinal(), ordinal, "digit {digit}");
            assert_eq!(decoded.century().first_year(), first_year, "digit {digit}");
            assert_eq!(decoded.gender(), gender, "digit {digit}");
            assert_eq!(decoded.digit(), digit);
        }
    }

    #[test]
    fn doc_formula_century_is_19_plus_half_the_digit() {
        // domain/vietnam.md: century = 19 + G/2, year = century*100 + YY.
        for digit in 0..=9u8 {
            let decoded = CenturyGender::from_digit(digit).expect("digit 0-9 decodes");
            let doc_hundreds = 19 + i32::from(digit / 2);
            assert_eq!(decoded.century().year(45), doc_hundreds * 100 + 45);
            assert_eq!(decoded.gender() == Gender::Female, digit % 2 == 1);
        }
    }

    #[test]
    fn digits_above_nine_are_rejected() {
        for digit in 10..=u8::MAX {
            assert_eq!(CenturyGender::from_digit(digit), None);
        }
    }

    #[test]
    fn for_birth_round_trips_and_bounds() {
        assert_eq!(CenturyGender::for_birth(1899, Gender::Male), None);
        assert_eq!(CenturyGender::for_birth(2400, Gender::Female), None);
        assert_eq!(
            CenturyGender::for_birth(1900, Gender::Male).map(|c| c.digit()),
            Some(0)
        );
        assert_eq!(
            CenturyGender::for_birth(1999, Gender::Female).map(|c| c.digit()),
            Some(1)
        );
        assert_eq!(
            CenturyGender::for_birth(2000, Gender::Male).map(|c| c.digit()),
            Some(2)
        );
        assert_eq!(
            CenturyGender::for_birth(2099, Gender::Female).map(|c| c.digit()),
            Some(3)
        );
        assert_eq!(
            CenturyGender::for_birth(2399, Gender::Female).map(|c| c.digit()),
            Some(9)
        );
    }

    #[test]
    fn gender_serializes_in_api_spelling() {
        assert_eq!(
            serde_json::to_string(&Gender::Male).ok().as_deref(),
            Some("\"male\"")
        );
        assert_eq!(
            serde_json::to_string(&Gender::Female).ok().as_deref(),
            Some("\"female\"")
        );
        assert_eq!(Gender::Female.to_string(), "female");
    }
}
