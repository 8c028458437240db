//! The one pricing engine behind electricity and water: split the meter period where
//! the tariff changed (see `proration`), walk each part's increasing blocks, then add
//! VAT and surcharges.
//!
//! Rounding rule: every line (each block, each surcharge, each surcharge's own VAT) and
//! the VAT is rounded to whole dong, half-up, exactly once; the subtotal is the sum of
//! the rounded block lines, VAT is `round(subtotal × VAT rate)`, a percentage surcharge
//! is `round(base × rate)` on the pre-VAT block lines it applies to, its VAT is
//! `round(surcharge × its VAT rate)`, and the total is the plain integer sum
//! `subtotal + vat + charges`. With whole kWh/m³ and whole-dong prices the block lines
//! are exact, so this reproduces the doc's worked examples (250 kWh: 589,600 +
//! 47,168 = 636,768) and keeps the total equal to the sum of what the bill prints.
//!
//! A period split between two VAT rates (a reading period across 1 Jan 2027, say) has
//! `vat` at the rate of its last part, on the lines priced at that rate; the VAT of
//! the lines priced at an earlier rate is a charge line of its own, so every printed
//! VAT line reads "rate × base" and the lines still add up to the total.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::BillerKind;
use super::household::HouseholdStatus;
use super::money::{format_dong, format_percent, round_dong};
use super::period::MeterPeriod;
use super::proration::{self, Segment};
use super::tariff::{Band, BandBasis, Charge, ChargeBasis, TariffTable};

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
/// `total` = `subtotal + vat + charges`; `notes` are not part of any sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillQuote {
    /// Tariff version that priced the bill; the versions joined by `+`, in date order,
    /// when a price change split the period.
    pub tariff_id: String,
    /// Billing period priced (`YYYY-MM`, the month of the reading day).
    pub period: String,
    /// The household status the bill was priced for; absent for ordinary households.
    #[serde(default, skip_serializing_if = "HouseholdStatus::is_none")]
    pub household: HouseholdStatus,
    /// One line per block reached (per part of the period, when it was split).
    pub lines: Vec<TariffLine>,
    /// Sum of the block lines, before VAT and surcharges.
    pub subtotal: i64,
    /// VAT rate of the block lines (of the last part's, when a split period spans a
    /// VAT change).
    pub vat_rate: Decimal,
    /// VAT at `vat_rate` on the block lines priced at that rate (all of them, unless a
    /// split period spans a VAT change).
    pub vat: i64,
    /// Surcharge lines (environmental protection fee, drainage service and its VAT,
    /// VAT at an earlier rate of a split period).
    pub charge_lines: Vec<TariffLine>,
    /// Sum of the surcharge lines.
    pub charges: i64,
    /// Amount due.
    pub total: i64,
    /// Information lines that do not change the amount due, such as EVN's support for a
    /// poor household, which EVN pays to the household separately.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<TariffLine>,
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

/// `quantity × unit_price` rounded to whole dong.
pub(crate) fn line_amount(quantity: Decimal, unit_price: Decimal) -> Result<i64, PricingError> {
    quantity
        .checked_mul(unit_price)
        .and_then(round_dong)
        .ok_or(PricingError::AmountOutOfRange)
}

/// What is metered and for whom: the inputs of one bill besides its tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    /// kWh or m³ over the whole meter period.
    pub quantity: u32,
    /// People registered on the connection; scales per-person blocks.
    pub persons: u32,
    /// Poverty status, for social prices.
    pub household: HouseholdStatus,
    /// The days the reading covers.
    pub period: MeterPeriod,
}

/// One part of the period, priced: its block lines and their sum.
struct PricedPart<'t> {
    segment: Segment<'t>,
    quantity: u32,
    lines: Vec<TariffLine>,
    subtotal: i64,
}

