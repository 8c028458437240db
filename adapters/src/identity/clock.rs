//! The calendar date in Vietnam, which is what "born in the future" is measured against.

use chrono::{NaiveDate, TimeDelta, Utc};

/// Vietnam's offset from UTC (UTC+7, no daylight saving time).
pub const VIETNAM_UTC_OFFSET_SECONDS: i64 = 7 * 3600;

/// Today's date in Vietnam (UTC+7).
///
/// A citizen born just after midnight on 1 January local time must be accepted even
/// though it is still 31 December in UTC, so the date is taken in local time.
pub fn vietnam_today() -> NaiveDate {
    (Utc::now().naive_utc() + TimeDelta::seconds(VIETNAM_UTC_OFFSET_SECONDS)).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnam_today_is_utc_date_or_the_day_after() {
        let utc = Utc::now().date_naive();
        let local = vietnam_today();
        assert!(
            local == utc || Some(local) == utc.succ_opt(),
            "{local} vs {utc}"
        );
    }
}
