//! Property tests across the calculators.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::catalogue::find_biller;
use super::electricity::{price_electricity, price_electricity_for};
use super::household::HouseholdStatus;
use super::insurance::{
    bhxh_voluntary, bhyt_household, InsuranceRates, SupportGroup, ALLOWED_MONTHS,
};
use super::period::{BillingPeriod, MeterPeriod};
use super::pricing::BillQuote;
use super::tariff::TariffTable;
use super::water::{price_water, price_water_for};

/// Periods from the first month wholly under an EVN table to after the VAT change, so
/// every version is hit. (November 2023 starts on the 9th, and a month is now priced
/// day by day, so it has no price for its first days.)
fn evn_period() -> impl Strategy<Value = BillingPeriod> {
    (0u32..60).prop_map(|offset| {
        let months = 2023 * 12 + 11 + offset; // 2023-12 onward
        BillingPeriod::new((months / 12) as i32, months % 12 + 1).unwrap()
    })
}

/// Meter periods of 1 to 62 days from 9 Nov 2023 to about 2028, so that they cross
/// every price and VAT change somewhere.
fn meter_period() -> impl Strategy<Value = MeterPeriod> {
    (0i64..1800, 1i64..=62).prop_map(|(start, days)| {
        let first = NaiveDate::from_ymd_opt(2023, 11, 9).unwrap() + chrono::Duration::days(start);
        MeterPeriod::new(first, first + chrono::Duration::days(days - 1)).unwrap()
    })
}

fn household() -> impl Strategy<Value = HouseholdStatus> {
    prop_oneof![
        Just(HouseholdStatus::None),
        Just(HouseholdStatus::Poor),
        Just(HouseholdStatus::NearPoor),
    ]
}

fn water_period() -> impl Strategy<Value = BillingPeriod> {
    (0u32..48).prop_map(|offset| {
        let months = 2024 * 12 + offset; // 2024-01 onward: both cities priced
        BillingPeriod::new((months / 12) as i32, months % 12 + 1).unwrap()
    })
}

fn quote_date() -> impl Strategy<Value = NaiveDate> {
    // 2025-07-01 .. about 2028: support rules and base salary both known.
    (0i64..1200).prop_map(|days| {
        NaiveDate::from_ymd_opt(2025, 7, 1).unwrap() + chrono::Duration::days(days)
    })
}

fn support_group() -> impl Strategy<Value = SupportGroup> {
    prop_oneof![
        Just(SupportGroup::Poor),
        Just(SupportGroup::NearPoor),
        Just(SupportGroup::EthnicMinority),
        Just(SupportGroup::Other),
    ]
}

fn assert_sums(quote: &BillQuote) {
    let lines: i64 = quote.lines.iter().map(|l| l.amount).sum();
    let charges: i64 = quote.charge_lines.iter().map(|l| l.amount).sum();
    assert_eq!(quote.subtotal, lines);
    assert_eq!(quote.charges, charges);
    assert_eq!(quote.total, lines + quote.vat + charges);
}

