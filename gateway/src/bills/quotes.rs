//! Insurance quotes: a contribution priced for the citizen (the insured person, keyed
//! by CCCD) with the rates and base salary in force on the quote's date in Vietnam,
//! stored under a `quo_` id and payable until it expires.

use adapters::biller::vss_biller_code;
use adapters::billing::{
    bhxh_voluntary, bhyt_household, InsuranceError, InsuranceRates, InsuranceScheme, Quote,
    QuoteLine, SupportGroup,
};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::insurance_quotes;

/// What the citizen asked to have quoted, already checked for shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteRequest {
    Voluntary {
        monthly_income: i64,
        support_group: SupportGroup,
        months: u32,
    },
    Household {
        member_position: u32,
        months: u32,
    },
}

pub const fn scheme_str(scheme: InsuranceScheme) -> &'static str {
    match scheme {
        InsuranceScheme::BhxhVoluntary => "bhxh_voluntary",
        InsuranceScheme::BhytHousehold => "bhyt_household",
    }
}

pub fn parse_scheme(s: &str) -> Option<InsuranceScheme> {
    [
        InsuranceScheme::BhxhVoluntary,
        InsuranceScheme::BhytHousehold,
    ]
    .into_iter()
    .find(|k| scheme_str(*k) == s)
}

/// An input the calculators refused, as the 400 the API documents for it.
fn quote_error(e: InsuranceError) -> ApiError {
    let message = e.to_string();
    match e {
        InsuranceError::IncomeOutOfRange { min, max, .. } => ApiError::InvalidInput {
            code: "invalid_monthly_income",
            message,
            details: json!({ "param": "monthly_income", "min": min, "max": max }),
        },
        InsuranceError::InvalidMonths { .. } => ApiError::InvalidInput {
            code: "invalid_months",
            message,
            details: json!({ "param": "months", "allowed": [1, 3, 6, 12] }),
        },
        InsuranceError::InvalidMemberPosition { .. } => ApiError::InvalidInput {
            code: "invalid_member_position",
            message,
            details: json!({ "param": "member_position", "min": 1, "max": 5 }),
        },
        InsuranceError::InvalidSupportGroup { .. } => ApiError::InvalidInput {
            code: "invalid_support_group",
            message,
            details: json!({ "param": "support_group" }),
        },
        InsuranceError::AmountOutOfRange => ApiError::InvalidAmount,
        // Our rate tables have a gap: nothing the client can fix.
        InsuranceError::RateNotInForce { .. } => ApiError::Internal(message),
    }
}

impl QuoteRequest {
    pub const fn scheme(&self) -> InsuranceScheme {
        match self {
            Self::Voluntary { .. } => InsuranceScheme::BhxhVoluntary,
            Self::Household { .. } => InsuranceScheme::BhytHousehold,
        }
    }

    /// The contribution with the rules in force on `date`.
    pub fn price(&self, date: NaiveDate) -> Result<Quote, ApiError> {
        let rates = InsuranceRates::vietnam();
        match *self {
            Self::Voluntary {
                monthly_income,
                support_group,
                months,
            } => bhxh_voluntary(monthly_income, support_group, months, date, rates),
            Self::Household {
                member_position,
                months,
            } => bhyt_household(member_position, months, date, rates),
        }
        .map_err(quote_error)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = insurance_quotes)]
pub struct QuoteRow {
    pub id: String,
    pub identity_id: String,
    pub scheme: String,
    pub biller_code: String,
    pub monthly_income: Option<i64>,
    pub support_group: Option<String>,
    pub member_position: Option<i32>,
    pub months: i32,
    pub monthly: i64,
    pub amount: i64,
    pub base_salary: i64,
    pub breakdown: String,
    pub quote_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One line of a quote: deductions (state support, household discount) are negative.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteLineView {
    #[schema(example = "contribution")]
    pub code: String,
    pub label: String,
    /// Per month, dong.
    pub monthly: i64,
    /// `monthly × months`.
    pub amount: i64,
}

/// The insured person: the citizen who asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsuredView {
    #[schema(example = "001******345")]
    pub cccd: String,
    pub full_name: String,
}

/// An insurance quote as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    #[schema(example = "quo_...")]
    pub quote_id: String,
    /// `bhxh_voluntary` or `bhyt_household`.
    #[schema(example = "bhxh_voluntary")]
    pub scheme: String,
    /// `VSS_BHXH` or `VSS_BHYT`, the biller the contribution is paid to.
    pub biller_code: String,
    pub insured: InsuredView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_income: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_position: Option<i32>,
    pub months: i32,
    /// Contribution per month after support or discount.
    pub monthly: i64,
    /// What a payment of this quote pays: `monthly × months`.
    #[schema(example = 264000)]
    pub amount: i64,
    /// The base salary (reference level) in force on `quote_date`.
    pub base_salary: i64,
    pub breakdown: Vec<QuoteLineView>,
    /// The day (Vietnam time) whose rates priced the quote.
    pub quote_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// After this, paying the quote is refused with `quote_expired`.
    pub expires_at: DateTime<Utc>,
}

