//! Tariffs as effective-dated data: block bands, VAT and surcharges, and the table that
//! picks the tariff in force for a billing period. No price lives in code paths; a new
//! decision is a new row in `tariff_data`.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalogue::BillerKind;
use super::effective::{self, Effective};
use super::period::BillingPeriod;
use super::tariff_check::{validate, TariffTableError};
use super::tariff_data;

/// Unit a tariff's quantities are metered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Kilowatt-hours (electricity).
    Kwh,
    /// Cubic metres (water).
    CubicMetre,
}

impl Unit {
    /// Symbol used in line labels.
    pub const fn symbol(self) -> &'static str {
        match self {
            Unit::Kwh => "kWh",
            Unit::CubicMetre => "m³",
        }
    }
}

/// What band bounds are counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandBasis {
    /// Bounds apply to the whole meter (EVN households, Hanoi water households).
    PerConnection,
    /// Bounds are per registered person and scale with the count (HCMC water norms).
    PerPerson,
}

/// One block of an increasing-block tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Cumulative upper bound of the block in the tariff's unit (inclusive), before any
    /// per-person scaling; `None` for the last, open-ended block.
    pub up_to: Option<u32>,
    /// Price per unit in dong, excluding VAT.
    pub unit_price: Decimal,
}

/// How a surcharge is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeBasis {
    /// A fraction of the pre-VAT band subtotal (`0.10` = 10%).
    PercentOfSubtotal(Decimal),
    /// Dong per metered unit.
    PerUnit(Decimal),
}

/// A surcharge billed beside the energy or water price: Hanoi's domestic wastewater
/// environmental protection fee, or HCMC's drainage and wastewater treatment service.
/// A fee (phí) carries no VAT; a service price does, at its own rate (HCMC drainage:
/// the 10% standard rate or the 8% of a VAT reduction, not water's 5%), printed as a
/// line of its own after the charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Stable snake_case identifier.
    pub code: Cow<'static, str>,
    /// Label printed on the bill line.
    pub label: Cow<'static, str>,
    /// How the amount is computed.
    pub basis: ChargeBasis,
    /// VAT on the charge itself (`0.08` = 8%); zero for a fee.
    pub vat_rate: Decimal,
}

/// A tariff in force for a window of dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Unique identifier, shown on quotes so a bill can be traced to its table.
    pub id: Cow<'static, str>,
    /// The schedule this tariff is one version of (e.g. `evn_residential`); windows of
    /// one schedule never overlap.
    pub schedule: Cow<'static, str>,
    /// Kind of biller that applies it.
    pub kind: BillerKind,
    /// Metering unit.
    pub unit: Unit,
    /// Whether band bounds are per connection or per person.
    pub band_basis: BandBasis,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force (inclusive); `None` while not replaced.
    pub valid_to: Option<NaiveDate>,
    /// Blocks in ascending order of `up_to`, the last one open-ended.
    pub bands: Cow<'static, [Band]>,
    /// The social prices poor and near-poor households pay, where the biller publishes
    /// them: the same bounds as `bands`, with lower prices in the blocks they cover.
    /// `None` when such households pay the ordinary prices (EVN, whose support for poor
    /// households is paid to them separately; see `household`).
    pub social_bands: Option<Cow<'static, [Band]>>,
    /// VAT on the band subtotal (`0.08` = 8%).
    pub vat_rate: Decimal,
    /// Surcharges computed on the band subtotal or the quantity.
    pub charges: Cow<'static, [Charge]>,
    /// Legal basis and where the figures come from.
    pub source: Cow<'static, str>,
}

impl Effective for Tariff {
    fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }
    fn valid_to(&self) -> Option<NaiveDate> {
        self.valid_to
    }
}

/// All tariffs known to the gateway, looked up by schedule and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffTable {
    tariffs: Cow<'static, [Tariff]>,
}

static VIETNAM: TariffTable = TariffTable {
    tariffs: Cow::Borrowed(tariff_data::TARIFFS),
};

impl TariffTable {
    /// A validated table built from `tariffs`.
    pub fn new(tariffs: Vec<Tariff>) -> Result<Self, TariffTableError> {
        validate(&tariffs)?;
        Ok(Self {
            tariffs: Cow::Owned(tariffs),
        })
    }