/// Prices `usage` under `schedule` of `table`, splitting the period where the tariff
/// changed.
pub(crate) fn price(
    table: &TariffTable,
    schedule: &str,
    usage: Usage,
) -> Result<BillQuote, PricingError> {
    let segments = proration::segments(table, schedule, usage.period)?;
    let split = segments.len() > 1;
    let days: Vec<u32> = segments.iter().map(Segment::days).collect();
    let quantities = proration::split_quantity(usage.quantity, &days);
    let parts = segments
        .iter()
        .zip(quantities)
        .map(|(segment, quantity)| price_part(*segment, quantity, &usage, split))
        .collect::<Result<Vec<_>, _>>()?;
    // `segments` is never empty: it covers at least the period's first day.
    let Some(last) = parts.last() else {
        return Err(PricingError::TariffNotFound {
            schedule: schedule.to_owned(),
            period: usage.period.to_string(),
        });
    };
    let vat_rate = last.segment.tariff.vat_rate;

    let lines: Vec<TariffLine> = parts.iter().flat_map(|p| p.lines.iter().cloned()).collect();
    let subtotal = checked_sum(parts.iter().map(|p| p.subtotal))?;
    let at_last_rate = parts
        .iter()
        .filter(|p| p.segment.tariff.vat_rate == vat_rate);
    let vat = line_amount(
        Decimal::from(checked_sum(at_last_rate.map(|p| p.subtotal))?),
        vat_rate,
    )?;

    let mut charge_lines = earlier_vat_lines(&parts, vat_rate)?;
    for part in &parts {
        for charge in part.segment.tariff.charges.iter() {
            charge_lines.extend(charge_lines_of(charge, part, split)?);
        }
    }
    let charges = checked_sum(charge_lines.iter().map(|l| l.amount))?;
    let total = checked_sum([subtotal, vat, charges])?;

    let ids: Vec<&str> = parts.iter().map(|p| p.segment.tariff.id.as_ref()).collect();
    Ok(BillQuote {
        tariff_id: ids.join("+"),
        period: usage.period.billing_period().to_string(),
        household: usage.household,
        lines,
        subtotal,
        vat_rate,
        vat,
        charge_lines,
        charges,
        total,
        notes: Vec::new(),
    })
}

/// The block lines of one part: its share of the quantity walked through its blocks,
/// prorated to its days, at the social prices when the household pays them.
fn price_part<'t>(
    segment: Segment<'t>,
    quantity: u32,
    usage: &Usage,
    split: bool,
) -> Result<PricedPart<'t>, PricingError> {
    let tariff = segment.tariff;
    let scale = match tariff.band_basis {
        BandBasis::PerConnection => 1u64,
        BandBasis::PerPerson if usage.persons == 0 => return Err(PricingError::InvalidPersons),
        BandBasis::PerPerson => u64::from(usage.persons),
    };
    let bands: &[Band] = match &tariff.social_bands {
        Some(social) if usage.household.pays_social_prices() => &social[..],
        _ => &tariff.bands[..],
    };
    let bounds = proration::prorated_bounds(bands, scale, segment.days(), usage.period.days());
    let unit = tariff.unit.symbol();
    let when = part_label(&segment, split);
    let total = u64::from(quantity);

    let mut lines = Vec::new();
    let mut lower = 0u64;
    for (index, (band, upper)) in bands.iter().zip(bounds).enumerate() {
        if total <= lower {
            break;
        }
        let billed = upper.map_or(total, |u| total.min(u)).saturating_sub(lower);
        if billed > 0 {
            let range = match upper {
                Some(u) => format!("{lower}-{u} {unit}"),
                None => format!("over {lower} {unit}"),
            };
            let ordinary = tariff.bands.get(index).map(|b| b.unit_price);
            let social = if ordinary == Some(band.unit_price) {
                ""
            } else {
                ", social price"
            };
            let billed = Decimal::from(billed);
            lines.push(TariffLine {
                label: format!("Tier {} ({range}){social}{when}", index + 1),
                quantity: billed,
                unit_price: band.unit_price,
                amount: line_amount(billed, band.unit_price)?,
            });
        }
        match upper {
            Some(u) => lower = u,
            None => break,
        }
    }
    let subtotal = checked_sum(lines.iter().map(|l| l.amount))?;
    Ok(PricedPart {
        segment,
        quantity,
        lines,
        subtotal,
    })
}

