//! Effective-dated contribution parameters, transcribed from domain doc §7.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::{InsuranceError, SupportGroup};
use crate::billing::effective::{self, ymd, Dated};

/// State support rates for voluntary social insurance, as fractions of the contribution
/// computed on the rural poverty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportRates {
    /// Poor households, island communes, special zones.
    pub poor: Decimal,
    /// Near-poor households.
    pub near_poor: Decimal,
    /// Ethnic minorities.
    pub ethnic_minority: Decimal,
    /// Everyone else.
    pub other: Decimal,
}

impl SupportRates {
    /// The rate for `group`.
    pub fn rate(&self, group: SupportGroup) -> Decimal {
        match group {
            SupportGroup::Poor => self.poor,
            SupportGroup::NearPoor => self.near_poor,
            SupportGroup::EthnicMinority => self.ethnic_minority,
            SupportGroup::Other => self.other,
        }
    }
}

/// Voluntary social insurance parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoluntaryRules {
    /// Contribution rate on the chosen income (22%).
    pub contribution_rate: Decimal,
    /// Highest income as a multiple of the base salary (reference level): 20.
    pub max_income_multiple: i64,
    /// State support by group.
    pub support: SupportRates,
}

/// Household health insurance parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdRules {
    /// First member's rate on the base salary (4.5%).
    pub first_member_rate: Decimal,
    /// Share of the first member's amount paid by members 1 to 5 (the 5th share also
    /// applies to later members).
    pub member_shares: [Decimal; 5],
}

/// The dated series behind the calculators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuranceRates {
    /// Base salary (lương cơ sở), used as the reference level, in dong per month.
    pub base_salary: Cow<'static, [Dated<i64>]>,
    /// Rural poverty line in dong per month: the lowest voluntary income.
    pub rural_poverty_line: Cow<'static, [Dated<i64>]>,
    /// Voluntary social insurance rules.
    pub voluntary: Cow<'static, [Dated<VoluntaryRules>]>,
    /// Household health insurance rules.
    pub household: Cow<'static, [Dated<HouseholdRules>]>,
}

/// A series of rates whose windows overlap or are malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {series} series has overlapping or malformed validity windows")]
pub struct InsuranceRatesError {
    /// The offending series.
    pub series: &'static str,
}

impl InsuranceRatesError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        "invalid_insurance_rates"
    }
}

/// Doc §7: Decree 73/2024 (2,340,000 from 1 Jul 2024) and Decree 161/2026
/// (2,530,000 from 1 Jul 2026). The doc gives no earlier value.
const BASE_SALARY: &[Dated<i64>] = &[
    Dated {
        valid_from: ymd(2024, 7, 1),
        valid_to: Some(ymd(2026, 6, 30)),
        value: 2_340_000,
    },
    Dated {
        valid_from: ymd(2026, 7, 1),
        valid_to: None,
        value: 2_530_000,
    },
];

/// The rural poverty line, which is the lowest income voluntary social insurance may be
/// paid on and the base of the state support (Decree 159/2025/NĐ-CP).
///
/// - 1,500,000 from 2022 under Decree 07/2021/NĐ-CP (doc §7), kept through 2026: the
///   2026-2030 poverty-line decree keeps the 2022-2025 line "từ ngày 1/1/2026 đến hết
///   ngày 31/12/2026".
/// - 2,200,000 from 1 Jan 2027 (the urban line becomes 2,800,000; only the rural one
///   matters here). Doc §11 item 2; huengaynay.vn "Chuẩn nghèo đa chiều quốc gia giai
///   đoạn 2026-2030" (checked Dec 2026): "Giai đoạn 2027-2030 ... ở khu vực nông thôn,
///   thu nhập bình quân đầu người của hộ gia đình là 2.200.000 đồng/người/tháng".
///   [unverified: news reports only; the decree's number was not found]
const RURAL_POVERTY_LINE: &[Dated<i64>] = &[
    Dated {
        valid_from: ymd(2022, 1, 1),
        valid_to: Some(ymd(2026, 12, 31)),
        value: 1_500_000,
    },
    Dated {
        valid_from: ymd(2027, 1, 1),
        valid_to: None,
        value: 2_200_000,
    },
];

/// Doc §7: 22% of the chosen income, capped at 20 × the reference level; support by
/// Decree 159/2025/NĐ-CP from 1 Jul 2025 (earlier support rates are not in the doc).
const VOLUNTARY: &[Dated<VoluntaryRules>] = &[Dated {
    valid_from: ymd(2025, 7, 1),
    valid_to: None,
    value: VoluntaryRules {
        contribution_rate: dec!(0.22),
        max_income_multiple: 20,
        support: SupportRates {
            poor: dec!(0.50),
            near_poor: dec!(0.40),
            ethnic_minority: dec!(0.30),
            other: dec!(0.20),
        },
    },
}];

/// Doc §7: Decree 146/2018 (in force 1 Dec 2018), kept unchanged by Decree 188/2025.
const HOUSEHOLD: &[Dated<HouseholdRules>] = &[Dated {
    valid_from: ymd(2018, 12, 1),
    valid_to: None,
    value: HouseholdRules {
        first_member_rate: dec!(0.045),
        member_shares: [dec!(1), dec!(0.70), dec!(0.60), dec!(0.50), dec!(0.40)],
    },
}];

