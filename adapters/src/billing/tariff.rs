//! Tariffs as effective-dated data: block bands, VAT and surcharges, and the table that
//! picks the tariff in force for a billing period. No price lives in code paths; a new
//! decision is a new row in `tariff_data`.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalogue::BillerKind;
use super::effective::{self, Effective};
use super::period::BillingPeriod;
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

/// A surcharge billed beside the energy or water price, such as the wastewater
/// environmental protection fee. Charges carry no VAT of their own here (the doc
/// states VAT only on the water and electricity prices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Stable snake_case identifier.
    pub code: Cow<'static, str>,
    /// Label printed on the bill line.
    pub label: Cow<'static, str>,
    /// How the amount is computed.
    pub basis: ChargeBasis,
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

/// A tariff table that breaks an invariant the pricing relies on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffTableError {
    /// Two tariffs share an id.
    #[error("tariff id {id} is used twice")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// A tariff ends before it starts.
    #[error("tariff {id} ends before it starts")]
    InvalidWindow {
        /// Offending tariff.
        id: String,
    },
    /// Two versions of one schedule are in force on the same day.
    #[error("tariffs {first} and {second} overlap")]
    Overlap {
        /// One tariff.
        first: String,
        /// The other.
        second: String,
    },
    /// Bands are missing, not strictly ascending, or the open band is not last.
    #[error("tariff {id} has invalid bands: {reason}")]
    InvalidBands {
        /// Offending tariff.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A price, rate or charge is negative, or VAT is 100% or more.
    #[error("tariff {id} has an invalid rate or price: {reason}")]
    InvalidRate {
        /// Offending tariff.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The unit does not fit the biller kind (kWh for electricity, m³ for water).
    #[error("tariff {id} uses a unit that does not fit its biller kind")]
    UnitMismatch {
        /// Offending tariff.
        id: String,
    },
}

impl TariffTableError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        "invalid_tariff_table"
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

    /// The version of `schedule` that prices a bill for `period`: the one in force on
    /// the period's last day, when the meter is read and the bill is issued. A month
    /// in which the price changed is therefore priced wholly at the new price (EVN
    /// itself pro-rates such months by day; that split is not modelled).
    pub fn for_period(&self, schedule: &str, period: BillingPeriod) -> Option<&Tariff> {
        self.in_force_on(schedule, period.last_day())
    }
}

fn validate(tariffs: &[Tariff]) -> Result<(), TariffTableError> {
    for (i, tariff) in tariffs.iter().enumerate() {
        if tariffs[..i].iter().any(|earlier| earlier.id == tariff.id) {
            return Err(TariffTableError::DuplicateId {
                id: tariff.id.to_string(),
            });
        }
        validate_tariff(tariff)?;
    }
    let mut schedules: Vec<&str> = tariffs.iter().map(|t| t.schedule.as_ref()).collect();
    schedules.sort_unstable();
    schedules.dedup();
    for schedule in schedules {
        let versions: Vec<&Tariff> = tariffs.iter().filter(|t| t.schedule == schedule).collect();
        if let Some((a, b)) = effective::first_overlap(&versions) {
            return Err(TariffTableError::Overlap {
                first: versions[a].id.to_string(),
                second: versions[b].id.to_string(),
            });
        }
    }
    Ok(())
}

