//! Household health insurance (BHYT hộ gia đình) contributions.

use chrono::NaiveDate;

use super::rates::InsuranceRates;
use super::{check_months, line, times_months, InsuranceError, InsuranceScheme, Quote};
use crate::billing::money::{apply_rate, format_dong, format_percent};

/// Quotes household health insurance for the member at `member_position` (1 for the
/// first member, 5 for the fifth and every later one) for `months` months, with the
/// base salary and rates in force on `quote_date`.
///
/// The first member pays 4.5% of the base salary; later members pay 70%, 60%, 50% and
/// 40% of the first member's amount. The discount assumes members join within the same
/// fiscal year, which the caller must check.
///
/// Rounding: the first member's amount is rounded to whole dong half-up, then the share
/// is applied to that rounded amount and rounded half-up again. Example at 2,530,000:
/// 113,850 for the first member, 79,695 for the second.
pub fn bhyt_household(
    member_position: u32,
    months: u32,
    quote_date: NaiveDate,
    rates: &InsuranceRates,
) -> Result<Quote, InsuranceError> {
    check_months(months)?;
    let index = usize::try_from(member_position)
        .ok()
        .and_then(|p| p.checked_sub(1))
        .filter(|&i| i < 5)
        .ok_or(InsuranceError::InvalidMemberPosition {
            position: member_position,
        })?;
    let rules = rates.household_on(quote_date)?;
    let base_salary = rates.base_salary_on(quote_date)?;

    let first_member =
        apply_rate(rules.first_member_rate, base_salary).ok_or(InsuranceError::AmountOutOfRange)?;
    let share =
        rules
            .member_shares
            .get(index)
            .copied()
            .ok_or(InsuranceError::InvalidMemberPosition {
                position: member_position,
            })?;
    let monthly = apply_rate(share, first_member).ok_or(InsuranceError::AmountOutOfRange)?;

    let mut breakdown = vec![line(
        "first_member_contribution",
        format!(
            "First member: {} of base salary {}",
            format_percent(rules.first_member_rate),
            format_dong(base_salary)
        ),
        first_member,
        months,
    )?];
    if monthly != first_member {
        breakdown.push(line(
            "household_discount",
            format!(
                "Household discount: member {member_position} pays {} of {}",
                format_percent(share),
                format_dong(first_member)
            ),
            monthly - first_member,
            months,
        )?);
    }

    Ok(Quote {
        scheme: InsuranceScheme::BhytHousehold,
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

    fn monthly(position: u32, date: NaiveDate) -> i64 {
        bhyt_household(position, 1, date, InsuranceRates::vietnam())
            .unwrap()
            .monthly
    }

    #[test]
    fn doc_worked_example_first_member_at_2_530_000() {
        let q = bhyt_household(1, 1, ymd(2026, 7, 1), InsuranceRates::vietnam()).unwrap();
        assert_eq!(q.monthly, 113_850);
        assert_eq!(q.amount, 113_850);
        assert_eq!(q.base_salary, 2_530_000);
        assert_eq!(q.breakdown.len(), 1);
        assert_eq!(
            q.breakdown[0].label,
            "First member: 4.5% of base salary 2,530,000"
        );
    }

    #[test]
    fn doc_member_table_at_both_base_salaries() {
        // Doc §7 table, at 2,340,000 and at 2,530,000.
        let at_2_340_000 = [105_300, 73_710, 63_180, 52_650, 42_120];
        let at_2_530_000 = [113_850, 79_695, 68_310, 56_925, 45_540];
        for (i, (old, new)) in at_2_340_000.into_iter().zip(at_2_530_000).enumerate() {
            let position = u32::try_from(i + 1).unwrap();
            assert_eq!(
                monthly(position, ymd(2026, 6, 30)),
                old,
                "member {position}"
            );
            assert_eq!(monthly(position, ymd(2026, 7, 1)), new, "member {position}");
        }
    }

    #[test]
    fn later_members_show_the_discount() {
        let q = bhyt_household(2, 12, ymd(2026, 7, 1), InsuranceRates::vietnam()).unwrap();
        assert_eq!(q.monthly, 79_695);
        assert_eq!(q.amount, 956_340);
        assert_eq!(q.breakdown[1].monthly, -34_155);
        assert_eq!(q.breakdown[1].amount, -409_860);
        let total: i64 = q.breakdown.iter().map(|l| l.amount).sum();
        assert_eq!(total, q.amount);
    }

    #[test]
    fn a_year_for_the_first_member() {
        let q = bhyt_household(1, 12, ymd(2026, 7, 1), InsuranceRates::vietnam()).unwrap();
        assert_eq!(q.amount, 1_366_200);
    }

    #[test]
    fn rejects_bad_inputs() {
        let rates = InsuranceRates::vietnam();
        for position in [0, 6, u32::MAX] {
            assert_eq!(
                bhyt_household(position, 1, ymd(2026, 7, 1), rates)
                    .unwrap_err()
                    .code(),
                "invalid_member_position"
            );
        }
        assert_eq!(
            bhyt_household(1, 0, ymd(2026, 7, 1), rates)
                .unwrap_err()
                .code(),
            "invalid_months"
        );
        assert_eq!(
            bhyt_household(1, 1, ymd(2024, 6, 30), rates)
                .unwrap_err()
                .code(),
            "rate_not_in_force"
        );
    }
}
