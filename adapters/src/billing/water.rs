//! Domestic water bills priced by the tariff of the biller's city in force for the
//! period, at the social prices for poor and near-poor households where the city
//! publishes them.

use super::catalogue::{Biller, BillerKind};
use super::household::HouseholdStatus;
use super::period::{BillingPeriod, MeterPeriod};
use super::pricing::{price, BillQuote, PricingError, Usage};
use super::tariff::TariffTable;

/// Prices `m3` cubic metres for a calendar month for an ordinary household:
/// [`price_water_for`] over the whole month.
///
/// `persons` is the number of people registered on the connection. It scales the block
/// bounds of a per-person tariff (HCMC: 4 and 6 m³ per person) and must then be at least
/// 1; it is ignored by per-household tariffs (Hanoi). Callers without a count should
/// pass 1.
///
/// Rounding: each block line, the VAT (5%), each surcharge (environmental protection
/// fee or drainage service, on the pre-VAT water price) and the VAT on a surcharge that
/// carries one (HCMC drainage: 8% or 10%) are rounded to whole dong half-up once; the
/// total is their integer sum.
pub fn price_water(
    biller: &Biller,
    m3: u32,
    persons: u32,
    period: BillingPeriod,
    table: &TariffTable,
) -> Result<BillQuote, PricingError> {
    price_water_for(
        biller,
        m3,
        persons,
        period.into(),
        HouseholdStatus::None,
        table,
    )
}

