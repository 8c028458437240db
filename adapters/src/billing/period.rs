//! The billing period of a utility bill: one calendar month, written `YYYY-MM` on the wire.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// One calendar month of consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingPeriod {
    year: i32,
    month: u32,
}

/// A billing period that is not a real calendar month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid billing period {input:?}: expected YYYY-MM")]
pub struct PeriodError {
    /// What was given.
    pub input: String,
}

impl PeriodError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        "invalid_period"
    }
}

impl BillingPeriod {
    /// The period for `year`-`month`; `month` is 1..=12.
    pub fn new(year: i32, month: u32) -> Result<Self, PeriodError> {
        // Both ends of the month must exist as dates, which also bounds the year.
        let period = Self { year, month };
        match (period.try_first_day(), period.try_last_day()) {
            (Some(_), Some(_)) => Ok(period),
            _ => Err(PeriodError {
                input: format!("{year:04}-{month:02}"),
            }),
        }
    }

    /// The period that contains `date`.
    pub fn containing(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Calendar year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Calendar month, 1..=12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// First day of the month.
    pub fn first_day(&self) -> NaiveDate {
        // Construction checked that the date exists.
        self.try_first_day().unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        self.try_last_day().unwrap_or(NaiveDate::MAX)
    }

    fn try_first_day(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    fn try_last_day(&self) -> Option<NaiveDate> {
        let (next_year, next_month) = if self.month == 12 {
            (self.year.checked_add(1)?, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
    }
}

impl From<NaiveDate> for BillingPeriod {
    fn from(date: NaiveDate) -> Self {
        Self::containing(date)
    }
}

impl FromStr for BillingPeriod {
    type Err = PeriodError;

    /// Parses exactly `YYYY-MM` (four-digit year, two-digit month), the API's format.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || PeriodError {
            input: input.to_owned(),
        };
        let bytes = input.as_bytes();
        let well_shaped = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[5..].iter().all(u8::is_ascii_digit);
        if !well_shaped {
            return Err(error());
        }
        let year: i32 = input[..4].parse().map_err(|_| error())?;
        let month: u32 = input[5..].parse().map_err(|_| error())?;
        Self::new(year, month).map_err(|_| error())
    }
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;

    #[test]
    fn parses_and_prints_the_wire_format() {
        let period: BillingPeriod = "2025-05".parse().unwrap();
        assert_eq!(period.year(), 2025);
        assert_eq!(period.month(), 5);
        assert_eq!(period.to_string(), "2025-05");
        assert_eq!(period.first_day(), ymd(2025, 5, 1));
        assert_eq!(period.last_day(), ymd(2025, 5, 31));
    }

    #[test]
    fn knows_month_ends() {
        assert_eq!(
            BillingPeriod::new(2024, 2).unwrap().last_day(),
            ymd(2024, 2, 29)
        );
        assert_eq!(
            BillingPeriod::new(2026, 12).unwrap().last_day(),
            ymd(2026, 12, 31)
        );
        assert_eq!(
            BillingPeriod::containing(ymd(2026, 7, 15)),
            BillingPeriod::new(2026, 7).unwrap()
        );
    }

    #[test]
    fn rejects_malformed_periods() {
        for bad in [
            "2025-13",
            "2025-00",
            "2025-5",
            "25-05",
            "2025/05",
            "2025-05-01",
            "",
        ] {
            let err = bad.parse::<BillingPeriod>().unwrap_err();
            assert_eq!(err.code(), "invalid_period", "{bad}");
        }
    }
}
