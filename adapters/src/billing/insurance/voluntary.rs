//! Voluntary social insurance (BHXH tự nguyện) contributions.

use chrono::NaiveDate;

use super::rates::InsuranceRates;
use super::{
    check_months, line, times_months, InsuranceError, InsuranceScheme, Quote, SupportGroup,
};
use crate::billing::money::{apply_rate, format_dong, format_percent};

/// Quotes voluntary social insurance on a chosen `monthly_income` for `months` months,
/// with the rules in force on `quote_date`.
///
/// The income must lie between the rural poverty line and `max_income_multiple` × the
/// base salary (reference level), both inclusive. The contribution is 22% of the
/// income; the state support is the group's rate applied to 22% of the rural poverty
/// line (not of the chosen income), and is deducted. `amount = months × monthly`.
///
/// Rounding: contribution, poverty-line contribution and support are each rounded to
/// whole dong half-up, in that order. Example: income 1,500,000, group `other`:
/// 330,000 − 66,000 = 264,000 per month.
pub fn bhxh_voluntary(
    monthly_income: i64,
    support_group: SupportGroup,
    months: u32,
    quote_date: NaiveDate,
    rates: &InsuranceRates,
) -> Result<Quote, InsuranceError> {
    check_months(months)?;
    let rules = rates.voluntary_on(quote_date)?;
    let base_salary = rates.base_salary_on(quote_date)?;
    let poverty_line = rates.rural_poverty_line_on(quote_date)?;

    let max_income = base_salary
        .checked_mul(rules.max_income_multiple)
        .ok_or(InsuranceError::AmountOutOfRange)?;
    if monthly_income < poverty_line || monthly_income > max_income {
        return Err(InsuranceError::IncomeOutOfRange {
            income: monthly_income,
            min: poverty_line,
            max: max_income,
        });
    }

    let rate = rules.contribution_rate;
    let contribution = apply_rate(rate, monthly_income).ok_or(InsuranceError::AmountOutOfRange)?;
    let poverty_contribution =
        apply_rate(rate, poverty_line).ok_or(InsuranceError::AmountOutOfRange)?;
    let support_rate = rules.support.rate(support_group);
    let support =
        apply_rate(support_rate, poverty_contribution).ok_or(InsuranceError::AmountOutOfRange)?;
    // Support is computed on the minimum income, so it never exceeds the contribution.
    let monthly = contribution - support;

    let breakdown = vec![
        line(
            "contribution",
            format!(
                "Contribution: {} of monthly income {}",
                format_percent(rate),
                format_dong(monthly_income)
            ),
            contribution,
            months,
        )?,
        line(
            "state_support",
            format!(
                "State support ({}): {} of {} ({} of rural poverty line {})",
                support_group.as_str(),
                format_percent(support_rate),
                format_dong(poverty_contribution),
                format_percent(rate),
                format_dong(poverty_line)
            ),
            -support,
            months,
        )?,
    ];

    Ok(Quote {
        scheme: InsuranceScheme::BhxhVoluntary,
        monthly,
        months,
        amount: times_months(monthly, months)?,
        base_salary,
        breakdown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::effective::ymd;

    fn quote(
        income: i64,
        group: SupportGroup,
        months: u32,
        date: NaiveDate,
    ) -> Result<Quote, InsuranceError> {
        bhxh_voluntary(income, group, months, date, InsuranceRates::vietnam())
    }

    #[test]
    fn doc_worked_example_minimum_income_other_group() {
        // Doc §7: 22% × 1,500,000 = 330,000; 20% support = 66,000; 264,000 to pay.
        let q = quote(1_500_000, SupportGroup::Other, 1, ymd(2026, 7, 1)).unwrap();
        assert_eq!(q.breakdown[0].monthly, 330_000);
        assert_eq!(q.breakdown[1].monthly, -66_000);
        assert_eq!(q.monthly, 264_000);
        assert_eq!(q.amount, 264_000);
        assert_eq!(q.scheme, InsuranceScheme::BhxhVoluntary);
        assert_eq!(
            q.breakdown[0].label,
            "Contribution: 22% of monthly income 1,500,000"
        );
    }

    #[test]
    fn doc_support_table_at_the_minimum() {
        // Doc §7 support table: 165,000 / 132,000 / 99,000 / 66,000 off 330,000.
        let cases = [
            (SupportGroup::Poor, 165_000, 165_000),
            (SupportGroup::NearPoor, 132_000, 198_000),
            (SupportGroup::EthnicMinority, 99_000, 231_000),
            (SupportGroup::Other, 66_000, 264_000),
        ];
        for (group, support, monthly) in cases {
            let q = quote(1_500_000, group, 1, ymd(2025, 9, 1)).unwrap();
            assert_eq!(q.breakdown[1].monthly, -support, "{group:?}");
            assert_eq!(q.monthly, monthly, "{group:?}");
        }
    }

    #[test]
    fn support_is_on_the_poverty_line_not_the_income() {
        // 22% × 5,000,000 = 1,100,000; support still 40% × 330,000 = 132,000.
        let q = quote(5_000_000, SupportGroup::NearPoor, 3, ymd(2025, 9, 1)).unwrap();
        assert_eq!(q.monthly, 968_000);
        assert_eq!(q.amount, 2_904_000);
        assert_eq!(q.breakdown[0].amount, 3_300_000);
        assert_eq!(q.breakdown[1].amount, -396_000);
    }

    #[test]
    fn annual_payment_at_the_minimum() {
        let q = quote(1_500_000, SupportGroup::Other, 12, ymd(2025, 9, 1)).unwrap();
        assert_eq!(q.amount, 3_168_000);
    }

    #[test]
    fn income_bounds_follow_the_base_salary() {
        let before = ymd(2026, 6, 30);
        let after = ymd(2026, 7, 1);
        // 20 × 2,340,000 = 46,800,000: 22% = 10,296,000, less 66,000 support.
        let q = quote(46_800_000, SupportGroup::Other, 1, before).unwrap();
        assert_eq!(q.monthly, 10_230_000);
        assert_eq!(q.base_salary, 2_340_000);
        let err = quote(46_800_001, SupportGroup::Other, 1, before).unwrap_err();
        assert_eq!(err.code(), "invalid_amount");
        assert_eq!(
            err,
            InsuranceError::IncomeOutOfRange {
                income: 46_800_001,
                min: 1_500_000,
                max: 46_800_000
            }
        );
        // 20 × 2,530,000 = 50,600,000: 22% = 11,132,000.
        let q = quote(50_600_000, SupportGroup::Other, 1, after).unwrap();
        assert_eq!(q.monthly, 11_066_000);
        assert_eq!(
            quote(50_600_001, SupportGroup::Other, 1, after)
                .unwrap_err()
                .code(),
            "invalid_amount"
        );
        for low in [1_499_999, 0, -1] {
            assert_eq!(
                quote(low, SupportGroup::Other, 1, after)
                    .unwrap_err()
                    .code(),
                "invalid_amount"
            );
        }
    }

    #[test]
    fn odd_incomes_round_half_up() {
        // 22% × 1,500,003 = 330,000.66 → 330,001.
        let q = quote(1_500_003, SupportGroup::Other, 1, ymd(2025, 9, 1)).unwrap();
        assert_eq!(q.breakdown[0].monthly, 330_001);
        assert_eq!(q.monthly, 264_001);
    }

    #[test]
    fn doc_worked_example_last_day_of_the_old_poverty_line() {
        // Quote dated 2026-12-31: still 22% × 1,500,000 = 330,000 before support.
        let date = ymd(2026, 12, 31);
        let cases = [
            (SupportGroup::Poor, 165_000, 165_000),
            (SupportGroup::NearPoor, 132_000, 198_000),
            (SupportGroup::EthnicMinority, 99_000, 231_000),
            (SupportGroup::Other, 66_000, 264_000),
        ];
        for (group, support, monthly) in cases {
            let q = quote(1_500_000, group, 1, date).unwrap();
            assert_eq!(q.breakdown[0].monthly, 330_000, "{group:?}");
            assert_eq!(q.breakdown[1].monthly, -support, "{group:?}");
            assert_eq!(q.monthly, monthly, "{group:?}");
        }
    }

    #[test]
    fn doc_worked_example_first_day_of_the_2027_poverty_line() {
        // Doc §11 item 2, quote dated 2027-01-01: 22% × 2,200,000 = 484,000 before
        // support; 50/40/30/20% support = 242,000 / 193,600 / 145,200 / 96,800, leaving
        // 242,000 / 290,400 / 338,800 / 387,200 per month.
        let date = ymd(2027, 1, 1);
        let cases = [
            (SupportGroup::Poor, 242_000, 242_000),
            (SupportGroup::NearPoor, 193_600, 290_400),
            (SupportGroup::EthnicMinority, 145_200, 338_800),
            (SupportGroup::Other, 96_800, 387_200),
        ];
        for (group, support, monthly) in cases {
            let q = quote(2_200_000, group, 1, date).unwrap();
            assert_eq!(q.breakdown[0].monthly, 484_000, "{group:?}");
            assert_eq!(q.breakdown[1].monthly, -support, "{group:?}");
            assert_eq!(q.monthly, monthly, "{group:?}");
            assert_eq!(
                q.breakdown[1].label,
                format!(
                    "State support ({}): {} of 484,000 (22% of rural poverty line 2,200,000)",
                    group.as_str(),
                    match group {
                        SupportGroup::Poor => "50%",
                        SupportGroup::NearPoor => "40%",
                        SupportGroup::EthnicMinority => "30%",
                        SupportGroup::Other => "20%",
                    }
                )
            );
        }
        // A year paid at once: 12 × 387,200.
        let q = quote(2_200_000, SupportGroup::Other, 12, date).unwrap();
        assert_eq!(q.amount, 4_646_400);
    }

    #[test]
    fn income_below_the_2027_minimum_is_refused_from_2027() {
        // 1,500,000 was the minimum on 2026-12-31 and is too little the next day.
        assert!(quote(1_500_000, SupportGroup::Other, 1, ymd(2026, 12, 31)).is_ok());
        let err = quote(1_500_000, SupportGroup::Other, 1, ymd(2027, 1, 1)).unwrap_err();
        assert_eq!(err.code(), "invalid_amount");
        assert_eq!(
            err,
            InsuranceError::IncomeOutOfRange {
                income: 1_500_000,
                min: 2_200_000,
                max: 50_600_000
            }
        );
        assert!(quote(2_199_999, SupportGroup::Poor, 1, ymd(2027, 1, 1)).is_err());
    }

    #[test]
    fn rejects_bad_months_and_unknown_dates() {
        assert_eq!(
            quote(1_500_000, SupportGroup::Other, 2, ymd(2025, 9, 1))
                .unwrap_err()
                .code(),
            "invalid_months"
        );
        // Decree 159/2025 support rates start on 1 Jul 2025; the doc gives no earlier ones.
        assert_eq!(
            quote(1_500_000, SupportGroup::Other, 1, ymd(2025, 6, 30))
                .unwrap_err()
                .code(),
            "rate_not_in_force"
        );
    }
}
