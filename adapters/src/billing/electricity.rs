//! Residential electricity bills priced by EVN's block tariff in force for the period.

use super::period::BillingPeriod;
use super::pricing::{price_with_tariff, BillQuote, PricingError};
use super::tariff::TariffTable;
use super::tariff_data::EVN_RESIDENTIAL;

/// Prices a month's residential consumption of `kwh` under the EVN tariff in force on
/// the last day of `period` (see [`TariffTable::for_period`]).
///
/// Rounding: each tier line and the VAT are rounded to whole dong half-up once, and the
/// total is their integer sum (see the `pricing` module). Example: 250 kWh in 2025-06
/// (Decision 1279, VAT 8%) = 589,600 + 47,168 = 636,768 dong.
pub fn price_electricity(
    kwh: u32,
    period: BillingPeriod,
    table: &TariffTable,
) -> Result<BillQuote, PricingError> {
    let tariff =
        table
            .for_period(EVN_RESIDENTIAL, period)
            .ok_or_else(|| PricingError::TariffNotFound {
                schedule: EVN_RESIDENTIAL.to_owned(),
                period: period.to_string(),
            })?;
    price_with_tariff(tariff, kwh, 1, period)
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn may_2025_is_priced_by_1279() {
        assert_eq!(price(250, "2025-05").total, 636_768);
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
