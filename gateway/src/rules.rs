//! The rules every money movement passes, as pure functions: amounts, the VNeID level,
//! step-up thresholds and the monthly cap, and the Vietnam-time windows they count in.

use adapters::providers::vietnam_time::VIETNAM;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde_json::Value;

/// The largest amount the API accepts (10^15 dong).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// An amount in dong: a JSON integer from 1 to 10^15. Anything else (a fraction, a
/// string, zero, a negative or larger number) is refused.
pub fn parse_amount(value: &Value) -> Option<i64> {
    let n = value.as_i64()?;
    // `as_i64` also accepts nothing but integers: 1.0 and 1e3 are floats in JSON terms.
    (1..=MAX_AMOUNT).contains(&n).then_some(n)
}

/// An `Idempotency-Key`: 1 to 255 printable ASCII characters.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The configurable thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementRules {
    /// A single movement above this needs a biometric step-up.
    pub step_up_single: i64,
    /// A movement taking the day's total above this needs a step-up.
    pub step_up_daily: i64,
    /// Wallet outflows per calendar month (Vietnam time), exempt purposes aside.
    pub monthly_cap: i64,
}

impl Default for MovementRules {
    fn default() -> Self {
        Self {
            step_up_single: 10_000_000,
            step_up_daily: 20_000_000,
            monthly_cap: 100_000_000,
        }
    }
}

/// What the citizen already moved in the current windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Movements the citizen started today (Vietnam time).
    pub today_total: i64,
    /// Capped wallet outflows this month (Vietnam time).
    pub month_capped: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Proceed,
    RequireStepUp,
    MonthlyLimitExceeded,
}

/// Decides a new movement. The cap is checked first: a step-up cannot lift it.
/// Exactly the single threshold, or a day total of exactly the daily one, needs no
/// step-up; exactly reaching the cap is allowed.
pub fn decide(rules: &MovementRules, usage: Usage, amount: i64, capped: bool) -> Decision {
    if capped && usage.month_capped.saturating_add(amount) > rules.monthly_cap {
        return Decision::MonthlyLimitExceeded;
    }
    if amount > rules.step_up_single
        || usage.today_total.saturating_add(amount) > rules.step_up_daily
    {
        return Decision::RequireStepUp;
    }
    Decision::Proceed
}

/// Decides a movement the citizen has just confirmed with a step-up: only the cap can
/// still refuse it (the month may have filled up meanwhile).
pub fn decide_confirmed(
    rules: &MovementRules,
    usage: Usage,
    amount: i64,
    capped: bool,
) -> Decision {
    match decide(rules, usage, amount, capped) {
        Decision::MonthlyLimitExceeded => Decision::MonthlyLimitExceeded,
        Decision::Proceed | Decision::RequireStepUp => Decision::Proceed,
    }
}

fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    VIETNAM
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The start of `now`'s day in Vietnam, as a UTC instant.
pub fn vietnam_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    local_midnight(now.with_timezone(&VIETNAM).date_naive())
}

/// The start of `now`'s calendar month in Vietnam, as a UTC instant.
pub fn vietnam_month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&VIETNAM).date_naive();
    local_midnight(local.with_day(1).unwrap_or(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_positive_whole_dong_up_to_ten_to_the_fifteen() {
        assert_eq!(parse_amount(&json!(150000)), Some(150_000));
        assert_eq!(
            parse_amount(&json!(1_000_000_000_000_000i64)),
            Some(MAX_AMOUNT)
        );
        for bad in [
            json!(0),
            json!(-5),
            json!(1.5),
            json!(1.0),
            json!("100"),
            json!(null),
            json!(1_000_000_000_000_001i64),
            json!(u64::MAX),
            json!([1]),
        ] {
            assert_eq!(parse_amount(&bad), None, "{bad}");
        }
        let float: Value = serde_json::from_str("1e3").unwrap();
        assert_eq!(parse_amount(&float), None);
    }

    #[test]
    fn idempotency_keys_are_printable_ascii_up_to_255() {
        assert!(valid_idempotency_key("order-42 retry"));
        assert!(valid_idempotency_key(&"k".repeat(255)));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key(&"k".repeat(256)));
        assert!(!valid_idempotency_key("tab\there"));
        assert!(!valid_idempotency_key("khóa"));
    }

    #[test]
    fn step_up_thresholds_are_exclusive() {
        let r = MovementRules::default();
        let fresh = Usage::default();
        assert_eq!(decide(&r, fresh, 10_000_000, true), Decision::Proceed);
        assert_eq!(decide(&r, fresh, 10_000_001, true), Decision::RequireStepUp);
        let used = Usage {
            today_total: 15_000_000,
            month_capped: 0,
        };
        assert_eq!(decide(&r, used, 5_000_000, true), Decision::Proceed);
        assert_eq!(decide(&r, used, 5_000_001, true), Decision::RequireStepUp);
    }

    #[test]
    fn the_monthly_cap_allows_exactly_reaching_it_and_exempts_bills() {
        let r = MovementRules::default();
        let used = Usage {
            today_total: 0,
            month_capped: 95_000_000,
        };
        assert_eq!(decide(&r, used, 5_000_000, true), Decision::Proceed);
        assert_eq!(
            decide(&r, used, 5_000_001, true),
            Decision::MonthlyLimitExceeded
        );
        assert_eq!(decide(&r, used, 5_000_001, false), Decision::Proceed);
        // A step-up cannot lift the cap, but it does settle the step-up itself.
        let big = Usage {
            today_total: 0,
            month_capped: 0,
        };
        assert_eq!(
            decide_confirmed(&r, big, 15_000_000, true),
            Decision::Proceed
        );
        assert_eq!(
            decide_confirmed(&r, used, 15_000_000, true),
            Decision::MonthlyLimitExceeded
        );
    }

    #[test]
    fn days_and_months_turn_at_vietnam_midnight() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 23:30 UTC on 31 Jan is 06:30 on 1 Feb in Hà Nội.
        assert_eq!(
            vietnam_day_start(t("2026-01-31T23:30:00Z")),
            t("2026-01-31T17:00:00Z")
        );
        assert_eq!(
            vietnam_month_start(t("2026-01-31T23:30:00Z")),
            t("2026-01-31T17:00:00Z")
        );
        assert_eq!(
            vietnam_day_start(t("2026-01-31T16:59:59Z")),
            t("2026-01-30T17:00:00Z")
        );
        assert_eq!(
            vietnam_month_start(t("2026-01-15T00:00:00Z")),
            t("2025-12-31T17:00:00Z")
        );
    }
}
