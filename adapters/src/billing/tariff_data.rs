//! The tariff figures themselves, transcribed from domain doc §6 (`vietnam.md`).
//! Every row names its source; the tests in `tariff.rs` check that bands ascend and
//! that versions of a schedule neither overlap nor leave gaps.
//!
//! VAT: the doc gives 8% for electricity "until 31 Dec 2026" (Resolution 204/2025/QH15)
//! and 10% as the standard rate, so every EVN version up to that day carries 8% and the
//! 1279 table is split into an 8% row and a 10% row from 1 Jan 2027. Water carries 5%;
//! HCMC's drainage service carries 10% or, under a VAT reduction, 8%, so the HCMC rows
//! are split where that rate changes. Pricing splits a bill by days wherever rows
//! change inside its period (see `proration`).

use std::borrow::Cow;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::catalogue::BillerKind;
use super::effective::ymd;
use super::tariff::{Band, BandBasis, Charge, ChargeBasis, Tariff, Unit};

/// Schedule id of EVN's residential (domestic) retail tariff.
pub const EVN_RESIDENTIAL: &str = "evn_residential";
/// Schedule id of Hanoi's domestic water tariff (per household per month).
pub const HANOI_WATER_DOMESTIC: &str = "hanoi_water_domestic";
/// Schedule id of Ho Chi Minh City's domestic water tariff (per person per month).
pub const HCMC_WATER_DOMESTIC: &str = "hcmc_water_domestic";

const fn band(up_to: Option<u32>, unit_price: Decimal) -> Band {
    Band { up_to, unit_price }
}

/// EVN's six residential tiers: 0–50, 51–100, 101–200, 201–300, 301–400, 401+ kWh.
const fn evn_six_tiers(prices: [Decimal; 6]) -> [Band; 6] {
    [
        band(Some(50), prices[0]),
        band(Some(100), prices[1]),
        band(Some(200), prices[2]),
        band(Some(300), prices[3]),
        band(Some(400), prices[4]),
        band(None, prices[5]),
    ]
}

const EVN_2023_11_09: [Band; 6] = evn_six_tiers([
    dec!(1806),
    dec!(1866),
    dec!(2167),
    dec!(2729),
    dec!(3050),
    dec!(3151),
]);
const EVN_2699_2024: [Band; 6] = evn_six_tiers([
    dec!(1893),
    dec!(1956),
    dec!(2271),
    dec!(2860),
    dec!(3197),
    dec!(3302),
]);
const EVN_1279_2025: [Band; 6] = evn_six_tiers([
    dec!(1984),
    dec!(2050),
    dec!(2380),
    dec!(2998),
    dec!(3350),
    dec!(3460),
]);

/// Average retail price of Decision 1279/QĐ-BCT (VND/kWh), the base of the 5-tier
/// percentages below.
pub const EVN_AVERAGE_PRICE_1279: Decimal = dec!(2204.0655);

/// The 5-tier residential structure of PM Decision 14/2025/QĐ-TTg at 1279's average
/// price (0–100, 101–200, 201–400, 401–700, 701+ kWh). **Not in force in the table**:
/// the doc leaves open whether and when it reaches bills. Kept here so that adopting it
/// is one new `Tariff` row with a date, not a code change.
pub const EVN_RESIDENTIAL_FIVE_TIER_BANDS: &[Band] = &[
    band(Some(100), dec!(1984)),
    band(Some(200), dec!(2380)),
    band(Some(400), dec!(2998)),
    band(Some(700), dec!(3571)),
    band(None, dec!(3967)),
];

/// Second half of 2023. The band above 30 m³ is 24,000, not the 27,000 of the 2024
/// step: domain doc §11 item 4 corrects §6.2 (suckhoecongdongonline.vn), and
/// vnfinance.vn "Hà Nội: Tăng giá nước sinh hoạt từ ngày 1/7" (checked Dec 2026) gives
/// "từ 1/7/2023, giá bán nước đối với hộ dân sử dụng trên 30m3/tháng là 24.000
/// đồng/m3; từ ngày 1/1/2024 ... 27.000 đồng/m3".
const HANOI_2023_H2: [Band; 4] = [
    band(Some(10), dec!(7500)),
    band(Some(20), dec!(8800)),
    band(Some(30), dec!(12000)),
    band(None, dec!(24000)),
];
const HANOI_2024: [Band; 4] = [
    band(Some(10), dec!(8500)),
    band(Some(20), dec!(9900)),
    band(Some(30), dec!(16000)),
    band(None, dec!(27000)),
];

