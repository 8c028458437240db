//! The one pricing engine behind electricity and water: walk the increasing blocks,
//! then add VAT and surcharges.
//!
//! Rounding rule: every line (each block, each surcharge, each surcharge's own VAT) and
//! the VAT is rounded to whole dong, half-up, exactly once; the subtotal is the sum of
//! the rounded block lines, VAT is `round(subtotal × VAT rate)`, a percentage surcharge
//! is `round(subtotal × rate)`, its VAT is `round(surcharge × its VAT rate)`, and the
//! total is the plain integer sum `subtotal + vat + charges`. With whole kWh/m³ and whole-dong prices the block lines
//! are exact, so this reproduces the doc's worked examples (250 kWh: 589,600 +
//! 47,168 = 636,768) and keeps the total equal to the sum of what the bill prints.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::BillerKind;
use super::money::{format_dong, format_percent, round_dong};
use super::period::BillingPeriod;
use super::tariff::{BandBasis, Charge, ChargeBasis, Tariff};

/// One printed line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffLine {
    /// What the line is for, for people.
    pub label: String,
    /// Units billed on the line (kWh, m³), or the base amount in dong for a percentage
    /// surcharge.
    pub quantity: Decimal,
    /// Dong per unit, or the rate for a percentage surcharge (`0.1` = 10%).
    pub unit_price: Decimal,
    /// Whole-dong amount of the line.
    pub amount: i64,
}

/// A priced bill. Invariant: `subtotal` = Σ `lines`, `charges` = Σ `charge_lines`,
/// `total` = `subtotal + vat + charges`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillQuote {
    /// Tariff version that priced the bill.
    pub tariff_id: String,
    /// Billing period priced.
    pub period: String,
    /// One line per block reached.
    pub lines: Vec<TariffLine>,
    /// Sum of the block lines, before VAT and surcharges.
    pub subtotal: i64,
    /// VAT rate applied to the subtotal.
    pub vat_rate: Decimal,
    /// VAT on the subtotal.
    pub vat: i64,
    /// Surcharge lines (environmental protection fee, drainage service and its VAT).
    pub charge_lines: Vec<TariffLine>,
    /// Sum of the surcharge lines.
    pub charges: i64,
    /// Amount due.
    pub total: i64,
}

/// Why a bill could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// No version of the biller's tariff is in force for the period.
    #[error("no {schedule} tariff is in force for {period}")]
    TariffNotFound {
        /// Tariff schedule looked up.
        schedule: String,
        /// Billing period asked for.
        period: String,
    },
    /// The biller does not bill by a tariff of the expected kind.
    #[error("biller {biller} does not bill {expected} by tariff")]
    BillerKindMismatch {
        /// Biller code.
        biller: String,
        /// Kind the caller expected.
        expected: BillerKind,
    },
    /// A per-person tariff needs at least one person.
    #[error("the number of persons must be at least 1 for a per-person tariff")]
    InvalidPersons,
    /// The amount does not fit in an `i64` of dong.
    #[error("the bill amount is out of range")]
    AmountOutOfRange,
}

impl PricingError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            PricingError::TariffNotFound { .. } => "tariff_not_found",
            PricingError::BillerKindMismatch { .. } => "biller_kind_mismatch",
            PricingError::InvalidPersons => "invalid_persons",
            PricingError::AmountOutOfRange => "invalid_amount",
        }
    }
}

fn checked_sum(amounts: impl IntoIterator<Item = i64>) -> Result<i64, PricingError> {
    amounts
        .into_iter()
        .try_fold(0i64, i64::checked_add)
        .ok_or(PricingError::AmountOutOfRange)
}

fn line_amount(quantity: Decimal, unit_price: Decimal) -> Result<i64, PricingError> {
    quantity
        .checked_mul(unit_price)
        .and_then(round_dong)
        .ok_or(PricingError::AmountOutOfRange)
}

