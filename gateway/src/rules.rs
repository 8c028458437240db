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

/// The configurable thresholds. `None` caps follow the law's effective-dated values
/// ([`general_cap_on`], [`essential_cap_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementRules {
    /// A single movement above this needs a biometric step-up.
    pub step_up_single: i64,
    /// A movement taking the day's total above this needs a step-up.
    pub step_up_daily: i64,
    /// Wallet outflows per calendar month (Vietnam time) outside the essential purposes.
    pub monthly_cap: Option<i64>,
    /// Essential payments per calendar month.
    pub essential_cap: Option<i64>,
}

impl Default for MovementRules {
    fn default() -> Self {
        Self {
            step_up_single: 10_000_000,
            step_up_daily: 20_000_000,
            monthly_cap: None,
            essential_cap: None,
        }
    }
}

/// The two monthly caps in force on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub general: i64,
    pub essential: i64,
}

impl MovementRules {
    /// The caps that apply on `date` (Vietnam time): configured ones win.
    pub fn caps_on(&self, date: NaiveDate) -> Caps {
        Caps {
            general: self.monthly_cap.unwrap_or_else(|| general_cap_on(date)),
            essential: self.essential_cap.unwrap_or_else(|| essential_cap_on(date)),
        }
    }
}

/// Circular 40/2024/TT-NHNN art. 26 clause 1 (in force 1 Oct 2024): a customer's
/// e-wallet payments and transfers at one provider, 100,000,000 dong a month.
pub fn general_cap_on(_date: NaiveDate) -> i64 {
    100_000_000
}

/// The clause 2(b) payments (public service portal, electricity, water, telecoms,
/// road-vehicle fees, tuition, hospital fees, insurance premiums, repayments to banks)
/// fall outside clause 1's cap, but art. 26 clause 3 caps them too, at no more than
/// clause 1's: 100,000,000 a month. Circular 41/2025/TT-NHNN (signed and in force
/// 5 Nov 2025; SBV press release, vietnamlawmagazine.vn "Central bank imposes tighter
/// e-wallet requirements") raises that cap to 300,000,000.
pub fn essential_cap_on(date: NaiveDate) -> i64 {
    const CIRCULAR_41_IN_FORCE: (i32, u32, u32) = (2025, 11, 5);
    let (y, m, d) = CIRCULAR_41_IN_FORCE;
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(from) if date >= from => 300_000_000,
        _ => 100_000_000,
    }
}

/// Which monthly cap a movement counts toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapClass {
    /// Transfers, withdrawals and payments to ordinary merchants.
    General,
    /// Bills, insurance, and merchants classed as essential.
    Essential,
    /// Money coming in (top-ups) counts toward neither.
    Uncapped,
}

impl CapClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Essential => "essential",
            Self::Uncapped => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::General, Self::Essential, Self::Uncapped]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// What the citizen already moved in the current windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Movements the citizen started today (Vietnam time).
    pub today_total: i64,
    /// Outflows under the general cap this month (Vietnam time).
    pub month_general: i64,
    /// Essential payments this month.
    pub month_essential: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Proceed,
    RequireStepUp,
    /// Over the cap of this class: what it allows and what was already used.
    CapExceeded {
        cap: CapClass,
        limit: i64,
        used: i64,
    },
}

fn over_cap(caps: Caps, usage: Usage, amount: i64, class: CapClass) -> Option<Decision> {
    let (limit, used) = match class {
        CapClass::General => (caps.general, usage.month_general),
        CapClass::Essential => (caps.essential, usage.month_essential),
        CapClass::Uncapped => return None,
    };
    (used.saturating_add(amount) > limit).then_some(Decision::CapExceeded {
        cap: class,
        limit,
        used,
    })
}

/// Decides a new movement. The cap is checked first: a step-up cannot lift it.
/// Exactly the single threshold, or a day total of exactly the daily one, needs no
/// step-up; exactly reaching a cap is allowed. The first movement from a device the
/// citizen never moved money from needs a step-up whatever its amount (Decision
/// 2345/QĐ-NHNN, in force 1 Jul 2024: biometric authentication for the first
/// transaction on a new device or after the app is reinstalled elsewhere).
pub fn decide(
    rules: &MovementRules,
    caps: Caps,
    usage: Usage,
    amount: i64,
    class: CapClass,
    new_device: bool,
) -> Decision {
    if let Some(over) = over_cap(caps, usage, amount, class) {
        return over;
    }
    if new_device
        || amount > rules.step_up_single
        || usage.today_total.saturating_add(amount) > rules.step_up_daily
    {
        return Decision::RequireStepUp;
    }
    Decision::Proceed
}

/// Decides a movement the citizen has just confirmed with a step-up: only a cap can
/// still refuse it (the month may have filled up meanwhile).
pub fn decide_confirmed(caps: Caps, usage: Usage, amount: i64, class: CapClass) -> Decision {
    over_cap(caps, usage, amount, class).unwrap_or(Decision::Proceed)
}

fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    VIETNAM
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The calendar date in Vietnam at `now`.
pub fn vietnam_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&VIETNAM).date_naive()
}