/// Prices `m3` cubic metres consumed over `period` by a household of status
/// `household`: poor and near-poor households pay the social prices of the biller's
/// tariff where it has them (Hanoi 5,973 per m³ for the first 10 m³, HCMC 6,300 for
/// the first 4 m³ per person). A period over a price change is split by days (see the
/// `proration` module); water prices here change only on the first of a month.
pub fn price_water_for(
    biller: &Biller,
    m3: u32,
    persons: u32,
    period: MeterPeriod,
    household: HouseholdStatus,
    table: &TariffTable,
) -> Result<BillQuote, PricingError> {
    let schedule = biller
        .tariff_schedule
        .filter(|_| biller.kind == BillerKind::Water)
        .ok_or_else(|| PricingError::BillerKindMismatch {
            biller: biller.code.to_owned(),
            expected: BillerKind::Water,
        })?;
    let usage = Usage {
        quantity: m3,
        persons,
        household,
        period,
    };
    price(table, schedule, usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::catalogue::find_biller;
    use rust_decimal_macros::dec;

    fn price(biller: &str, m3: u32, persons: u32, period: &str) -> Result<BillQuote, PricingError> {
        let biller = find_biller(biller).unwrap();
        price_water(
            biller,
            m3,
            persons,
            period.parse().unwrap(),
            TariffTable::vietnam(),
        )
    }

    fn receipt(q: &BillQuote) -> Vec<(String, i64)> {
        // What a receipt prints: the block lines, the VAT line, then the charge lines.
        let mut lines: Vec<(String, i64)> = q
            .lines
            .iter()
            .map(|l| (l.label.clone(), l.amount))
            .collect();
        lines.push((format!("VAT {}", q.vat_rate), q.vat));
        lines.extend(q.charge_lines.iter().map(|l| (l.label.clone(), l.amount)));
        lines
    }

    #[test]
    fn doc_worked_example_hcmc_40_m3_one_person() {
        // Doc §6.2 (lawnet): 40 m³ for one person = 542,200 before VAT and fees:
        // 4×6,700 + 2×12,900 + 34×14,400.
        let q = price("SAWACO", 40, 1, "2025-03").unwrap();
        let amounts: Vec<i64> = q.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, vec![26_800, 25_800, 489_600]);
        assert_eq!(q.subtotal, 542_200);
        // Self-computed: water VAT 5% = 27,110; drainage 30% = 162,660; the drainage
        // service carries its own VAT (doc §11 item 3), 8% in 2025 under the VAT
        // reduction: 13,012.8 → 13,013. Total 542,200 + 27,110 + 162,660 + 13,013.
        assert_eq!(q.vat, 27_110);
        assert_eq!(q.charge_lines[0].unit_price, dec!(0.30));
        assert_eq!(q.charge_lines[0].amount, 162_660);
        assert_eq!(q.charge_lines[1].unit_price, dec!(0.08));
        assert_eq!(q.charge_lines[1].amount, 13_013);
        assert_eq!(
            q.charge_lines[1].label,
            "VAT 8% on drainage and wastewater treatment service (162,660 dong)"
        );
        assert_eq!(q.charges, 175_673);
        assert_eq!(q.total, 744_983);
        // Every printed line adds up to the amount due.
        let printed = receipt(&q);
        assert_eq!(printed.len(), 6);
        assert_eq!(printed.iter().map(|(_, a)| a).sum::<i64>(), 744_983);
    }

    #[test]
    fn hcmc_drainage_vat_returns_to_10_percent_in_2027() {
        // Resolution 204/2025/QH15's 8% runs to 31 Dec 2026; 10% from 2027:
        // 162,660 × 10% = 16,266. Total 542,200 + 27,110 + 162,660 + 16,266 = 748,236.
        let q = price("SAWACO", 40, 1, "2027-01").unwrap();
        assert_eq!(q.tariff_id, "hcmc_water_2027");
        assert_eq!(q.charge_lines[1].amount, 16_266);
        assert_eq!(q.total, 748_236);
        assert_eq!(price("SAWACO", 40, 1, "2026-12").unwrap().total, 744_983);
        let printed = receipt(&q);
        assert_eq!(printed.iter().map(|(_, a)| a).sum::<i64>(), q.total);
    }

    #[test]
    fn hcmc_bands_scale_with_persons() {
        // 4 persons: blocks of 16 and 24 m³. 16×6,700 + 8×12,900 + 6×14,400 = 296,800;
        // VAT 14,840; drainage 30% 89,040 and its VAT 8% 7,123.2 → 7,123.
        let q = price("SAWACO", 30, 4, "2025-06").unwrap();
        let quantities: Vec<_> = q.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, vec![dec!(16), dec!(8), dec!(6)]);
        assert_eq!(q.lines[1].label, "Tier 2 (16-24 m³)");
        assert_eq!(
            (q.subtotal, q.vat, q.charges, q.total),
            (296_800, 14_840, 96_163, 407_803)
        );
    }

    #[test]
    fn hcmc_drainage_follows_its_yearly_steps() {
        // 2024 was the 25% step: 542,200 + 27,110 + 135,550, and 8% VAT on the drainage
        // (Decree 72/2024/NĐ-CP for H2 2024): 10,844.
        let q = price("SAWACO", 40, 1, "2024-12").unwrap();
        assert_eq!((q.charges, q.total), (135_550 + 10_844, 715_704));
        // January 2022, before Decree 15/2022's reduction: 15% and 10% VAT on it.
        // 81,330 × 10% = 8,133.
        let q = price("SAWACO", 40, 1, "2022-01").unwrap();
        assert_eq!(q.charge_lines[0].amount, 81_330);
        assert_eq!(q.charge_lines[1].unit_price, dec!(0.10));
        assert_eq!(q.charge_lines[1].amount, 8_133);
    }

    #[test]
    fn hcmc_poor_household_pays_6300_in_the_first_block() {
        // Decision 25/2019/QĐ-UBND via lawnet (doc §6.2): 6,300 for ≤ 4 m³ per person for
        // poor and near-poor households, the other blocks unchanged. 1 person, 40 m³:
        // 4×6,300 + 2×12,900 + 34×14,400 = 25,200 + 25,800 + 489,600 = 540,600;
        // VAT 5% 27,030; drainage 30% 162,180; its VAT 8% 12,974.4 → 12,974.
        let sawaco = find_biller("SAWACO").unwrap();
        let march: MeterPeriod = BillingPeriod::new(2025, 3).unwrap().into();
        for status in [HouseholdStatus::Poor, HouseholdStatus::NearPoor] {
            let q = price_water_for(sawaco, 40, 1, march, status, TariffTable::vietnam()).unwrap();
            assert_eq!(q.lines[0].unit_price, dec!(6300));
            assert_eq!(q.lines[0].label, "Tier 1 (0-4 m³), social price");
            assert_eq!(q.lines[1].label, "Tier 2 (4-6 m³)");
            assert_eq!(
                (q.subtotal, q.vat, q.charges, q.total),
                (540_600, 27_030, 162_180 + 12_974, 742_784)
            );
            assert_eq!(q.household, status);
        }
    }

    #[test]
    fn hanoi_poor_household_pays_5973_for_the_first_10_m3() {
        // Doc §11 item 8: 5,973 per m³ for the first 10 m³ (reported). 2024 step, 25 m³:
        // 10×5,973 + 10×9,900 + 5×16,000 = 59,730 + 99,000 + 80,000 = 238,730;
        // VAT 5% 11,936.5 → 11,937; environmental protection fee 10% 23,873.
        let hawaco = find_biller("HAWACO").unwrap();
        let june: MeterPeriod = BillingPeriod::new(2025, 6).unwrap().into();
        let q = price_water_for(
            hawaco,
            25,
            1,
            june,
            HouseholdStatus::Poor,
            TariffTable::vietnam(),
        )
        .unwrap();
        assert_eq!(q.lines[0].amount, 59_730);
        assert_eq!(
            (q.subtotal, q.vat, q.charges, q.total),
            (238_730, 11_937, 23_873, 274_540)
        );
        // An ordinary household's bill is unchanged by the new field (303,600 below).
        let ordinary = price_water_for(
            hawaco,
            25,
            1,
            june,
            HouseholdStatus::None,
            TariffTable::vietnam(),
        )
        .unwrap();
        assert_eq!(ordinary, price("HAWACO", 25, 1, "2025-06").unwrap());
        assert!(ordinary.notes.is_empty());
    }

    #[test]
    fn hcmc_needs_at_least_one_person() {
        assert_eq!(
            price("SAWACO", 10, 0, "2025-06").unwrap_err().code(),
            "invalid_persons"
        );
    }

    #[test]
    fn hanoi_is_per_household_with_the_environmental_fee() {
        // Self-computed, 2024 step: 10×8,500 + 10×9,900 + 5×16,000 = 264,000;
        // VAT 5% = 13,200; environmental protection fee 10% = 26,400.
        let q = price("HAWACO", 25, 4, "2025-06").unwrap();
        assert_eq!(q.tariff_id, "hanoi_water_2024");
        assert_eq!(
            (q.subtotal, q.vat, q.charges, q.total),
            (264_000, 13_200, 26_400, 303_600)
        );
        // Persons do not change a per-household bill.
        assert_eq!(price("HAWACO", 25, 1, "2025-06").unwrap(), q);
    }

    #[test]
    fn hanoi_older_step_and_top_block() {
        // 2023-H2 step: 10×7,500 + 10×8,800 + 5×12,000 = 223,000; VAT 11,150; fee 22,300.
        let q = price("HAWACO", 25, 1, "2023-09").unwrap();
        assert_eq!(q.tariff_id, "hanoi_water_2023_h2");
        assert_eq!(q.total, 256_450);
        // 2024 step, 35 m³: 85,000 + 99,000 + 160,000 + 5×27,000 = 479,000.
        let q = price("HAWACO", 35, 1, "2024-01").unwrap();
        assert_eq!((q.subtotal, q.total), (479_000, 550_850));
        assert_eq!(
            price("HAWACO", 10, 1, "2023-06").unwrap_err().code(),
            "tariff_not_found"
        );
    }

    #[test]
    fn hanoi_2023_h2_top_block_is_24000() {
        // Doc §11 item 4 (correcting §6.2): above 30 m³ the 2023-H2 step is 24,000.
        // Self-computed, 35 m³ in 2023-09: 10×7,500 + 10×8,800 + 10×12,000 + 5×24,000
        // = 403,000; VAT 5% = 20,150; environmental protection fee 10% = 40,300.
        let q = price("HAWACO", 35, 1, "2023-09").unwrap();
        assert_eq!(q.tariff_id, "hanoi_water_2023_h2");
        assert_eq!(q.lines[3].unit_price, dec!(24000));
        assert_eq!(q.lines[3].amount, 120_000);
        assert_eq!(
            (q.subtotal, q.vat, q.charges, q.total),
            (403_000, 20_150, 40_300, 463_450)
        );
        // The 27,000 of the 2024 step starts on 1 Jan 2024.
        assert_eq!(
            price("HAWACO", 35, 1, "2024-01").unwrap().lines[3].unit_price,
            dec!(27000)
        );
    }

    #[test]
    fn refuses_billers_without_a_water_tariff() {
        for biller in ["EVNHANOI", "VSS_BHXH"] {
            assert_eq!(
                price(biller, 10, 1, "2025-06").unwrap_err().code(),
                "biller_kind_mismatch"
            );
        }
    }
}