/// Hanoi's social price for poor and near-poor households: 5,973 per m³ for the first
/// 10 m³, the ordinary prices above. Doc §11 item 8 ("reported"); the same 5,973 is the
/// first-10-m³ price of Hanoi's 2013 decision (video.baotintuc.vn, "áp dụng từ
/// 1/10/2015"), and a public code base lists "hộ nghèo 5 973" beside the 2023 roadmap
/// (Decision 3541/QĐ-UBND). [unverified: the decision's text was not read; applied to
/// both steps of the roadmap]
const HANOI_SOCIAL_FIRST_10_M3: Decimal = dec!(5973);

const HANOI_2023_H2_SOCIAL: [Band; 4] = [
    band(Some(10), HANOI_SOCIAL_FIRST_10_M3),
    band(Some(20), dec!(8800)),
    band(Some(30), dec!(12000)),
    band(None, dec!(24000)),
];
const HANOI_2024_SOCIAL: [Band; 4] = [
    band(Some(10), HANOI_SOCIAL_FIRST_10_M3),
    band(Some(20), dec!(9900)),
    band(Some(30), dec!(16000)),
    band(None, dec!(27000)),
];

/// Per person per month: ≤4, 4–6, >6 m³ (bounds multiply by the registered persons).
const HCMC_2022: [Band; 3] = [
    band(Some(4), dec!(6700)),
    band(Some(6), dec!(12900)),
    band(None, dec!(14400)),
];

/// HCMC's social price for poor and near-poor households: 6,300 for ≤4 m³ per person,
/// the other blocks unchanged. Decision 25/2019/QĐ-UBND, 2022 step, as quoted by lawnet
/// (doc §6.2 source, "For poor and near-poor households: ... 0 to 4m3/person/month:
/// 6,300 VND/m3"); doc §11 item 8.
const HCMC_2022_SOCIAL: [Band; 3] = [
    band(Some(4), dec!(6300)),
    band(Some(6), dec!(12900)),
    band(None, dec!(14400)),
];

/// Hanoi's environmental protection fee is a fee (phí), which carries no VAT.
const HANOI_CHARGES: &[Charge] = &[Charge {
    code: Cow::Borrowed("environmental_protection_fee"),
    label: Cow::Borrowed("Domestic wastewater environmental protection fee"),
    basis: ChargeBasis::PercentOfSubtotal(dec!(0.10)),
    vat_rate: Decimal::ZERO,
}];

/// HCMC's drainage and wastewater treatment service: `rate` of the pre-VAT water price,
/// collected by SAWACO on the water bill. Unlike the water itself (5%), it is a
/// service with VAT of its own (doc §11 item 3), so the bill prints its VAT as a line.
const fn hcmc_drainage(rate: Decimal, vat_rate: Decimal) -> [Charge; 1] {
    [Charge {
        code: Cow::Borrowed("drainage_service"),
        label: Cow::Borrowed("Drainage and wastewater treatment service"),
        basis: ChargeBasis::PercentOfSubtotal(rate),
        vat_rate,
    }]
}

// VAT on the drainage service: the standard 10%, or 8% while a two-point VAT reduction
// is in force. The reductions and their windows, as several public code bases
// tabulate them (checked Dec 2026): Decree 15/2022/NĐ-CP 1 Feb-31 Dec 2022; Decree
// 44/2023/NĐ-CP 1 Jul-31 Dec 2023; Decrees 94/2023 and 72/2024 for 2024; Decree
// 180/2024/NĐ-CP (Resolution 174/2024/QH15) 1 Jan-30 Jun 2025; Resolution 204/2025/QH15
// with Decree 174/2025/NĐ-CP 1 Jul 2025 "đến hết 31/12/2026". Each excludes telecoms,
// finance, real estate, metals, mining, chemicals and excise goods, not drainage.
//
// That drainage gets the reduction is confirmed for 2026 by SAWACO's own price table
// from 1 Jan 2026 (benthanh.sawaco.com.vn, as quoted in a public code base): water
// 5% + drainage 30% with 8% VAT, 6,700 → 9,206 per m³ all in. Doc §11 item 3 cites one
// source (capnuocnongthon.com.vn) with 8% in H1 2025 and 10% from 1 Jul 2025; that
// contradicts Resolution 204/2025's reduction running to 31 Dec 2026 and SAWACO's 2026
// table, so it is not followed. [unverified for 2022-2024: no source shows the rate
// SAWACO printed then; one public SAWACO-branch billing app applies 10% throughout]
const HCMC_DRAINAGE_2022_01: &[Charge] = &hcmc_drainage(dec!(0.15), VAT_STANDARD);
const HCMC_DRAINAGE_2022: &[Charge] = &hcmc_drainage(dec!(0.15), VAT_REDUCED);
const HCMC_DRAINAGE_2023_H1: &[Charge] = &hcmc_drainage(dec!(0.20), VAT_STANDARD);
const HCMC_DRAINAGE_2023_H2: &[Charge] = &hcmc_drainage(dec!(0.20), VAT_REDUCED);
const HCMC_DRAINAGE_2024: &[Charge] = &hcmc_drainage(dec!(0.25), VAT_REDUCED);
const HCMC_DRAINAGE_2025: &[Charge] = &hcmc_drainage(dec!(0.30), VAT_REDUCED);
const HCMC_DRAINAGE_2027: &[Charge] = &hcmc_drainage(dec!(0.30), VAT_STANDARD);

