//! Splitting a meter period where a tariff changes inside it, the way EVN bills a month
//! in which the price changed.
//!
//! Source: EVN Central Power Corporation (EVNCPC), "Tính tiền trong tháng đổi giá"
//! (how a bill is computed in a month when the price changes), as copied in the public
//! repository `vothimy/electric-management`
//! `resources/views/cskh/hosothutuc/tinh2.blade.php` (page dated 3 Sep 2016, read Dec
//! 2026). For households whose meter is not read on the day the new price starts:
//!
//! - kWh at the old price = S / T × Nc, and kWh at the new price = S − that, where S is
//!   the period's consumption, T the days between the two readings and Nc the days at
//!   the old price;
//! - each tier's allowance is prorated too: Mtci = Mqci / T × Nc × h for the old table
//!   and Mtmi = Mqmi / T × Nm × h for the new one, where Mqi is tier i's allowance in
//!   the published table, Nm the days at the new price and h the number of households
//!   sharing the meter; "làm tròn giá trị Mti theo phương pháp làm tròn số học" (each
//!   prorated allowance is rounded arithmetically, i.e. half up, to whole kWh).
//!
//! How this module reads it, where the page leaves room:
//!
//! - Mqi is the tier's width (50, 50, 100, 100, 100 kWh for EVN's six tiers), not its
//!   cumulative upper bound; the last tier stays open. Each width is rounded on its
//!   own and the bounds are their running sum.
//! - T is the days of the meter period for both the kWh and the allowances (the page
//!   names "the days of the preceding month" for the allowances, which would not make
//!   the two parts' allowances add up to one month's). With one change in a calendar
//!   month, the two parts' widths then add up to the published widths up to rounding.
//! - The old-price kWh is rounded half up to whole kWh, and the new-price kWh is the
//!   rest, so the parts add up to the metered total exactly. With more than one change
//!   in a period, each part takes the rounded running share minus the parts before it.
//! - h is 1 for a household's own meter; a per-person water tariff scales the same way
//!   by its registered persons (HCMC's 4 and 6 m³ per person).
//!
//! Every change of tariff row splits the period, a change of VAT rate alone included:
//! EVN splits its bills by days for VAT changes as well (the 8% reductions, 10% again
//! from 2027). Price rows here change on the first of a month except EVN's own decisions
//! (9 Nov 2023, 11 Oct 2024, 10 May 2025), so a calendar month is split only by those.

use chrono::NaiveDate;

use super::period::MeterPeriod;
use super::pricing::PricingError;
use super::tariff::{Band, Tariff, TariffTable};

/// The part of a meter period one tariff version prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment<'t> {
    /// The version in force on every day of the part.
    pub tariff: &'t Tariff,
    /// First day of the part.
    pub first_day: NaiveDate,
    /// Last day of the part.
    pub last_day: NaiveDate,
}

impl Segment<'_> {
    /// Days in the part (at least 1).
    pub fn days(&self) -> u32 {
        let span = (self.last_day - self.first_day).num_days() + 1;
        u32::try_from(span).unwrap_or(u32::MAX)
    }
}

/// The parts of `period` in which one version of `schedule` is in force, in order. Every
/// day must have a version: a period reaching before the schedule's first version is
/// not priced, rather than priced at a table that was not in force.
pub(crate) fn segments<'t>(
    table: &'t TariffTable,
    schedule: &str,
    period: MeterPeriod,
) -> Result<Vec<Segment<'t>>, PricingError> {
    let not_found = || PricingError::TariffNotFound {
        schedule: schedule.to_owned(),
        period: period.to_string(),
    };
    let mut parts = Vec::new();
    let mut day = period.first_day();
    loop {
        let tariff = table.in_force_on(schedule, day).ok_or_else(not_found)?;
        let last_day = tariff
            .valid_to
            .map_or(period.last_day(), |to| to.min(period.last_day()));
        parts.push(Segment {
            tariff,
            first_day: day,
            last_day,
        });
        if last_day >= period.last_day() {
            return Ok(parts);
        }
        day = last_day.succ_opt().ok_or_else(not_found)?;
    }
}

/// `numerator / denominator` rounded half up, in exact integer arithmetic.
/// `denominator` must not be zero; callers pass day counts of at least 1.
fn div_round_half_up(numerator: u128, denominator: u128) -> u128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// Splits `total` units between parts of `days` each, in proportion to their days:
/// each part gets the rounded running share of `total` less what the parts before it
/// got, so the parts add up to `total` and two parts get S × Nc / T (rounded) and the
/// rest, as EVN splits them.
pub(crate) fn split_quantity(total: u32, days: &[u32]) -> Vec<u32> {
    let period_days: u128 = days.iter().map(|&d| u128::from(d)).sum();
    if period_days == 0 {
        return days.iter().map(|_| 0).collect();
    }
    let mut elapsed = 0u128;
    let mut given = 0u32;
    days.iter()
        .map(|&d| {
            elapsed += u128::from(d);
            let running = div_round_half_up(u128::from(total) * elapsed, period_days);
            let running = u32::try_from(running).unwrap_or(total).min(total);
            let part = running.saturating_sub(given);
            given = running;
            part
        })
        .collect()
}