/// `", 2025-05-01 to 2025-05-09"` for a part of a split period; nothing otherwise, so
/// an unsplit bill reads as it always did.
fn part_label(segment: &Segment<'_>, split: bool) -> Cow<'static, str> {
    if split {
        Cow::Owned(format!(", {} to {}", segment.first_day, segment.last_day))
    } else {
        Cow::Borrowed("")
    }
}

/// VAT lines for parts priced at another rate than the last part's, one per rate.
fn earlier_vat_lines(
    parts: &[PricedPart<'_>],
    last_rate: Decimal,
) -> Result<Vec<TariffLine>, PricingError> {
    let mut rates: Vec<Decimal> = Vec::new();
    for part in parts {
        let rate = part.segment.tariff.vat_rate;
        if rate != last_rate && !rates.contains(&rate) {
            rates.push(rate);
        }
    }
    rates
        .into_iter()
        .map(|rate| {
            let at_rate: Vec<&PricedPart<'_>> = parts
                .iter()
                .filter(|p| p.segment.tariff.vat_rate == rate)
                .collect();
            let base = checked_sum(at_rate.iter().map(|p| p.subtotal))?;
            let (first, last) = match (at_rate.first(), at_rate.last()) {
                (Some(first), Some(last)) => (first.segment.first_day, last.segment.last_day),
                _ => return Err(PricingError::AmountOutOfRange),
            };
            Ok(TariffLine {
                label: format!(
                    "VAT {} on consumption of {first} to {last} ({} dong)",
                    format_percent(rate),
                    format_dong(base)
                ),
                quantity: Decimal::from(base),
                unit_price: rate,
                amount: line_amount(Decimal::from(base), rate)?,
            })
        })
        .collect()
}

/// A surcharge of one part, and its own VAT line when it carries VAT.
fn charge_lines_of(
    charge: &Charge,
    part: &PricedPart<'_>,
    split: bool,
) -> Result<Vec<TariffLine>, PricingError> {
    let when = part_label(&part.segment, split);
    let unit = part.segment.tariff.unit.symbol();
    let line = match charge.basis {
        ChargeBasis::PercentOfSubtotal(rate) => TariffLine {
            label: format!(
                "{} ({} of {} dong){when}",
                charge.label,
                format_percent(rate),
                format_dong(part.subtotal)
            ),
            quantity: Decimal::from(part.subtotal),
            unit_price: rate,
            amount: line_amount(Decimal::from(part.subtotal), rate)?,
        },
        ChargeBasis::PerUnit(price) => TariffLine {
            label: format!("{} ({} {unit}){when}", charge.label, part.quantity),
            quantity: Decimal::from(part.quantity),
            unit_price: price,
            amount: line_amount(Decimal::from(part.quantity), price)?,
        },
    };
    if charge.vat_rate.is_zero() {
        return Ok(vec![line]);
    }
    let vat = TariffLine {
        label: format!(
            "VAT {} on {} ({} dong){when}",
            format_percent(charge.vat_rate),
            lowercase_first(&charge.label),
            format_dong(line.amount)
        ),
        quantity: Decimal::from(line.amount),
        unit_price: charge.vat_rate,
        amount: line_amount(Decimal::from(line.amount), charge.vat_rate)?,
    };
    Ok(vec![line, vat])
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
    use crate::billing::tariff::{Tariff, Unit};
    use rust_decimal_macros::dec;

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
            social_bands: None,
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

    fn usage(quantity: u32) -> Usage {
        Usage {
            quantity,
            persons: 1,
            household: HouseholdStatus::None,
            period: MeterPeriod::new(ymd(2024, 1, 1), ymd(2024, 1, 31)).unwrap(),
        }
    }

    #[test]
    fn rounds_each_line_half_up_and_sums_exactly() {
        let table = TariffTable::new(vec![per_unit_tariff()]).unwrap();
        let quote = price(&table, "test", usage(3)).unwrap();
        // 3 × 1000.5 = 3001.5 → 3002; VAT 5% of 3002 = 150.1 → 150; levy 3 × 12.5 = 37.5 → 38.
        assert_eq!(quote.subtotal, 3002);
        assert_eq!(quote.vat, 150);
        assert_eq!(quote.charges, 38);
        assert_eq!(quote.total, 3190);
        assert_eq!(quote.charge_lines[0].label, "Levy (3 m³)");
        assert_eq!(quote.period, "2024-01");
        assert!(quote.notes.is_empty());
    }

    #[test]
    fn zero_consumption_is_a_zero_bill() {
        let table = TariffTable::new(vec![per_unit_tariff()]).unwrap();
        let quote = price(&table, "test", usage(0)).unwrap();
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
        let table = TariffTable::new(vec![tariff]).unwrap();
        let quote = price(&table, "test", usage(10)).unwrap();
        // 10 × 1000.5 = 10,005; service 30% = 3,001.5 → 3,002; its VAT 10% = 300.2 → 300.
        let amounts: Vec<i64> = quote.charge_lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![3_002, 300]);
        assert_eq!(
            quote.charge_lines[1].label,
            "VAT 10% on service (3,002 dong)"
        );
        assert_eq!(quote.total, 10_005 + 500 + 3_002 + 300);
    }

    #[test]
    fn household_status_is_kept_off_the_wire_when_ordinary() {
        let table = TariffTable::new(vec![per_unit_tariff()]).unwrap();
        let ordinary = price(&table, "test", usage(3)).unwrap();
        let json = serde_json::to_value(&ordinary).unwrap();
        assert!(json.get("household").is_none());
        assert!(json.get("notes").is_none());
        let back: BillQuote = serde_json::from_value(json).unwrap();
        assert_eq!(back, ordinary);
        let poor = price(
            &table,
            "test",
            Usage {
                household: HouseholdStatus::NearPoor,
                ..usage(3)
            },
        )
        .unwrap();
        // No social prices in this tariff: the same amounts, the status on the bill.
        assert_eq!(poor.total, ordinary.total);
        assert_eq!(
            serde_json::to_value(&poor).unwrap()["household"],
            "near_poor"
        );
    }
}