/// The 10% standard rate less the two-point reduction (Resolution 204/2025/QH15 and its
/// predecessors, above).
const VAT_REDUCED: Decimal = dec!(0.08);
const VAT_ELECTRICITY_REDUCED: Decimal = VAT_REDUCED;
const VAT_STANDARD: Decimal = dec!(0.10);
const VAT_WATER: Decimal = dec!(0.05);

const fn evn(
    id: &'static str,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    bands: &'static [Band],
    vat_rate: Decimal,
    source: &'static str,
) -> Tariff {
    Tariff {
        id: Cow::Borrowed(id),
        schedule: Cow::Borrowed(EVN_RESIDENTIAL),
        kind: BillerKind::Electricity,
        unit: Unit::Kwh,
        band_basis: BandBasis::PerConnection,
        valid_from,
        valid_to,
        bands: Cow::Borrowed(bands),
        // EVN has no social price: its support for poor households is paid apart.
        social_bands: None,
        vat_rate,
        charges: Cow::Borrowed(&[]),
        source: Cow::Borrowed(source),
    }
}

const fn hanoi(
    id: &'static str,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    bands: &'static [Band],
    social_bands: &'static [Band],
    source: &'static str,
) -> Tariff {
    Tariff {
        id: Cow::Borrowed(id),
        schedule: Cow::Borrowed(HANOI_WATER_DOMESTIC),
        kind: BillerKind::Water,
        unit: Unit::CubicMetre,
        band_basis: BandBasis::PerConnection,
        valid_from,
        valid_to,
        bands: Cow::Borrowed(bands),
        social_bands: Some(Cow::Borrowed(social_bands)),
        vat_rate: VAT_WATER,
        charges: Cow::Borrowed(HANOI_CHARGES),
        source: Cow::Borrowed(source),
    }
}

const fn hcmc(
    id: &'static str,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    charges: &'static [Charge],
    source: &'static str,
) -> Tariff {
    Tariff {
        id: Cow::Borrowed(id),
        schedule: Cow::Borrowed(HCMC_WATER_DOMESTIC),
        kind: BillerKind::Water,
        unit: Unit::CubicMetre,
        band_basis: BandBasis::PerPerson,
        valid_from,
        valid_to,
        bands: Cow::Borrowed(&HCMC_2022),
        social_bands: Some(Cow::Borrowed(&HCMC_2022_SOCIAL)),
        vat_rate: VAT_WATER,
        charges: Cow::Borrowed(charges),
        source: Cow::Borrowed(source),
    }
}

