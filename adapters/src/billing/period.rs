//! The billing period of a utility bill: one calendar month, written `YYYY-MM` on the
//! wire; and the meter period, the days between two meter readings that a bill
//! prices, which a tariff change can split (see `proration`).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// One calendar month of consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingPeriod {
    year: i32,
    month: u32,
}

/// A billing period that is not a real calendar month, or a meter period that ends
/// before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid billing period {input:?}: expected YYYY-MM, or a first day on or before the last")]
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

/// The days one meter reading covers (kỳ ghi chỉ số), both inclusive: from the day
/// after the previous reading to the day of this one. A bill for a calendar month
/// covers that month ([`From<BillingPeriod>`]); EVN's reading days need not fall on
/// month ends, so a period may also be given by its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterPeriod {
    first_day: NaiveDate,
    last_day: NaiveDate,
}

impl MeterPeriod {
    /// The days `first_day..=last_day`.
    pub fn new(first_day: NaiveDate, last_day: NaiveDate) -> Result<Self, PeriodError> {
        if last_day < first_day {
            return Err(PeriodError {
                input: format!("{first_day}..{last_day}"),
            });
        }
        Ok(Self {
            first_day,
            last_day,
        })
    }

    /// First day covered.
    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    /// Last day covered: the reading day, when the bill is issued.
    pub fn last_day(&self) -> NaiveDate {
        self.last_day
    }

    /// Number of days covered (at least 1).
    pub fn days(&self) -> u32 {
        let span = (self.last_day - self.first_day).num_days() + 1;
        u32::try_from(span).unwrap_or(u32::MAX)
    }

    /// The month the bill belongs to: the month of the reading day.
    pub fn billing_period(&self) -> BillingPeriod {
        BillingPeriod::containing(self.last_day)
    }

    /// Whether the period is exactly one calendar month.
    pub fn is_calendar_month(&self) -> bool {
        let month = self.billing_period();
        self.first_day == month.first_day() && self.last_day == month.last_day()
    }
}

impl From<BillingPeriod> for MeterPeriod {
    fn from(period: BillingPeriod) -> Self {
        Self {
            first_day: period.first_day(),
            last_day: period.last_day(),
        }
    }
}

impl fmt::Display for MeterPeriod {
    /// `YYYY-MM` for a calendar month (the wire format of a billing period), else
    /// `YYYY-MM-DD..YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_calendar_month() {
            fmt::Display::fmt(&self.billing_period(), f)
        } else {
            write!(f, "{}..{}", self.first_day, self.last_day)
        }
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

    #[test]
    fn meter_periods_count_days_inclusively() {
        let may: MeterPeriod = BillingPeriod::new(2025, 5).unwrap().into();
        assert_eq!(
            (may.first_day(), may.last_day()),
            (ymd(2025, 5, 1), ymd(2025, 5, 31))
        );
        assert_eq!(may.days(), 31);
        assert!(may.is_calendar_month());
        assert_eq!(may.to_string(), "2025-05");
        let reading = MeterPeriod::new(ymd(2025, 4, 25), ymd(2025, 5, 24)).unwrap();
        assert_eq!(reading.days(), 30);
        assert!(!reading.is_calendar_month());
        assert_eq!(
            reading.billing_period(),
            BillingPeriod::new(2025, 5).unwrap()
        );
        assert_eq!(reading.to_string(), "2025-04-25..2025-05-24");
        assert_eq!(
            MeterPeriod::new(ymd(2025, 5, 9), ymd(2025, 5, 9))
                .unwrap()
                .days(),
            1
        );
        let err = MeterPeriod::new(ymd(2025, 5, 10), ymd(2025, 5, 9)).unwrap_err();
        assert_eq!(err.code(), "invalid_period");
        assert_eq!(err.input, "2025-05-10..2025-05-09");
    }
}
