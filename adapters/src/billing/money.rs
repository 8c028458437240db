//! Whole-dong rounding shared by every calculator here, so one rule holds everywhere.
//!
//! The dong has no minor unit in circulation, so every amount a customer sees is a
//! whole number of dong. Intermediate products (a VAT percentage, a 70% household
//! share) are computed exactly with `Decimal` and rounded once, half away from zero
//! (for the non-negative amounts billed here that is plain half-up: 0.5 goes up).

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds an exact amount to whole dong, half away from zero. `None` when it does not
/// fit in an `i64`.
pub(crate) fn round_dong(value: Decimal) -> Option<i64> {
    let rounded = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded).ok()
}

/// `rate × base`, rounded to whole dong by [`round_dong`].
pub(crate) fn apply_rate(rate: Decimal, base: i64) -> Option<i64> {
    Decimal::from(base).checked_mul(rate).and_then(round_dong)
}

/// Groups thousands with commas (`1500000` → `1,500,000`) for human-readable labels,
/// the way amounts are written in the domain sources.
pub(crate) fn format_dong(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if amount < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// Writes a rate such as `0.045` as `4.5%` for labels.
pub(crate) fn format_percent(rate: Decimal) -> String {
    let percent = (rate * Decimal::ONE_HUNDRED).normalize();
    format!("{percent}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_dong(dec!(158.5)), Some(159));
        assert_eq!(round_dong(dec!(158.49)), Some(158));
        assert_eq!(round_dong(dec!(-158.5)), Some(-159));
        assert_eq!(round_dong(dec!(47168.00)), Some(47168));
    }

    #[test]
    fn rejects_amounts_beyond_i64() {
        assert_eq!(round_dong(Decimal::MAX), None);
    }

    #[test]
    fn applies_rates() {
        assert_eq!(apply_rate(dec!(0.08), 589_600), Some(47_168));
        assert_eq!(apply_rate(dec!(0.08), 1_984), Some(159));
    }

    #[test]
    fn formats_for_labels() {
        assert_eq!(format_dong(1_500_000), "1,500,000");
        assert_eq!(format_dong(330), "330");
        assert_eq!(format_dong(-66_000), "-66,000");
        assert_eq!(format_dong(0), "0");
        assert_eq!(format_percent(dec!(0.045)), "4.5%");
        assert_eq!(format_percent(dec!(0.22)), "22%");
    }
}