proptest! {
    #[test]
    fn electricity_is_non_decreasing_in_kwh(
        a in 0u32..20_000,
        b in 0u32..20_000,
        period in evn_period(),
    ) {
        let table = TariffTable::vietnam();
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let low_total = price_electricity(low, period, table).unwrap().total;
        let high_total = price_electricity(high, period, table).unwrap().total;
        prop_assert!(low_total <= high_total);
        // Neighbours too, where a band boundary would show a dip.
        let next = price_electricity(low + 1, period, table).unwrap().total;
        prop_assert!(low_total <= next);
    }

    #[test]
    fn electricity_total_is_lines_plus_vat_and_charges(
        kwh in 0u32..1_000_000,
        period in evn_period(),
    ) {
        let quote = price_electricity(kwh, period, TariffTable::vietnam()).unwrap();
        assert_sums(&quote);
        let billed: rust_decimal::Decimal = quote.lines.iter().map(|l| l.quantity).sum();
        prop_assert_eq!(billed, rust_decimal::Decimal::from(kwh));
    }

    #[test]
    fn water_total_is_lines_plus_vat_and_charges(
        hanoi in any::<bool>(),
        m3 in 0u32..100_000,
        persons in 1u32..20,
        period in water_period(),
    ) {
        let biller = find_biller(if hanoi { "HAWACO" } else { "SAWACO" }).unwrap();
        let quote = price_water(biller, m3, persons, period, TariffTable::vietnam()).unwrap();
        assert_sums(&quote);
        let billed: rust_decimal::Decimal = quote.lines.iter().map(|l| l.quantity).sum();
        prop_assert_eq!(billed, rust_decimal::Decimal::from(m3));
        let more = price_water(biller, m3 + 1, persons, period, TariffTable::vietnam()).unwrap();
        prop_assert!(quote.total <= more.total);
    }

    #[test]
    fn split_periods_bill_every_unit_once_and_add_up(
        kwh in 0u32..5_000,
        period in meter_period(),
        status in household(),
    ) {
        let table = TariffTable::vietnam();
        let quote = price_electricity_for(kwh, period, status, table).unwrap();
        assert_sums(&quote);
        let billed: rust_decimal::Decimal = quote.lines.iter().map(|l| l.quantity).sum();
        prop_assert_eq!(billed, rust_decimal::Decimal::from(kwh));
        // One more kWh never costs less, wherever the period is split.
        let more = price_electricity_for(kwh + 1, period, status, table).unwrap();
        prop_assert!(quote.total <= more.total);
        // EVN's support is information only: the amount due is the ordinary one.
        let ordinary = price_electricity_for(kwh, period, HouseholdStatus::None, table).unwrap();
        prop_assert_eq!(quote.total, ordinary.total);
        prop_assert_eq!(quote.notes.is_empty(), status != HouseholdStatus::Poor);
    }

    #[test]
    fn social_water_prices_never_cost_more(
        hanoi in any::<bool>(),
        m3 in 0u32..500,
        persons in 1u32..10,
        period in water_period(),
        status in household(),
    ) {
        let biller = find_biller(if hanoi { "HAWACO" } else { "SAWACO" }).unwrap();
        let table = TariffTable::vietnam();
        let quote = price_water_for(biller, m3, persons, period.into(), status, table).unwrap();
        assert_sums(&quote);
        let ordinary = price_water(biller, m3, persons, period, table).unwrap();
        prop_assert!(quote.total <= ordinary.total);
        if status == HouseholdStatus::None {
            prop_assert_eq!(quote, ordinary);
        }
    }

    #[test]
    fn voluntary_amount_is_linear_in_months(
        income_share in 0u32..=1000,
        group in support_group(),
        date in quote_date(),
        months in proptest::sample::select(ALLOWED_MONTHS.to_vec()),
    ) {
        let rates = InsuranceRates::vietnam();
        let min = rates.rural_poverty_line_on(date).unwrap();
        let max = rates.base_salary_on(date).unwrap() * 20;
        let income = min + (max - min) * i64::from(income_share) / 1000;
        let one = bhxh_voluntary(income, group, 1, date, rates).unwrap();
        let many = bhxh_voluntary(income, group, months, date, rates).unwrap();
        prop_assert_eq!(many.monthly, one.monthly);
        prop_assert_eq!(many.amount, one.amount * i64::from(months));
        let lines: i64 = many.breakdown.iter().map(|l| l.amount).sum();
        prop_assert_eq!(lines, many.amount);
        prop_assert!(many.monthly > 0);
    }

    #[test]
    fn household_amount_is_linear_in_months(
        position in 1u32..=5,
        date in quote_date(),
        months in proptest::sample::select(ALLOWED_MONTHS.to_vec()),
    ) {
        let rates = InsuranceRates::vietnam();
        let one = bhyt_household(position, 1, date, rates).unwrap();
        let many = bhyt_household(position, months, date, rates).unwrap();
        prop_assert_eq!(many.amount, one.amount * i64::from(months));
        let lines: i64 = many.breakdown.iter().map(|l| l.amount).sum();
        prop_assert_eq!(lines, many.amount);
        // Later members never pay more than earlier ones.
        if position > 1 {
            let earlier = bhyt_household(position - 1, months, date, rates).unwrap();
            prop_assert!(many.amount <= earlier.amount);
        }
    }
}