/// Every built-in tariff version.
pub(crate) const TARIFFS: &[Tariff] = &[
    evn(
        "evn_residential_2023_11_09",
        ymd(2023, 11, 9),
        Some(ymd(2024, 10, 10)),
        &EVN_2023_11_09,
        VAT_ELECTRICITY_REDUCED,
        "EVN residential table from 9 Nov 2023 (doc §6.1 history); VAT 8%",
    ),
    evn(
        "evn_residential_2699_2024",
        ymd(2024, 10, 11),
        Some(ymd(2025, 5, 9)),
        &EVN_2699_2024,
        VAT_ELECTRICITY_REDUCED,
        "MoIT Decision 2699/QĐ-BCT, from 11 Oct 2024 (doc §6.1 history); VAT 8%",
    ),
    evn(
        "evn_residential_1279_2025_vat8",
        ymd(2025, 5, 10),
        Some(ymd(2026, 12, 31)),
        &EVN_1279_2025,
        VAT_ELECTRICITY_REDUCED,
        "MoIT Decision 1279/QĐ-BCT of 9 May 2025, from 10 May 2025; VAT 8% until \
         31 Dec 2026 (Resolution 204/2025/QH15)",
    ),
    evn(
        "evn_residential_1279_2025_vat10",
        ymd(2027, 1, 1),
        None,
        &EVN_1279_2025,
        VAT_STANDARD,
        "MoIT Decision 1279/QĐ-BCT; standard 10% VAT once the 8% reduction lapses",
    ),
    hanoi(
        "hanoi_water_2023_h2",
        ymd(2023, 7, 1),
        Some(ymd(2023, 12, 31)),
        &HANOI_2023_H2,
        &HANOI_2023_H2_SOCIAL,
        "Hanoi 2023 water price roadmap (Decision 3541/QĐ-UBND of 7 Jul 2023 per \
         secondary sources), step from 1 Jul 2023; above 30 m³ 24,000 (doc §11 item 4, \
         vnfinance.vn); poor and near-poor households 5,973 for the first 10 m³ \
         [unverified]; 10% environmental protection fee; VAT 5%",
    ),
    hanoi(
        "hanoi_water_2024",
        ymd(2024, 1, 1),
        None,
        &HANOI_2024,
        &HANOI_2024_SOCIAL,
        "Hanoi 2023 water price roadmap, 2024 step (doc §6.2; changes after 2024 \
         unverified); poor and near-poor households 5,973 for the first 10 m³ \
         [unverified]; 10% environmental protection fee; VAT 5%",
    ),
    hcmc(
        "hcmc_water_2022_01",
        ymd(2022, 1, 1),
        Some(ymd(2022, 1, 31)),
        HCMC_DRAINAGE_2022_01,
        "Decision 25/2019/QĐ-UBND 2022 step (poor and near-poor 6,300 for ≤4 m³ per \
         person); drainage service 15% (first step of the 2022-2025 roadmap) with VAT \
         10%, before Decree 15/2022's reduction [unverified]; water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2022",
        ymd(2022, 2, 1),
        Some(ymd(2022, 12, 31)),
        HCMC_DRAINAGE_2022,
        "Decision 25/2019/QĐ-UBND 2022 step; drainage service 15% with VAT 8% \
         (Decree 15/2022/NĐ-CP) [unverified]; water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2023_h1",
        ymd(2023, 1, 1),
        Some(ymd(2023, 6, 30)),
        HCMC_DRAINAGE_2023_H1,
        "Decision 25/2019/QĐ-UBND 2022 step; drainage service 20% with VAT 10% \
         [unverified]; water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2023_h2",
        ymd(2023, 7, 1),
        Some(ymd(2023, 12, 31)),
        HCMC_DRAINAGE_2023_H2,
        "Decision 25/2019/QĐ-UBND 2022 step; drainage service 20% with VAT 8% \
         (Decree 44/2023/NĐ-CP) [unverified]; water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2024",
        ymd(2024, 1, 1),
        Some(ymd(2024, 12, 31)),
        HCMC_DRAINAGE_2024,
        "Decision 25/2019/QĐ-UBND 2022 step; drainage service 25% with VAT 8% \
         (Decrees 94/2023 and 72/2024) [unverified]; water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2025",
        ymd(2025, 1, 1),
        Some(ymd(2026, 12, 31)),
        HCMC_DRAINAGE_2025,
        "Decision 25/2019/QĐ-UBND 2022 step, still quoted in 2025 and in SAWACO's table \
         from 1 Jan 2026 (doc §6.2); drainage service 30% from early 2025, last step of \
         2022-2025, with VAT 8% (Decree 180/2024/NĐ-CP, then Resolution 204/2025/QH15 to \
         31 Dec 2026; SAWACO 2026 table); water VAT 5%",
    ),
    hcmc(
        "hcmc_water_2027",
        ymd(2027, 1, 1),
        None,
        HCMC_DRAINAGE_2027,
        "Decision 25/2019/QĐ-UBND 2022 step (no later table known); drainage service \
         30% with the standard 10% VAT once Resolution 204/2025's reduction lapses; \
         water VAT 5%",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::money::round_dong;

    #[test]
    fn five_tier_prices_follow_the_percentages_of_the_average_price() {
        // Doc §6.1: 90 / 108 / 136 / 162 / 180 % of 2,204.0655 VND/kWh.
        let percentages = [dec!(0.90), dec!(1.08), dec!(1.36), dec!(1.62), dec!(1.80)];
        for (band, pct) in EVN_RESIDENTIAL_FIVE_TIER_BANDS.iter().zip(percentages) {
            let derived = round_dong(EVN_AVERAGE_PRICE_1279 * pct).map(Decimal::from);
            assert_eq!(derived, Some(band.unit_price));
        }
    }

    #[test]
    fn five_tier_bands_ascend() {
        let bounds: Vec<u32> = EVN_RESIDENTIAL_FIVE_TIER_BANDS
            .iter()
            .filter_map(|b| b.up_to)
            .collect();
        assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            EVN_RESIDENTIAL_FIVE_TIER_BANDS.last().map(|b| b.up_to),
            Some(None)
        );
    }
}
