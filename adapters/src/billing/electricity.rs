//! Residential electricity bills priced by EVN's block tariff in force for the period,
//! split by days where the price changed inside it.

use super::household::{electricity_support_line, HouseholdStatus};
use super::period::{BillingPeriod, MeterPeriod};
use super::pricing::{price, BillQuote, PricingError, Usage};
use super::tariff::TariffTable;
use super::tariff_data::EVN_RESIDENTIAL;

/// Prices a calendar month's residential consumption of `kwh` for an ordinary
/// household: [`price_electricity_for`] over the whole month.
///
/// Rounding: each tier line and the VAT are rounded to whole dong half-up once, and the
/// total is their integer sum (see the `pricing` module). Example: 250 kWh in 2025-06
/// (Decision 1279, VAT 8%) = 589,600 + 47,168 = 636,768 dong.
pub fn price_electricity(
    kwh: u32,
    period: BillingPeriod,
    table: &TariffTable,
) -> Result<BillQuote, PricingError> {
    price_electricity_for(kwh, period.into(), HouseholdStatus::None, table)
}

/// Prices `kwh` consumed over `period` by a household of status `household`.
///
/// When a price decision takes effect inside the period, the kWh and each tier's
/// allowance are split by days between the old and the new table, as EVN bills it
/// (see the `proration` module): May 2025 is priced 9 days by Decision 2699 and 22 by
/// Decision 1279. A poor household's bill shows EVN's 30 kWh support as a note, which
/// EVN pays to the household separately: the amount due does not change.
pub fn price_electricity_for(
    kwh: u32,
    period: MeterPeriod,
    household: HouseholdStatus,
    table: &TariffTable,
) -> Result<BillQuote, PricingError> {
    let usage = Usage {
        quantity: kwh,
        persons: 1,
        household,
        period,
    };
    let mut quote = price(table, EVN_RESIDENTIAL, usage)?;
    // The support of the month of the reading, at the tier-1 price then in force.
    let reading_day = period.last_day();
    if let Some(tariff) = table.in_force_on(EVN_RESIDENTIAL, reading_day) {
        quote
            .notes
            .extend(electricity_support_line(tariff, household, reading_day)?);
    }
    Ok(quote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn price(kwh: u32, period: &str) -> BillQuote {
        price_electricity(kwh, period.parse().unwrap(), TariffTable::vietnam()).unwrap()
    }

    #[test]
    fn doc_worked_example_250_kwh_under_1279_with_8_percent_vat() {
        // Doc §6.1: 50×1,984 + 50×2,050 + 100×2,380 + 50×2,998 = 589,600; VAT 8% = 47,168.
        let quote = price(250, "2025-06");
        assert_eq!(quote.tariff_id, "evn_residential_1279_2025_vat8");
        let amounts: Vec<i64> = quote.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![99_200, 102_500, 238_000, 149_900]);
        let quantities: Vec<_> = quote.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, vec![dec!(50), dec!(50), dec!(100), dec!(50)]);
        assert_eq!(quote.subtotal, 589_600);
        assert_eq!(quote.vat_rate, dec!(0.08));
        assert_eq!(quote.vat, 47_168);
        assert_eq!(quote.charges, 0);
        assert_eq!(quote.total, 636_768);
        assert_eq!(quote.lines[0].label, "Tier 1 (0-50 kWh)");
    }

    #[test]
    fn may_2025_is_split_by_days_between_2699_and_1279() {
        // Decision 1279 took effect on 10 May 2025: 1-9 May (9 days) at Decision 2699,
        // 10-31 May (22 days) at 1279; T = 31. Self-computed by the EVNCPC method:
        // - kWh: 250 × 9 / 31 = 72.58 → 73 at 2699, 250 − 73 = 177 at 1279;
        // - allowances (50, 50, 100, 100, 100 kWh) × 9/31 → 15, 15, 29, 29, 29, so 2699's
        //   bounds are 15, 30, 59, 88, 117; × 22/31 → 35, 35, 71, 71, 71, so 1279's are
        //   35, 70, 141, 212, 283 (each rounded half up);
        // - 2699: 15×1,893 + 15×1,956 + 29×2,271 + 14×2,860 = 28,395 + 29,340 + 65,859
        //   + 40,040 = 163,634;
        // - 1279: 35×1,984 + 35×2,050 + 71×2,380 + 36×2,998 = 69,440 + 71,750 + 168,980
        //   + 107,928 = 418,098;
        // - subtotal 581,732; both tables carry VAT 8%: 46,538.56 → 46,539;
        //   total 628,271 (between 607,554 all at 2699 and 636,768 all at 1279).
        let q = price(250, "2025-05");
        assert_eq!(
            q.tariff_id,
            "evn_residential_2699_2024+evn_residential_1279_2025_vat8"
        );
        assert_eq!(q.period, "2025-05");
        let lines: Vec<(&str, Decimal, Decimal, i64)> = q
            .lines
            .iter()
            .map(|l| (l.label.as_str(), l.quantity, l.unit_price, l.amount))
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "Tier 1 (0-15 kWh), 2025-05-01 to 2025-05-09",
                    dec!(15),
                    dec!(1893),
                    28_395
                ),
                (
                    "Tier 2 (15-30 kWh), 2025-05-01 to 2025-05-09",
                    dec!(15),
                    dec!(1956),
                    29_340
                ),
                (
                    "Tier 3 (30-59 kWh), 2025-05-01 to 2025-05-09",
                    dec!(29),
                    dec!(2271),
                    65_859
                ),
                (
                    "Tier 4 (59-88 kWh), 2025-05-01 to 2025-05-09",
                    dec!(14),
                    dec!(2860),
                    40_040
                ),
                (
                    "Tier 1 (0-35 kWh), 2025-05-10 to 2025-05-31",
                    dec!(35),
                    dec!(1984),
                    69_440
                ),
                (
                    "Tier 2 (35-70 kWh), 2025-05-10 to 2025-05-31",
                    dec!(35),
                    dec!(2050),
                    71_750
                ),
                (
                    "Tier 3 (70-141 kWh), 2025-05-10 to 2025-05-31",
                    dec!(71),
                    dec!(2380),
                    168_980
                ),
                (
                    "Tier 4 (141-212 kWh), 2025-05-10 to 2025-05-31",
                    dec!(36),
                    dec!(2998),
                    107_928
                ),
            ]
        );
        assert_eq!(q.subtotal, 581_732);
        assert_eq!((q.vat_rate, q.vat), (dec!(0.08), 46_539));
        assert!(q.charge_lines.is_empty());
        assert_eq!(q.total, 628_271);
        let sum: i64 = q.lines.iter().map(|l| l.amount).sum::<i64>() + q.vat;
        assert_eq!(sum, q.total);
    }

    #[test]
    fn a_reading_period_across_10_may_splits_at_the_change() {
        // Read on 24 Apr and 24 May 2025: 25 Apr - 9 May (15 days) at 2699, 10 - 24 May
        // (15 days) at 1279; T = 30. 100 kWh: 50 + 50. Allowances × 15/30: 25, 25, 50, ...
        // 2699: 25×1,893 + 25×1,956 = 47,325 + 48,900 = 96,225;
        // 1279: 25×1,984 + 25×2,050 = 49,600 + 51,250 = 100,850;
        // subtotal 197,075; VAT 8% 15,766; total 212,841.
        let period = MeterPeriod::new(ymd(2025, 4, 25), ymd(2025, 5, 24)).unwrap();
        let q = price_electricity_for(100, period, HouseholdStatus::None, TariffTable::vietnam())
            .unwrap();
        let amounts: Vec<i64> = q.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![47_325, 48_900, 49_600, 51_250]);
        assert_eq!((q.subtotal, q.vat, q.total), (197_075, 15_766, 212_841));
        assert_eq!(q.period, "2025-05");
        assert_eq!(
            q.lines[2].label,
            "Tier 1 (0-25 kWh), 2025-05-10 to 2025-05-24"
        );
    }

    #[test]
    fn a_reading_period_across_the_2027_vat_change_prints_both_vat_lines() {
        // 15 Dec 2026 - 14 Jan 2027: 17 days at 8% VAT, 14 at 10%; same 1279 prices.
        // 310 kWh: 310 × 17/31 = 170 at 8%, 140 at 10%. Allowances × 17/31: 27, 27, 55, 55,
        // 55 (bounds 27, 54, 109, 164, 219); × 14/31: 23, 23, 45, 45, 45 (23, 46, 91,
        // 136, 181).
        // 8% part: 27×1,984 + 27×2,050 + 55×2,380 + 55×2,998 + 6×3,350 = 53,568 + 55,350
        // + 130,900 + 164,890 + 20,100 = 424,808; VAT 8% = 33,984.64 → 33,985 (a charge
        // line).
        // 10% part: 23×1,984 + 23×2,050 + 45×2,380 + 45×2,998 + 4×3,350 = 45,632 + 47,150
        // + 107,100 + 134,910 + 13,400 = 348,192; VAT 10% = 34,819.2 → 34,819.
        let period = MeterPeriod::new(ymd(2026, 12, 15), ymd(2027, 1, 14)).unwrap();
        let q = price_electricity_for(310, period, HouseholdStatus::None, TariffTable::vietnam())
            .unwrap();
        assert_eq!(
            q.tariff_id,
            "evn_residential_1279_2025_vat8+evn_residential_1279_2025_vat10"
        );
        assert_eq!(q.subtotal, 424_808 + 348_192);
        assert_eq!((q.vat_rate, q.vat), (dec!(0.10), 34_819));
        assert_eq!(q.charge_lines.len(), 1);
        assert_eq!(
            q.charge_lines[0].label,
            "VAT 8% on consumption of 2026-12-15 to 2026-12-31 (424,808 dong)"
        );
        assert_eq!(q.charge_lines[0].amount, 33_985);
        assert_eq!(q.total, 424_808 + 348_192 + 34_819 + 33_985);
        assert_eq!(q.period, "2027-01");
    }

    #[test]
    fn a_poor_household_sees_evn_support_without_a_change_to_the_amount_due() {
        // Doc §11 item 8: 30 kWh at the tier-1 price (1,984 under Decision 1279) =
        // 59,520, paid to the household separately; the bill is still 636,768.
        let june: MeterPeriod = BillingPeriod::new(2025, 6).unwrap().into();
        let table = TariffTable::vietnam();
        let poor = price_electricity_for(250, june, HouseholdStatus::Poor, table).unwrap();
        let ordinary = price(250, "2025-06");
        assert_eq!(poor.total, 636_768);
        assert_eq!(
            (poor.lines.clone(), poor.vat, poor.charge_lines.clone()),
            (
                ordinary.lines.clone(),
                ordinary.vat,
                ordinary.charge_lines.clone()
            )
        );
        assert_eq!(poor.household, HouseholdStatus::Poor);
        assert_eq!(poor.notes.len(), 1);
        assert_eq!(
            (
                poor.notes[0].quantity,
                poor.notes[0].unit_price,
                poor.notes[0].amount
            ),
            (dec!(30), dec!(1984), 59_520)
        );
        assert!(poor.notes[0].label.contains("not deducted"));
        // Near-poor households get no EVN support; ordinary bills carry no note.
        let near_poor = price_electricity_for(250, june, HouseholdStatus::NearPoor, table).unwrap();
        assert!(near_poor.notes.is_empty());
        assert_eq!(near_poor.total, 636_768);
        assert!(ordinary.notes.is_empty());
        // In 2024 the tier-1 price was 2699's 1,893: 56,790.
        let dec_2024: MeterPeriod = BillingPeriod::new(2024, 12).unwrap().into();
        let q = price_electricity_for(100, dec_2024, HouseholdStatus::Poor, table).unwrap();
        assert_eq!(q.notes[0].amount, 56_790);
    }

    #[test]
    fn older_periods_use_the_table_of_their_period() {
        // Self-computed from the doc's history rows.
        // Decision 2699 (from 11 Oct 2024): 94,650 + 97,800 + 227,100 + 143,000 = 562,550;
        // VAT 8% = 45,004.
        let q = price(250, "2025-04");
        assert_eq!(q.tariff_id, "evn_residential_2699_2024");
        assert_eq!((q.subtotal, q.vat, q.total), (562_550, 45_004, 607_554));
        // Table from 9 Nov 2023: 90,300 + 93,300 + 216,700 + 136,450 = 536,750;
        // VAT 8% = 42,940.
        let q = price(250, "2024-06");
        assert_eq!(q.tariff_id, "evn_residential_2023_11_09");
        assert_eq!((q.subtotal, q.vat, q.total), (536_750, 42_940, 579_690));
    }

    #[test]
    fn vat_returns_to_10_percent_in_2027() {
        let q = price(250, "2027-01");
        assert_eq!(q.vat_rate, dec!(0.10));
        assert_eq!((q.subtotal, q.vat, q.total), (589_600, 58_960, 648_560));
        assert_eq!(price(250, "2026-12").total, 636_768);
    }

    #[test]
    fn reaches_the_open_sixth_tier() {
        // 1279: 99,200 + 102,500 + 238,000 + 299,800 + 335,000 + 100×3,460 = 1,420,500;
        // VAT 8% = 113,640.
        let q = price(500, "2025-06");
        assert_eq!(q.lines.len(), 6);
        assert_eq!(q.lines[5].label, "Tier 6 (over 400 kWh)");
        assert_eq!(q.lines[5].quantity, dec!(100));
        assert_eq!(
            (q.subtotal, q.vat, q.total),
            (1_420_500, 113_640, 1_534_140)
        );
    }

    #[test]
    fn fractional_vat_rounds_half_up() {
        // 1 kWh: 1,984 × 8% = 158.72 → 159; 3 kWh: 5,952 × 8% = 476.16 → 476.
        assert_eq!(price(1, "2025-06").vat, 159);
        assert_eq!(price(3, "2025-06").vat, 476);
        let q = price(0, "2025-06");
        assert_eq!((q.lines.len(), q.total), (0, 0));
    }

    #[test]
    fn no_tariff_before_the_first_table() {
        let err =
            price_electricity(100, "2023-10".parse().unwrap(), TariffTable::vietnam()).unwrap_err();
        assert_eq!(err.code(), "tariff_not_found");
    }
}