/// Prices `quantity` units under `tariff`. `persons` scales the block bounds of a
/// per-person tariff and is ignored otherwise.
pub(crate) fn price_with_tariff(
    tariff: &Tariff,
    quantity: u32,
    persons: u32,
    period: BillingPeriod,
) -> Result<BillQuote, PricingError> {
    let scale = match tariff.band_basis {
        BandBasis::PerConnection => 1u64,
        BandBasis::PerPerson if persons == 0 => return Err(PricingError::InvalidPersons),
        BandBasis::PerPerson => u64::from(persons),
    };
    let unit = tariff.unit.symbol();
    let quantity_total = u64::from(quantity);

    let mut lines = Vec::new();
    let mut lower = 0u64;
    for (index, band) in tariff.bands.iter().enumerate() {
        if quantity_total <= lower {
            break;
        }
        let upper = band.up_to.map(|bound| u64::from(bound) * scale);
        let billed = upper.map_or(quantity_total, |u| quantity_total.min(u)) - lower;
        let range = match upper {
            Some(u) => format!("{lower}-{u} {unit}"),
            None => format!("over {lower} {unit}"),
        };
        let billed = Decimal::from(billed);
        lines.push(TariffLine {
            label: format!("Tier {} ({range})", index + 1),
            quantity: billed,
            unit_price: band.unit_price,
            amount: line_amount(billed, band.unit_price)?,
        });
        match upper {
            Some(u) => lower = u,
            None => break,
        }
    }

    let subtotal = checked_sum(lines.iter().map(|l| l.amount))?;
    let vat = line_amount(Decimal::from(subtotal), tariff.vat_rate)?;

    let mut charge_lines = Vec::with_capacity(tariff.charges.len());
    for charge in tariff.charges.iter() {
        let line = match charge.basis {
            ChargeBasis::PercentOfSubtotal(rate) => TariffLine {
                label: format!(
                    "{} ({} of {} dong)",
                    charge.label,
                    format_percent(rate),
                    format_dong(subtotal)
                ),
                quantity: Decimal::from(subtotal),
                unit_price: rate,
                amount: line_amount(Decimal::from(subtotal), rate)?,
            },
            ChargeBasis::PerUnit(price) => TariffLine {
                label: format!("{} ({quantity} {unit})", charge.label),
                quantity: Decimal::from(quantity),
                unit_price: price,
                amount: line_amount(Decimal::from(quantity), price)?,
            },
        };
        let vat = charge_vat_line(charge, &line)?;
        charge_lines.push(line);
        charge_lines.extend(vat);
    }
    let charges = checked_sum(charge_lines.iter().map(|l| l.amount))?;
    let total = checked_sum([subtotal, vat, charges])?;

    Ok(BillQuote {
        tariff_id: tariff.id.to_string(),
        period: period.to_string(),
        lines,
        subtotal,
        vat_rate: tariff.vat_rate,
        vat,
        charge_lines,
        charges,
        total,
    })
}

/// The VAT line of a surcharge that carries VAT of its own; `None` for a fee.
fn charge_vat_line(charge: &Charge, line: &TariffLine) -> Result<Option<TariffLine>, PricingError> {
    if charge.vat_rate.is_zero() {
        return Ok(None);
    }
    Ok(Some(TariffLine {
        label: format!(
            "VAT {} on {} ({} dong)",
            format_percent(charge.vat_rate),
            lowercase_first(&charge.label),
            format_dong(line.amount)
        ),
        quantity: Decimal::from(line.amount),
        unit_price: charge.vat_rate,
        amount: line_amount(Decimal::from(line.amount), charge.vat_rate)?,
    }))
}

/// "Drainage service" → "drainage service", for a label inside a sentence.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use crate::billing::tariff::{Band, Charge, Unit};
    use rust_decimal_macros::dec;
    use std::borrow::Cow;

    fn per_unit_tariff() -> Tariff {
        Tariff {
            id: Cow::Borrowed("per_unit"),
            schedule: Cow::Borrowed("test"),
            kind: BillerKind::Water,
            unit: Unit::CubicMetre,
            band_basis: BandBasis::PerConnection,
            valid_from: ymd(2024, 1, 1),
            valid_to: None,
            bands: Cow::Owned(vec![Band {
                up_to: None,
                unit_price: dec!(1000.5),
            }]),
            vat_rate: dec!(0.05),
            charges: Cow::Owned(vec![Charge {
                code: Cow::Borrowed("levy"),
                label: Cow::Borrowed("Levy"),
                basis: ChargeBasis::PerUnit(dec!(12.5)),
                vat_rate: Decimal::ZERO,
            }]),
            source: Cow::Borrowed("test"),
        }
    }

    #[test]
    fn rounds_each_line_half_up_and_sums_exactly() {
        let period = BillingPeriod::new(2024, 1).unwrap();
        let quote = price_with_tariff(&per_unit_tariff(), 3, 1, period).unwrap();
        // 3 × 1000.5 = 3001.5 → 3002; VAT 5% of 3002 = 150.1 → 150; levy 3 × 12.5 = 37.5 → 38.
        assert_eq!(quote.subtotal, 3002);
        assert_eq!(quote.vat, 150);
        assert_eq!(quote.charges, 38);
        assert_eq!(quote.total, 3190);
        assert_eq!(quote.charge_lines[0].label, "Levy (3 m³)");
    }

    #[test]
    fn zero_consumption_is_a_zero_bill() {
        let period = BillingPeriod::new(2024, 1).unwrap();
        let quote = price_with_tariff(&per_unit_tariff(), 0, 1, period).unwrap();
        assert!(quote.lines.is_empty());
        assert_eq!(quote.total, 0);
    }

    #[test]
    fn a_charge_with_vat_gets_its_own_vat_line() {
        let mut tariff = per_unit_tariff();
        tariff.charges = Cow::Owned(vec![Charge {
            code: Cow::Borrowed("service"),
            label: Cow::Borrowed("Service"),
            basis: ChargeBasis::PercentOfSubtotal(dec!(0.3)),
            vat_rate: dec!(0.1),
        }]);
        let period = BillingPeriod::new(2024, 1).unwrap();
        let quote = price_with_tariff(&tariff, 10, 1, period).unwrap();
        // 10 × 1000.5 = 10,005; service 30% = 3,001.5 → 3,002; its VAT 10% = 300.2 → 300.
        let amounts: Vec<i64> = quote.charge_lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![3_002, 300]);
        assert_eq!(
            quote.charge_lines[1].label,
            "VAT 10% on service (3,002 dong)"
        );
        assert_eq!(quote.total, 10_005 + 500 + 3_002 + 300);
    }
}
