//! Effective dating shared by tariffs and insurance rates: every figure the state sets
//! has a first day and, once replaced, a last day, and a lookup must find exactly one.

use chrono::NaiveDate;

/// Something that is in force from a first day to an optional last day, both inclusive.
pub trait Effective {
    /// First day in force.
    fn valid_from(&self) -> NaiveDate;
    /// Last day in force (inclusive); `None` while nothing has replaced it.
    fn valid_to(&self) -> Option<NaiveDate>;

    /// Whether `date` falls inside the validity window.
    fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from() <= date && self.valid_to().is_none_or(|to| date <= to)
    }
}

/// A value with a validity window, for series such as the base salary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated<T> {
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force (inclusive); `None` while nothing has replaced it.
    pub valid_to: Option<NaiveDate>,
    /// The value in force during the window.
    pub value: T,
}

impl<T> Effective for Dated<T> {
    fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }
    fn valid_to(&self) -> Option<NaiveDate> {
        self.valid_to
    }
}

/// The single item in force on `date`, if any. Validation guarantees at most one matches,
/// so the first match is the match.
pub(crate) fn in_force_on<'a, T: Effective + 'a>(
    items: impl IntoIterator<Item = &'a T>,
    date: NaiveDate,
) -> Option<&'a T> {
    items.into_iter().find(|item| item.in_force_on(date))
}

/// Whether the window is well formed (does not end before it starts).
pub(crate) fn window_is_valid<T: Effective + ?Sized>(item: &T) -> bool {
    item.valid_to().is_none_or(|to| item.valid_from() <= to)
}

/// Whether two windows share at least one day.
pub(crate) fn overlaps<A: Effective + ?Sized, B: Effective + ?Sized>(a: &A, b: &B) -> bool {
    let a_before_b_ends = b.valid_to().is_none_or(|b_to| a.valid_from() <= b_to);
    let b_before_a_ends = a.valid_to().is_none_or(|a_to| b.valid_from() <= a_to);
    a_before_b_ends && b_before_a_ends
}

/// Indices of the first pair of overlapping windows, if any. Tables are tiny, so the
/// quadratic scan is clearer than sorting.
pub(crate) fn first_overlap<T: Effective>(items: &[&T]) -> Option<(usize, usize)> {
    (0..items.len()).find_map(|i| {
        ((i + 1)..items.len())
            .find(|&j| overlaps(items[i], items[j]))
            .map(|j| (i, j))
    })
}

/// Builds a date in `const` data. An impossible date becomes `NaiveDate::MIN`, which the
/// data tests reject, so a typo cannot slip through silently.
pub(crate) const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: NaiveDate, to: Option<NaiveDate>) -> Dated<()> {
        Dated {
            valid_from: from,
            valid_to: to,
            value: (),
        }
    }

    #[test]
    fn bounds_are_inclusive() {
        let w = window(ymd(2024, 7, 1), Some(ymd(2026, 6, 30)));
        assert!(w.in_force_on(ymd(2024, 7, 1)));
        assert!(w.in_force_on(ymd(2026, 6, 30)));
        assert!(!w.in_force_on(ymd(2024, 6, 30)));
        assert!(!w.in_force_on(ymd(2026, 7, 1)));
    }

    #[test]
    fn open_windows_overlap_everything_after_them() {
        let open = window(ymd(2024, 1, 1), None);
        let later = window(ymd(2030, 1, 1), Some(ymd(2030, 12, 31)));
        let earlier = window(ymd(2020, 1, 1), Some(ymd(2023, 12, 31)));
        assert!(overlaps(&open, &later));
        assert!(!overlaps(&open, &earlier));
        assert_eq!(first_overlap(&[&earlier, &open, &later]), Some((1, 2)));
    }

    #[test]
    fn impossible_const_date_is_min() {
        assert_eq!(ymd(2025, 2, 30), NaiveDate::MIN);
    }
}