/// The first day of `date`'s month.
pub fn month_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The start of `now`'s day in Vietnam, as a UTC instant.
pub fn vietnam_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    local_midnight(now.with_timezone(&VIETNAM).date_naive())
}

/// The UTC instants `date` (a day in Vietnam) starts and ends at.
pub fn vietnam_day_bounds(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (local_midnight(date), local_midnight(next))
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

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const TODAY: Caps = Caps {
        general: 100_000_000,
        essential: 300_000_000,
    };

    #[test]
    fn step_up_thresholds_are_exclusive() {
        let r = MovementRules::default();
        let fresh = Usage::default();
        let general = CapClass::General;
        assert_eq!(
            decide(&r, TODAY, fresh, 10_000_000, general, false),
            Decision::Proceed
        );
        assert_eq!(
            decide(&r, TODAY, fresh, 10_000_001, general, false),
            Decision::RequireStepUp
        );
        let used = Usage {
            today_total: 15_000_000,
            ..Usage::default()
        };
        assert_eq!(
            decide(&r, TODAY, used, 5_000_000, general, false),
            Decision::Proceed
        );
        assert_eq!(
            decide(&r, TODAY, used, 5_000_001, general, false),
            Decision::RequireStepUp
        );
    }

    #[test]
    fn the_general_cap_allows_exactly_reaching_it_and_leaves_essentials_alone() {
        let r = MovementRules::default();
        let used = Usage {
            month_general: 95_000_000,
            ..Usage::default()
        };
        assert_eq!(
            decide(&r, TODAY, used, 5_000_000, CapClass::General, false),
            Decision::Proceed
        );
        assert_eq!(
            decide(&r, TODAY, used, 5_000_001, CapClass::General, false),
            Decision::CapExceeded {
                cap: CapClass::General,
                limit: 100_000_000,
                used: 95_000_000
            }
        );
        assert_eq!(
            decide(&r, TODAY, used, 5_000_001, CapClass::Essential, false),
            Decision::Proceed
        );
        assert_eq!(
            decide(&r, TODAY, used, 5_000_001, CapClass::Uncapped, false),
            Decision::Proceed
        );
        // A step-up cannot lift the cap, but it does settle the step-up itself.
        assert_eq!(
            decide_confirmed(TODAY, Usage::default(), 15_000_000, CapClass::General),
            Decision::Proceed
        );
        assert!(matches!(
            decide_confirmed(TODAY, used, 15_000_000, CapClass::General),
            Decision::CapExceeded { .. }
        ));
    }

    /// Worked example, Decision 2345: a 1,000 dong transfer, far below any threshold,
    /// needs a step-up when it is the first from a new device; a cap still refuses first.
    #[test]
    fn the_first_movement_from_a_new_device_needs_a_step_up() {
        let r = MovementRules::default();
        let fresh = Usage::default();
        assert_eq!(
            decide(&r, TODAY, fresh, 1_000, CapClass::General, true),
            Decision::RequireStepUp
        );
        assert_eq!(
            decide(&r, TODAY, fresh, 1_000, CapClass::General, false),
            Decision::Proceed
        );
        let full = Usage {
            month_general: 100_000_000,
            ..Usage::default()
        };
        assert!(matches!(
            decide(&r, TODAY, full, 1_000, CapClass::General, true),
            Decision::CapExceeded { .. }
        ));
    }

    /// Worked example, Circular 41/2025: a citizen who paid 290,000,000 of hospital
    /// fees and bills in November 2025 may pay a 10,000,000 tuition bill (exactly the
    /// cap) but not one more dong, whatever the general outflows.
    #[test]
    fn essential_payments_have_their_own_cap_of_300_million_from_5_november_2025() {
        let r = MovementRules::default();
        assert_eq!(r.caps_on(date(2025, 11, 4)).essential, 100_000_000);
        assert_eq!(r.caps_on(date(2025, 11, 5)).essential, 300_000_000);
        assert_eq!(r.caps_on(date(2027, 1, 1)).general, 100_000_000);
        let caps = r.caps_on(date(2025, 11, 20));
        let used = Usage {
            today_total: 0,
            month_general: 100_000_000,
            month_essential: 290_000_000,
        };
        assert_eq!(
            decide_confirmed(caps, used, 10_000_000, CapClass::Essential),
            Decision::Proceed
        );
        assert_eq!(
            decide_confirmed(caps, used, 10_000_001, CapClass::Essential),
            Decision::CapExceeded {
                cap: CapClass::Essential,
                limit: 300_000_000,
                used: 290_000_000
            }
        );
        // Before Circular 41 the same month would have stopped at 100,000,000.
        let before = r.caps_on(date(2025, 10, 20));
        assert!(matches!(
            decide_confirmed(before, used, 1, CapClass::Essential),
            Decision::CapExceeded {
                limit: 100_000_000,
                ..
            }
        ));
        // Configured caps win over the law's defaults.
        let strict = MovementRules {
            essential_cap: Some(5),
            ..r
        };
        assert_eq!(strict.caps_on(date(2026, 1, 1)).essential, 5);
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
