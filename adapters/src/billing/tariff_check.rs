//! The invariants a tariff table must hold before anything is priced with it: unique
//! ids, well-formed windows, ascending blocks, sane rates, and no two versions of one
//! schedule in force on the same day.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalogue::BillerKind;
use super::effective;
use super::tariff::{Band, ChargeBasis, Tariff, Unit};

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

pub(crate) fn validate(tariffs: &[Tariff]) -> Result<(), TariffTableError> {
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

    check_bands(&tariff.bands).map_err(bands_error)?;
    if let Some(social) = &tariff.social_bands {
        check_bands(social).map_err(bands_error)?;
        // Same blocks, so a social line reads like the ordinary one it replaces.
        let same_bounds = social.len() == tariff.bands.len()
            && social
                .iter()
                .zip(tariff.bands.iter())
                .all(|(s, b)| s.up_to == b.up_to);
        if !same_bounds {
            return Err(bands_error(
                "social bands must have the ordinary bands' bounds",
            ));
        }
    }
    let prices = tariff
        .bands
        .iter()
        .chain(tariff.social_bands.iter().flat_map(|s| s.iter()));
    if prices.map(|b| b.unit_price).any(|p| p.is_sign_negative()) {
        return Err(rate_error("negative unit price"));
    }
    let rate_is_valid = |rate: Decimal| !rate.is_sign_negative() && rate < Decimal::ONE;
    if !rate_is_valid(tariff.vat_rate) {
        return Err(rate_error("VAT rate must be in [0, 1)"));
    }
    let negative_charge = tariff.charges.iter().any(|c| match c.basis {
        ChargeBasis::PercentOfSubtotal(rate) => rate.is_sign_negative(),
        ChargeBasis::PerUnit(price) => price.is_sign_negative(),
    });
    if negative_charge {
        return Err(rate_error("negative charge"));
    }
    if !tariff.charges.iter().all(|c| rate_is_valid(c.vat_rate)) {
        return Err(rate_error("a charge's VAT rate must be in [0, 1)"));
    }
    Ok(())
}

/// Blocks in strictly ascending order of positive bounds, the last one (only) open.
fn check_bands(bands: &[Band]) -> Result<(), &'static str> {
    let (last, bounded) = bands.split_last().ok_or("no bands")?;
    if last.up_to.is_some() {
        return Err("the last band must be open-ended");
    }
    let mut previous = 0u32;
    for band in bounded {
        let upper = band.up_to.ok_or("only the last band may be open-ended")?;
        if upper <= previous {
            return Err("upper bounds must be positive and strictly ascending");
        }
        previous = upper;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use crate::billing::tariff::{BandBasis, Charge, TariffTable};
    use rust_decimal_macros::dec;
    use std::borrow::Cow;

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
            social_bands: None,
            vat_rate: dec!(0.1),
            charges: Cow::Borrowed(&[]),
            source: Cow::Borrowed("test"),
        }
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

    #[test]
    fn social_bands_follow_the_ordinary_bounds() {
        let mut social = sample("s", ymd(2024, 1, 1), None);
        social.social_bands = Some(Cow::Owned(vec![
            Band {
                up_to: Some(50),
                unit_price: dec!(500),
            },
            Band {
                up_to: None,
                unit_price: dec!(2000),
            },
        ]));
        TariffTable::new(vec![social.clone()]).unwrap();

        let mut other_bounds = social.clone();
        other_bounds.social_bands = Some(Cow::Owned(vec![
            Band {
                up_to: Some(40),
                unit_price: dec!(500),
            },
            Band {
                up_to: None,
                unit_price: dec!(2000),
            },
        ]));
        let mut negative = social.clone();
        negative.social_bands = Some(Cow::Owned(vec![
            Band {
                up_to: Some(50),
                unit_price: dec!(-1),
            },
            Band {
                up_to: None,
                unit_price: dec!(2000),
            },
        ]));
        let mut closed = social;
        closed.social_bands = Some(Cow::Owned(vec![Band {
            up_to: Some(50),
            unit_price: dec!(500),
        }]));
        assert!(matches!(
            TariffTable::new(vec![other_bounds]),
            Err(TariffTableError::InvalidBands { .. })
        ));
        assert!(matches!(
            TariffTable::new(vec![closed]),
            Err(TariffTableError::InvalidBands { .. })
        ));
        assert!(matches!(
            TariffTable::new(vec![negative]),
            Err(TariffTableError::InvalidRate { .. })
        ));
    }

    #[test]
    fn a_charge_vat_rate_is_a_rate() {
        let mut tariff = sample("c", ymd(2024, 1, 1), None);
        tariff.charges = Cow::Owned(vec![Charge {
            code: Cow::Borrowed("drainage_service"),
            label: Cow::Borrowed("Drainage"),
            basis: ChargeBasis::PercentOfSubtotal(dec!(0.3)),
            vat_rate: dec!(1),
        }]);
        assert!(matches!(
            TariffTable::new(vec![tariff]),
            Err(TariffTableError::InvalidRate { .. })
        ));
    }
}