static VIETNAM: InsuranceRates = InsuranceRates {
    base_salary: Cow::Borrowed(BASE_SALARY),
    rural_poverty_line: Cow::Borrowed(RURAL_POVERTY_LINE),
    voluntary: Cow::Borrowed(VOLUNTARY),
    household: Cow::Borrowed(HOUSEHOLD),
};

fn series_is_valid<T>(items: &[Dated<T>]) -> bool {
    let refs: Vec<&Dated<T>> = items.iter().collect();
    items
        .iter()
        .all(|i| effective::window_is_valid(i) && i.valid_from != NaiveDate::MIN)
        && effective::first_overlap(&refs).is_none()
}

fn value_on<T: Copy>(
    series: &[Dated<T>],
    name: &'static str,
    date: NaiveDate,
) -> Result<T, InsuranceError> {
    effective::in_force_on(series, date)
        .map(|dated| dated.value)
        .ok_or(InsuranceError::RateNotInForce { series: name, date })
}

impl InsuranceRates {
    /// The built-in Vietnamese parameters, checked by the data tests.
    pub fn vietnam() -> &'static InsuranceRates {
        &VIETNAM
    }

    /// Checks that no series has overlapping or malformed windows.
    pub fn validate(&self) -> Result<(), InsuranceRatesError> {
        let checks = [
            ("base salary", series_is_valid(&self.base_salary)),
            (
                "rural poverty line",
                series_is_valid(&self.rural_poverty_line),
            ),
            (
                "voluntary social insurance rules",
                series_is_valid(&self.voluntary),
            ),
            (
                "household health insurance rules",
                series_is_valid(&self.household),
            ),
        ];
        match checks.into_iter().find(|&(_, ok)| !ok) {
            Some((series, _)) => Err(InsuranceRatesError { series }),
            None => Ok(()),
        }
    }

    /// Base salary in force on `date`.
    pub fn base_salary_on(&self, date: NaiveDate) -> Result<i64, InsuranceError> {
        value_on(&self.base_salary, "base salary", date)
    }

    /// Rural poverty line in force on `date`.
    pub fn rural_poverty_line_on(&self, date: NaiveDate) -> Result<i64, InsuranceError> {
        value_on(&self.rural_poverty_line, "rural poverty line", date)
    }

    /// Voluntary social insurance rules in force on `date`.
    pub fn voluntary_on(&self, date: NaiveDate) -> Result<VoluntaryRules, InsuranceError> {
        value_on(&self.voluntary, "voluntary social insurance rules", date)
    }

    /// Household health insurance rules in force on `date`.
    pub fn household_on(&self, date: NaiveDate) -> Result<HouseholdRules, InsuranceError> {
        value_on(&self.household, "household health insurance rules", date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rates_are_valid() {
        InsuranceRates::vietnam().validate().unwrap();
    }

    #[test]
    fn base_salary_changes_on_1_july_2026() {
        let rates = InsuranceRates::vietnam();
        assert_eq!(rates.base_salary_on(ymd(2024, 7, 1)), Ok(2_340_000));
        assert_eq!(rates.base_salary_on(ymd(2026, 6, 30)), Ok(2_340_000));
        assert_eq!(rates.base_salary_on(ymd(2026, 7, 1)), Ok(2_530_000));
        assert_eq!(
            rates.base_salary_on(ymd(2024, 6, 30)).unwrap_err().code(),
            "rate_not_in_force"
        );
    }

    #[test]
    fn caps_rise_from_46_8_to_50_6_million() {
        // Doc §7: 20 × base salary.
        let rates = InsuranceRates::vietnam();
        let cap = |d| {
            rates.base_salary_on(d).unwrap() * rates.voluntary_on(d).unwrap().max_income_multiple
        };
        assert_eq!(cap(ymd(2026, 1, 1)), 46_800_000);
        assert_eq!(cap(ymd(2026, 7, 1)), 50_600_000);
    }

    #[test]
    fn rural_poverty_line_rises_on_1_january_2027() {
        // Doc §11 item 2: 1,500,000 kept through 2026, 2,200,000 from 2027.
        let rates = InsuranceRates::vietnam();
        assert_eq!(rates.rural_poverty_line_on(ymd(2022, 1, 1)), Ok(1_500_000));
        assert_eq!(
            rates.rural_poverty_line_on(ymd(2026, 12, 31)),
            Ok(1_500_000)
        );
        assert_eq!(rates.rural_poverty_line_on(ymd(2027, 1, 1)), Ok(2_200_000));
        assert_eq!(
            rates.rural_poverty_line_on(ymd(2030, 12, 31)),
            Ok(2_200_000)
        );
    }

    #[test]
    fn rejects_overlapping_series() {
        let mut rates = InsuranceRates::vietnam().clone();
        rates.base_salary = Cow::Owned(vec![
            Dated {
                valid_from: ymd(2024, 7, 1),
                valid_to: None,
                value: 1,
            },
            Dated {
                valid_from: ymd(2026, 7, 1),
                valid_to: None,
                value: 2,
            },
        ]);
        let err = rates.validate().unwrap_err();
        assert_eq!(err.series, "base salary");
        assert_eq!(err.code(), "invalid_insurance_rates");
    }
}