    /// The built-in Vietnamese tables (EVN residential, Hanoi and HCMC domestic water),
    /// checked by the data tests instead of at run time so that no lookup can fail on
    /// a bad table.
    pub fn vietnam() -> &'static TariffTable {
        &VIETNAM
    }

    /// Every tariff in the table.
    pub fn tariffs(&self) -> &[Tariff] {
        &self.tariffs
    }

    /// Rechecks the table's invariants.
    pub fn validate(&self) -> Result<(), TariffTableError> {
        validate(&self.tariffs)
    }

    /// The version of `schedule` in force on `date`.
    pub fn in_force_on(&self, schedule: &str, date: NaiveDate) -> Option<&Tariff> {
        effective::in_force_on(self.tariffs.iter().filter(|t| t.schedule == schedule), date)
    }

    /// The version of `schedule` in force on the last day of `period`, when the meter
    /// is read and the bill is issued. Pricing does not price a whole month by it when
    /// the price changed inside the month: it splits the month by days between the
    /// versions (see `proration`).
    pub fn for_period(&self, schedule: &str, period: BillingPeriod) -> Option<&Tariff> {
        self.in_force_on(schedule, period.last_day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use crate::billing::tariff_data::{EVN_RESIDENTIAL, HANOI_WATER_DOMESTIC, HCMC_WATER_DOMESTIC};

    #[test]
    fn builtin_table_is_valid() {
        TariffTable::vietnam().validate().unwrap();
    }

    #[test]
    fn builtin_bands_ascend_and_periods_do_not_overlap() {
        // Spelled out beside `validate` so the data invariants are visible in one place.
        let table = TariffTable::vietnam();
        for tariff in table.tariffs() {
            let bounds: Vec<u32> = tariff.bands.iter().filter_map(|b| b.up_to).collect();
            assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{}", tariff.id);
            assert_eq!(bounds.len() + 1, tariff.bands.len(), "{}", tariff.id);
            let prices: Vec<Decimal> = tariff.bands.iter().map(|b| b.unit_price).collect();
            assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{}", tariff.id);
            // A social price is never above the ordinary price of its block.
            for social in tariff.social_bands.iter() {
                let pairs = social.iter().zip(tariff.bands.iter());
                assert!(
                    pairs.clone().all(|(s, b)| s.up_to == b.up_to),
                    "{}",
                    tariff.id
                );
                assert!(
                    pairs.clone().all(|(s, b)| s.unit_price <= b.unit_price),
                    "{}",
                    tariff.id
                );
                assert!(
                    pairs.clone().any(|(s, b)| s.unit_price < b.unit_price),
                    "{}",
                    tariff.id
                );
            }
            assert_ne!(tariff.valid_from, NaiveDate::MIN, "{}", tariff.id);
            assert_ne!(tariff.valid_to, Some(NaiveDate::MIN), "{}", tariff.id);
        }
        for schedule in [EVN_RESIDENTIAL, HANOI_WATER_DOMESTIC, HCMC_WATER_DOMESTIC] {
            let mut versions: Vec<&Tariff> = table
                .tariffs()
                .iter()
                .filter(|t| t.schedule == schedule)
                .collect();
            versions.sort_by_key(|t| t.valid_from);
            for pair in versions.windows(2) {
                let end = pair[0].valid_to.unwrap();
                assert!(end < pair[1].valid_from, "{} / {}", pair[0].id, pair[1].id);
                // Consecutive versions abut: no day without a price once a schedule starts.
                assert_eq!(end.succ_opt(), Some(pair[1].valid_from));
            }
            assert!(versions.last().unwrap().valid_to.is_none(), "{schedule}");
        }
    }

    #[test]
    fn picks_the_version_in_force() {
        let table = TariffTable::vietnam();
        let id_on = |y, m, d| {
            table
                .in_force_on(EVN_RESIDENTIAL, ymd(y, m, d))
                .map(|t| t.id.as_ref())
        };
        assert_eq!(id_on(2023, 11, 8), None);
        assert_eq!(id_on(2023, 11, 9), Some("evn_residential_2023_11_09"));
        assert_eq!(id_on(2024, 10, 10), Some("evn_residential_2023_11_09"));
        assert_eq!(id_on(2024, 10, 11), Some("evn_residential_2699_2024"));
        assert_eq!(id_on(2025, 5, 9), Some("evn_residential_2699_2024"));
        assert_eq!(id_on(2025, 5, 10), Some("evn_residential_1279_2025_vat8"));
        assert_eq!(id_on(2026, 12, 31), Some("evn_residential_1279_2025_vat8"));
        assert_eq!(id_on(2027, 1, 1), Some("evn_residential_1279_2025_vat10"));
    }

    #[test]
    fn a_period_is_priced_by_the_tariff_of_its_last_day() {
        let table = TariffTable::vietnam();
        let id_for = |y, m| {
            table
                .for_period(EVN_RESIDENTIAL, BillingPeriod::new(y, m).unwrap())
                .map(|t| t.id.as_ref())
        };
        assert_eq!(id_for(2025, 4), Some("evn_residential_2699_2024"));
        assert_eq!(id_for(2025, 5), Some("evn_residential_1279_2025_vat8"));
        assert_eq!(id_for(2023, 11), Some("evn_residential_2023_11_09"));
        assert_eq!(id_for(2023, 10), None);
        assert_eq!(
            table.for_period("no_such_schedule", BillingPeriod::new(2025, 6).unwrap()),
            None
        );
    }
}
