//! The period a revenue report covers: a month (`2026-11`), a quarter (`2026-Q4`) or
//! a year (`2026`), in Vietnam time.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

/// A period as whole months: `first` and `last` are first days of months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub label: String,
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

fn month(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn year_of(text: &str) -> Option<i32> {
    // Four digits, from the year presumptive tax ended well past any report.
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|y| (2000..=2999).contains(y))
}

impl Period {
    /// `2026-11`, `2026-Q4` (or `2026-q4`) or `2026`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (first, last, kind) = match text.split_once('-') {
            None => {
                let y = year_of(text)?;
                (month(y, 1)?, month(y, 12)?, PeriodKind::Year)
            }
            Some((y, rest)) => {
                let y = year_of(y)?;
                if let Some(q) = rest.strip_prefix(['Q', 'q']) {
                    let q: u32 = match q {
                        "1" => 1,
                        "2" => 2,
                        "3" => 3,
                        "4" => 4,
                        _ => return None,
                    };
                    (month(y, 3 * q - 2)?, month(y, 3 * q)?, PeriodKind::Quarter)
                } else {
                    if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let m = month(y, rest.parse().ok()?)?;
                    (m, m, PeriodKind::Month)
                }
            }
        };
        let label = match kind {
            PeriodKind::Year => format!("{}", first.year()),
            PeriodKind::Quarter => format!("{}-Q{}", first.year(), first.month().div_ceil(3)),
            PeriodKind::Month => format!("{}-{:02}", first.year(), first.month()),
        };
        Some(Period {
            label,
            kind,
            first,
            last,
        })
    }

    /// The last calendar day of the period.
    pub fn last_day(&self) -> NaiveDate {
        let next = if self.last.month() == 12 {
            month(self.last.year() + 1, 1)
        } else {
            month(self.last.year(), self.last.month() + 1)
        };
        next.and_then(|n| n.pred_opt()).unwrap_or(self.last)
    }

    /// The first month of the period's year: year-to-date runs from there to `last`.
    pub fn year_start(&self) -> NaiveDate {
        month(self.first.year(), 1).unwrap_or(self.first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_quarters_and_years() {
        let p = Period::parse("2026-11").unwrap();
        assert_eq!(
            (p.first, p.last, p.kind),
            (d(2026, 11, 1), d(2026, 11, 1), PeriodKind::Month)
        );
        assert_eq!(p.last_day(), d(2026, 11, 30));
        let q = Period::parse("2026-q4").unwrap();
        assert_eq!(q.label, "2026-Q4");
        assert_eq!((q.first, q.last), (d(2026, 10, 1), d(2026, 12, 1)));
        assert_eq!(q.last_day(), d(2026, 12, 31));
        let y = Period::parse("2027").unwrap();
        assert_eq!((y.first, y.last_day()), (d(2027, 1, 1), d(2027, 12, 31)));
        assert_eq!(Period::parse("2028-02").unwrap().last_day(), d(2028, 2, 29));
        assert_eq!(q.year_start(), d(2026, 1, 1));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-00",
            "2026-1",
            "2026-Q5",
            "2026-Q0",
            "2026-H1",
            "2026-11-01",
            "１２３４",
            "2026-Q",
            "-2026",
            "9999",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad:?}");
        }
    }
}