/// The cumulative upper bound of each block for a part of `days` out of `period_days`,
/// with `scale` persons or households: each bounded block's width × scale × days /
/// period_days, rounded half up; `None` for the open last block. A whole period
/// (`days == period_days`) keeps the published bounds × scale exactly.
pub(crate) fn prorated_bounds(
    bands: &[Band],
    scale: u64,
    days: u32,
    period_days: u32,
) -> Vec<Option<u64>> {
    let mut previous_published = 0u64;
    let mut bound = 0u64;
    bands
        .iter()
        .map(|band| {
            band.up_to.map(|up_to| {
                let width = u64::from(up_to).saturating_sub(previous_published);
                previous_published = u64::from(up_to);
                let scaled = u128::from(width) * u128::from(scale) * u128::from(days);
                let prorated = div_round_half_up(scaled, u128::from(period_days.max(1)));
                bound = bound.saturating_add(u64::try_from(prorated).unwrap_or(u64::MAX));
                bound
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use crate::billing::tariff_data::{EVN_RESIDENTIAL, HCMC_WATER_DOMESTIC};
    use rust_decimal_macros::dec;

    fn evn_bands() -> Vec<Band> {
        [50, 100, 200, 300, 400]
            .into_iter()
            .map(|b| Band {
                up_to: Some(b),
                unit_price: dec!(1),
            })
            .chain([Band {
                up_to: None,
                unit_price: dec!(2),
            }])
            .collect()
    }

    #[test]
    fn may_2025_splits_at_decision_1279() {
        // 1-9 May under Decision 2699, 10-31 May under Decision 1279.
        let may = MeterPeriod::from(crate::billing::BillingPeriod::new(2025, 5).unwrap());
        let parts = segments(TariffTable::vietnam(), EVN_RESIDENTIAL, may).unwrap();
        let ids: Vec<&str> = parts.iter().map(|p| p.tariff.id.as_ref()).collect();
        assert_eq!(
            ids,
            vec![
                "evn_residential_2699_2024",
                "evn_residential_1279_2025_vat8"
            ]
        );
        assert_eq!(
            (parts[0].first_day, parts[0].last_day),
            (ymd(2025, 5, 1), ymd(2025, 5, 9))
        );
        assert_eq!(
            (parts[1].first_day, parts[1].last_day),
            (ymd(2025, 5, 10), ymd(2025, 5, 31))
        );
        assert_eq!((parts[0].days(), parts[1].days()), (9, 22));
    }

    #[test]
    fn a_month_without_a_change_is_one_part() {
        let june = MeterPeriod::from(crate::billing::BillingPeriod::new(2025, 6).unwrap());
        let parts = segments(TariffTable::vietnam(), EVN_RESIDENTIAL, june).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].days(), 30);
        // HCMC water changes on 1 January: December is whole.
        let december = MeterPeriod::from(crate::billing::BillingPeriod::new(2024, 12).unwrap());
        let parts = segments(TariffTable::vietnam(), HCMC_WATER_DOMESTIC, december).unwrap();
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn a_period_reaching_before_the_first_table_is_not_priced() {
        // EVN's first table here starts on 9 Nov 2023.
        let november = MeterPeriod::from(crate::billing::BillingPeriod::new(2023, 11).unwrap());
        let err = segments(TariffTable::vietnam(), EVN_RESIDENTIAL, november).unwrap_err();
        assert_eq!(err.code(), "tariff_not_found");
        let from_the_ninth = MeterPeriod::new(ymd(2023, 11, 9), ymd(2023, 11, 30)).unwrap();
        assert!(segments(TariffTable::vietnam(), EVN_RESIDENTIAL, from_the_ninth).is_ok());
    }

    #[test]
    fn quantity_splits_by_days_and_adds_up() {
        // 250 kWh over 9 + 22 days: 250 × 9 / 31 = 72.58 → 73 at the old price, 177 new.
        assert_eq!(split_quantity(250, &[9, 22]), vec![73, 177]);
        assert_eq!(split_quantity(250, &[31]), vec![250]);
        assert_eq!(split_quantity(0, &[9, 22]), vec![0, 0]);
        assert_eq!(split_quantity(1, &[15, 15, 1]), vec![0, 1, 0]);
        for total in [0u32, 1, 7, 100, 999, 123_457] {
            for days in [vec![9, 22], vec![10, 10, 11], vec![1, 29], vec![30]] {
                let parts = split_quantity(total, &days);
                assert_eq!(parts.iter().sum::<u32>(), total, "{total} {days:?}");
            }
        }
    }

    #[test]
    fn tier_allowances_prorate_by_days_and_round_half_up() {
        // 9 of 31 days: widths 50, 50, 100, 100, 100 → 14.52, 14.52, 29.03, ... → 15, 15,
        // 29, 29, 29; bounds 15, 30, 59, 88, 117.
        let old = prorated_bounds(&evn_bands(), 1, 9, 31);
        assert_eq!(
            old,
            vec![Some(15), Some(30), Some(59), Some(88), Some(117), None]
        );
        // 22 of 31 days: 35.48, 35.48, 70.97, ... → 35, 35, 71, 71, 71.
        let new = prorated_bounds(&evn_bands(), 1, 22, 31);
        assert_eq!(
            new,
            vec![Some(35), Some(70), Some(141), Some(212), Some(283), None]
        );
        // The whole period keeps the published bounds, times persons.
        let whole = prorated_bounds(&evn_bands(), 1, 31, 31);
        assert_eq!(
            whole,
            vec![Some(50), Some(100), Some(200), Some(300), Some(400), None]
        );
        let four = prorated_bounds(&evn_bands()[..2], 4, 30, 30);
        assert_eq!(four, vec![Some(200), Some(400)]);
    }
}
