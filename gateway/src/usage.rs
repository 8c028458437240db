//! The running totals the rules read: per citizen, what they moved in the current
//! Vietnam day and month, by cap. Kept in one row per citizen and changed in the same
//! transaction as the payment that changes them, so a check costs one row read however
//! long the citizen's history. A row remembers which day and month it counts; the
//! first change in a new window starts it from zero.

use chrono::NaiveDate;

use crate::rules::{month_of, CapClass, Usage};

/// A citizen's counters as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub identity_id: String,
    pub day: NaiveDate,
    pub day_total: i64,
    /// The first day of the month counted.
    pub month: NaiveDate,
    pub month_general: i64,
    pub month_essential: i64,
}

impl UsageRow {
    /// Counters for a citizen who has moved nothing yet.
    pub fn empty(identity_id: &str, today: NaiveDate) -> Self {
        Self {
            identity_id: identity_id.to_string(),
            day: today,
            day_total: 0,
            month: month_of(today),
            month_general: 0,
            month_essential: 0,
        }
    }

    /// What counts on `today`: windows that have passed count nothing.
    pub fn usage_on(&self, today: NaiveDate) -> Usage {
        let same_day = self.day == today;
        let same_month = self.month == month_of(today);
        Usage {
            today_total: if same_day { self.day_total } else { 0 },
            month_general: if same_month { self.month_general } else { 0 },
            month_essential: if same_month { self.month_essential } else { 0 },
        }
    }

    fn roll_to(&mut self, today: NaiveDate) {
        if self.day != today {
            self.day = today;
            self.day_total = 0;
        }
        if self.month != month_of(today) {
            self.month = month_of(today);
            self.month_general = 0;
            self.month_essential = 0;
        }
    }

    /// Adds (or with a negative `amount`, takes back) a movement started on
    /// `started`, as seen on `today`. A movement from a window already passed changes
    /// nothing: no rule reads that window any more.
    pub fn count(&mut self, today: NaiveDate, started: NaiveDate, amount: i64, class: CapClass) {
        self.roll_to(today);
        if started == self.day {
            self.day_total = self.day_total.saturating_add(amount).max(0);
        }
        if month_of(started) == self.month {
            match class {
                CapClass::General => {
                    self.month_general = self.month_general.saturating_add(amount).max(0)
                }
                CapClass::Essential => {
                    self.month_essential = self.month_essential.saturating_add(amount).max(0)
                }
                CapClass::Uncapped => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn windows_that_passed_count_nothing_and_restart_from_zero() {
        let mut row = UsageRow::empty("idn_1", d(2026, 12, 7));
        row.count(d(2026, 12, 7), d(2026, 12, 7), 5_000, CapClass::General);
        row.count(d(2026, 12, 7), d(2026, 12, 7), 700, CapClass::Essential);
        row.count(d(2026, 12, 7), d(2026, 12, 7), 300, CapClass::Uncapped);
        assert_eq!(
            row.usage_on(d(2026, 12, 7)),
            Usage {
                today_total: 6_000,
                month_general: 5_000,
                month_essential: 700
            }
        );
        // The next day: the day restarts, the month goes on.
        assert_eq!(
            row.usage_on(d(2026, 12, 8)),
            Usage {
                today_total: 0,
                month_general: 5_000,
                month_essential: 700
            }
        );
        // A payment of yesterday that fails today gives back only the month's share.
        row.count(d(2026, 12, 8), d(2026, 12, 7), -5_000, CapClass::General);
        assert_eq!(row.usage_on(d(2026, 12, 8)).month_general, 0);
        assert_eq!(row.usage_on(d(2026, 12, 8)).today_total, 0);
        // A new month restarts everything.
        assert_eq!(row.usage_on(d(2027, 1, 1)), Usage::default());
    }

    proptest! {
        /// Counting payments one at a time keeps the totals a SUM over the window
        /// would give, whatever order they come in and whichever are taken back.
        #[test]
        fn counters_equal_the_sum_over_the_window(
            moves in prop::collection::vec((0u32..3, 1i64..1_000_000, 0u8..3, any::<bool>()), 1..60)
        ) {
            let today = d(2026, 12, 7);
            let days = [d(2026, 12, 1), d(2026, 12, 6), today];
            let class = |c: u8| match c { 0 => CapClass::General, 1 => CapClass::Essential, _ => CapClass::Uncapped };
            let mut row = UsageRow::empty("idn_1", d(2026, 12, 1));
            let mut kept = Vec::new();
            for (day, amount, c, taken_back) in &moves {
                let started = days[*day as usize];
                row.count(today, started, *amount, class(*c));
                if *taken_back {
                    row.count(today, started, -*amount, class(*c));
                } else {
                    kept.push((started, *amount, class(*c)));
                }
            }
            let sum = |f: &dyn Fn(&(NaiveDate, i64, CapClass)) -> bool| kept.iter().filter(|m| f(m)).map(|m| m.1).sum::<i64>();
            let usage = row.usage_on(today);
            prop_assert_eq!(usage.today_total, sum(&|m| m.0 == today));
            prop_assert_eq!(usage.month_general, sum(&|m| m.2 == CapClass::General));
            prop_assert_eq!(usage.month_essential, sum(&|m| m.2 == CapClass::Essential));
        }
    }
}