impl QuoteRow {
    pub fn new(
        identity_id: &str,
        request: &QuoteRequest,
        quote: &Quote,
        quote_date: NaiveDate,
        now: DateTime<Utc>,
        ttl_seconds: u64,
    ) -> Result<Self, ApiError> {
        let (monthly_income, support_group, member_position) = match *request {
            QuoteRequest::Voluntary {
                monthly_income,
                support_group,
                ..
            } => (
                Some(monthly_income),
                Some(support_group.as_str().to_string()),
                None,
            ),
            QuoteRequest::Household {
                member_position, ..
            } => (None, None, i32::try_from(member_position).ok()),
        };
        // Configuration bounds the lifetime to a day, so neither step can overflow.
        let ttl = i64::try_from(ttl_seconds)
            .ok()
            .and_then(chrono::Duration::try_seconds)
            .unwrap_or_else(chrono::Duration::zero);
        let expires_at = now.checked_add_signed(ttl).unwrap_or(now);
        Ok(Self {
            id: crate::db::new_id("quo_"),
            identity_id: identity_id.to_string(),
            scheme: scheme_str(quote.scheme).to_string(),
            biller_code: vss_biller_code(quote.scheme).to_string(),
            monthly_income,
            support_group,
            member_position,
            months: i32::try_from(quote.months).map_err(|_| ApiError::InvalidAmount)?,
            monthly: quote.monthly,
            amount: quote.amount,
            base_salary: quote.base_salary,
            breakdown: serde_json::to_string(&quote.breakdown)
                .map_err(|e| ApiError::Internal(format!("quote breakdown: {e}")))?,
            quote_date,
            created_at: now,
            expires_at,
        })
    }

    pub fn scheme(&self) -> Option<InsuranceScheme> {
        parse_scheme(&self.scheme)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    pub fn lines(&self) -> Vec<QuoteLineView> {
        serde_json::from_str::<Vec<QuoteLine>>(&self.breakdown)
            .unwrap_or_default()
            .into_iter()
            .map(|l| QuoteLineView {
                code: l.code,
                label: l.label,
                monthly: l.monthly,
                amount: l.amount,
            })
            .collect()
    }

    /// The view, for the insured person whose number and name are given.
    pub fn view(&self, cccd: &str, full_name: &str) -> QuoteView {
        QuoteView {
            quote_id: self.id.clone(),
            scheme: self.scheme.clone(),
            biller_code: self.biller_code.clone(),
            insured: InsuredView {
                cccd: adapters::identity::mask_cccd(cccd),
                full_name: full_name.to_string(),
            },
            monthly_income: self.monthly_income,
            support_group: self.support_group.clone(),
            member_position: self.member_position,
            months: self.months,
            monthly: self.monthly,
            amount: self.amount,
            base_salary: self.base_salary,
            breakdown: self.lines(),
            quote_date: self.quote_date,
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

pub fn insert(conn: &mut PgConnection, row: &QuoteRow) -> Result<(), ApiError> {
    diesel::insert_into(insurance_quotes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The citizen's own quote; anyone else's is not found.
pub fn find_own(
    conn: &mut PgConnection,
    identity_id: &str,
    id: &str,
) -> Result<Option<QuoteRow>, ApiError> {
    Ok(insurance_quotes::table
        .find(id)
        .filter(insurance_quotes::identity_id.eq(identity_id))
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<QuoteRow>, ApiError> {
    Ok(insurance_quotes::table
        .find(id)
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quotes_price_with_the_rules_of_their_day_and_expire() {
        let voluntary = QuoteRequest::Voluntary {
            monthly_income: 1_500_000,
            support_group: SupportGroup::Other,
            months: 1,
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let quote = voluntary.price(day).unwrap();
        assert_eq!(quote.amount, 264_000);
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let row = QuoteRow::new("idn_1", &voluntary, &quote, day, now, 1_800).unwrap();
        assert_eq!(row.biller_code, "VSS_BHXH");
        assert_eq!(row.expires_at - now, chrono::Duration::minutes(30));
        assert!(!row.is_expired(now + chrono::Duration::minutes(29)));
        assert!(row.is_expired(now + chrono::Duration::minutes(30)));
        assert_eq!(row.lines().len(), 2);

        let household = QuoteRequest::Household {
            member_position: 1,
            months: 1,
        };
        assert_eq!(household.price(day).unwrap().amount, 113_850);
        let before = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert_eq!(household.price(before).unwrap().amount, 105_300);
    }

    #[test]
    fn refused_inputs_have_their_own_codes() {
        let code = |r: QuoteRequest| r.price(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let low = code(QuoteRequest::Voluntary {
            monthly_income: 1_000_000,
            support_group: SupportGroup::Other,
            months: 1,
        });
        assert!(matches!(
            low,
            Err(ApiError::InvalidInput {
                code: "invalid_monthly_income",
                ..
            })
        ));
        let sixth = code(QuoteRequest::Household {
            member_position: 6,
            months: 1,
        });
        assert!(matches!(
            sixth,
            Err(ApiError::InvalidInput {
                code: "invalid_member_position",
                ..
            })
        ));
        assert_eq!(
            parse_scheme("bhyt_household"),
            Some(InsuranceScheme::BhytHousehold)
        );
        assert_eq!(parse_scheme("life"), None);
    }
}