fn validate_tariff(tariff: &Tariff) -> Result<(), TariffTableError> {
    let id = || tariff.id.to_string();
    let bands_error = |reason| TariffTableError::InvalidBands { id: id(), reason };
    let rate_error = |reason| TariffTableError::InvalidRate { id: id(), reason };

    if !effective::window_is_valid(tariff) || tariff.valid_from == NaiveDate::MIN {
        return Err(TariffTableError::InvalidWindow { id: id() });
    }
    let unit_fits = matches!(
        (tariff.kind, tariff.unit),
        (BillerKind::Electricity, Unit::Kwh) | (BillerKind::Water, Unit::CubicMetre)
    );
    if !unit_fits {
        return Err(TariffTableError::UnitMismatch { id: id() });
    }

    let (last, bounded) = tariff
        .bands
        .split_last()
        .ok_or_else(|| bands_error("no bands"))?;
    if last.up_to.is_some() {
        return Err(bands_error("the last band must be open-ended"));
    }
    let mut previous = 0u32;
    for band in bounded {
        let upper = band
            .up_to
            .ok_or_else(|| bands_error("only the last band may be open-ended"))?;
        if upper <= previous {
            return Err(bands_error(
                "upper bounds must be positive and strictly ascending",
            ));
        }
        previous = upper;
    }
    if tariff.bands.iter().any(|b| b.unit_price.is_sign_negative()) {
        return Err(rate_error("negative unit price"));
    }
    if tariff.vat_rate.is_sign_negative() || tariff.vat_rate >= Decimal::ONE {
        return Err(rate_error("VAT rate must be in [0, 1)"));
    }
    let negative_charge = tariff.charges.iter().any(|c| match c.basis {
        ChargeBasis::PercentOfSubtotal(rate) => rate.is_sign_negative(),
        ChargeBasis::PerUnit(price) => price.is_sign_negative(),
    });
    if negative_charge {
        return Err(rate_error("negative charge"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use crate::billing::tariff_data::{EVN_RESIDENTIAL, HANOI_WATER_DOMESTIC, HCMC_WATER_DOMESTIC};
    use rust_decimal_macros::dec;

    fn sample(id: &'static str, from: NaiveDate, to: Option<NaiveDate>) -> Tariff {
        Tariff {
            id: Cow::Borrowed(id),
            schedule: Cow::Borrowed("sample"),
            kind: BillerKind::Electricity,
            unit: Unit::Kwh,
            band_basis: BandBasis::PerConnection,
            valid_from: from,
            valid_to: to,
            bands: Cow::Owned(vec![
                Band {
                    up_to: Some(50),
                    unit_price: dec!(1000),
                },
                Band {
                    up_to: None,
                    unit_price: dec!(2000),
                },
            ]),
            vat_rate: dec!(0.1),
            charges: Cow::Borrowed(&[]),
            source: Cow::Borrowed("test"),
        }
    }

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

    #[test]
    fn rejects_overlapping_versions() {
        let err = TariffTable::new(vec![
            sample("a", ymd(2024, 1, 1), Some(ymd(2024, 12, 31))),
            sample("b", ymd(2024, 12, 31), None),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            TariffTableError::Overlap {
                first: "a".into(),
                second: "b".into()
            }
        );
        assert_eq!(err.code(), "invalid_tariff_table");
        TariffTable::new(vec![
            sample("a", ymd(2024, 1, 1), Some(ymd(2024, 12, 31))),
            sample("b", ymd(2025, 1, 1), None),
        ])
        .unwrap();
    }

    #[test]
    fn rejects_bad_tariffs() {
        let base = || sample("t", ymd(2024, 1, 1), None);

        let mut descending = base();
        descending.bands = Cow::Owned(vec![
            Band {
                up_to: Some(50),
                unit_price: dec!(1),
            },
            Band {
                up_to: Some(50),
                unit_price: dec!(2),
            },
            Band {
                up_to: None,
                unit_price: dec!(3),
            },
        ]);
        let mut closed = base();
        closed.bands = Cow::Owned(vec![Band {
            up_to: Some(50),
            unit_price: dec!(1),
        }]);
        let mut empty = base();
        empty.bands = Cow::Owned(vec![]);
        let mut open_middle = base();
        open_middle.bands = Cow::Owned(vec![
            Band {
                up_to: None,
                unit_price: dec!(1),
            },
            Band {
                up_to: None,
                unit_price: dec!(2),
            },
        ]);
        let mut zero_bound = base();
        zero_bound.bands = Cow::Owned(vec![
            Band {
                up_to: Some(0),
                unit_price: dec!(1),
            },
            Band {
                up_to: None,
                unit_price: dec!(2),
            },
        ]);
        for bad in [descending, closed, empty, open_middle, zero_bound] {
            assert!(matches!(
                TariffTable::new(vec![bad]),
                Err(TariffTableError::InvalidBands { .. })
            ));
        }

        let mut backwards = base();
        backwards.valid_to = Some(ymd(2023, 12, 31));
        assert!(matches!(
            TariffTable::new(vec![backwards]),
            Err(TariffTableError::InvalidWindow { .. })
        ));

        let mut vat = base();
        vat.vat_rate = dec!(1);
        assert!(matches!(
            TariffTable::new(vec![vat]),
            Err(TariffTableError::InvalidRate { .. })
        ));

        let mut unit = base();
        unit.unit = Unit::CubicMetre;
        assert!(matches!(
            TariffTable::new(vec![unit]),
            Err(TariffTableError::UnitMismatch { .. })
        ));

        assert!(matches!(
            TariffTable::new(vec![base(), base()]),
            Err(TariffTableError::DuplicateId { .. })
        ));
    }
}
