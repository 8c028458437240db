//! Contribution calculators for Vietnam Social Security schemes a citizen pays for
//! themselves: voluntary social insurance (BHXH tự nguyện) and household health insurance
//! (BHYT hộ gia đình), with the rates and base salary in force on the quote date.
//!
//! Rounding rule: each monthly figure derived from a percentage (the 22% contribution,
//! the poverty-line contribution, the state support, the 4.5% first-member amount, a
//! later member's share of it) is rounded to whole dong half-up once, in that order, so
//! shares are taken of the already-rounded amount as the doc's tables do. The amount
//! due is then exactly `months × monthly`, and every breakdown line obeys the same
//! multiplication, so the lines add up to the amount.

mod household;
mod rates;
mod voluntary;

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use household::bhyt_household;
pub use rates::{
    HouseholdRules, InsuranceRates, InsuranceRatesError, SupportRates, VoluntaryRules,
};
pub use voluntary::bhxh_voluntary;

/// Payment periods the schemes accept: monthly, quarterly, semi-annual, annual.
pub const ALLOWED_MONTHS: [u32; 4] = [1, 3, 6, 12];

/// Which scheme a quote is for; serialised as the API's `scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceScheme {
    /// Voluntary social insurance.
    BhxhVoluntary,
    /// Household health insurance.
    BhytHousehold,
}

/// State-support group of a voluntary social insurance participant (Decree 159/2025).
/// When several apply, the caller passes the one with the highest rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportGroup {
    /// Poor households, island communes and special zones.
    Poor,
    /// Near-poor households.
    NearPoor,
    /// Ethnic minorities.
    EthnicMinority,
    /// Everyone else.
    Other,
}

impl SupportGroup {
    /// The API's snake_case spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SupportGroup::Poor => "poor",
            SupportGroup::NearPoor => "near_poor",
            SupportGroup::EthnicMinority => "ethnic_minority",
            SupportGroup::Other => "other",
        }
    }
}

impl FromStr for SupportGroup {
    type Err = InsuranceError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "poor" => Ok(SupportGroup::Poor),
            "near_poor" => Ok(SupportGroup::NearPoor),
            "ethnic_minority" => Ok(SupportGroup::EthnicMinority),
            "other" => Ok(SupportGroup::Other),
            _ => Err(InsuranceError::InvalidSupportGroup {
                value: value.to_owned(),
            }),
        }
    }
}

/// One line of a quote's breakdown. Deductions (state support, household discount)
/// are negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// Stable snake_case identifier of the line.
    pub code: String,
    /// What the line is, for people.
    pub label: String,
    /// Per-month amount in dong.
    pub monthly: i64,
    /// `monthly × months`.
    pub amount: i64,
}

/// A priced contribution. Invariants: `amount = monthly × months`, and the breakdown's
/// `monthly` and `amount` columns sum to `monthly` and `amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Scheme quoted.
    pub scheme: InsuranceScheme,
    /// Contribution per month after support or discount.
    pub monthly: i64,
    /// Months paid for.
    pub months: u32,
    /// Amount due: `monthly × months`.
    pub amount: i64,
    /// Base salary (reference level) in force on the quote date.
    pub base_salary: i64,
    /// How the monthly figure was reached.
    pub breakdown: Vec<QuoteLine>,
}

/// Why a contribution could not be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsuranceError {
    /// The chosen monthly income is outside [rural poverty line, 20 × base salary].
    #[error("monthly income {income} is outside the allowed range {min}..={max}")]
    IncomeOutOfRange {
        /// Income asked for.
        income: i64,
        /// Lowest allowed income.
        min: i64,
        /// Highest allowed income.
        max: i64,
    },
    /// `months` is not 1, 3, 6 or 12.
    #[error("months must be 1, 3, 6 or 12, not {months}")]
    InvalidMonths {
        /// Months asked for.
        months: u32,
    },
    /// `member_position` is not 1..=5.
    #[error("member position must be 1 to 5, not {position}")]
    InvalidMemberPosition {
        /// Position asked for.
        position: u32,
    },
    /// The support group is not one of the four.
    #[error("unknown support group {value:?}")]
    InvalidSupportGroup {
        /// Value given.
        value: String,
    },
    /// No rate of the named series is known for the quote date.
    #[error("no {series} is in force on {date}")]
    RateNotInForce {
        /// The missing series.
        series: &'static str,
        /// Quote date.
        date: NaiveDate,
    },
    /// The amount does not fit in an `i64` of dong.
    #[error("the contribution amount is out of range")]
    AmountOutOfRange,
}

impl InsuranceError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            InsuranceError::IncomeOutOfRange { .. } | InsuranceError::AmountOutOfRange => {
                "invalid_amount"
            }
            InsuranceError::InvalidMonths { .. } => "invalid_months",
            InsuranceError::InvalidMemberPosition { .. } => "invalid_member_position",
            InsuranceError::InvalidSupportGroup { .. } => "invalid_support_group",
            InsuranceError::RateNotInForce { .. } => "rate_not_in_force",
        }
    }
}

fn check_months(months: u32) -> Result<(), InsuranceError> {
    if ALLOWED_MONTHS.contains(&months) {
        Ok(())
    } else {
        Err(InsuranceError::InvalidMonths { months })
    }
}

/// A breakdown line for `monthly`, multiplied out over `months`.
fn line(code: &str, label: String, monthly: i64, months: u32) -> Result<QuoteLine, InsuranceError> {
    Ok(QuoteLine {
        code: code.to_owned(),
        label,
        monthly,
        amount: times_months(monthly, months)?,
    })
}

fn times_months(monthly: i64, months: u32) -> Result<i64, InsuranceError> {
    monthly
        .checked_mul(i64::from(months))
        .ok_or(InsuranceError::AmountOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_groups_round_trip() {
        for group in [
            SupportGroup::Poor,
            SupportGroup::NearPoor,
            SupportGroup::EthnicMinority,
            SupportGroup::Other,
        ] {
            assert_eq!(group.as_str().parse::<SupportGroup>(), Ok(group));
            assert_eq!(
                serde_json::to_value(group).unwrap(),
                serde_json::json!(group.as_str())
            );
        }
        assert_eq!(
            "rich".parse::<SupportGroup>().unwrap_err().code(),
            "invalid_support_group"
        );
    }

    #[test]
    fn months_are_restricted() {
        for ok in ALLOWED_MONTHS {
            assert!(check_months(ok).is_ok());
        }
        for bad in [0, 2, 4, 5, 7, 11, 24] {
            assert_eq!(check_months(bad).unwrap_err().code(), "invalid_months");
        }
    }

    #[test]
    fn scheme_serialises_as_the_api_spelling() {
        assert_eq!(
            serde_json::to_value(InsuranceScheme::BhxhVoluntary).unwrap(),
            serde_json::json!("bhxh_voluntary")
        );
        assert_eq!(
            serde_json::to_value(InsuranceScheme::BhytHousehold).unwrap(),
            serde_json::json!("bhyt_household")
        );
    }
}
