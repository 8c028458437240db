//! Vietnam local time (UTC+7, no daylight saving), in which VNPay timestamps and the
//! ZaloPay `app_trans_id` date prefix are written.

use chrono::{DateTime, FixedOffset, Utc};

/// Vietnam's offset from UTC in seconds.
pub const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

/// UTC+7 as a chrono offset.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECONDS) {
    Some(offset) => offset,
    // Evaluated at compile time: an out-of-range offset would fail the build, not a request.
    None => unreachable!(),
};

/// `instant` on the Vietnamese wall clock.
pub fn to_vietnam(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.with_timezone(&VIETNAM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn is_seven_hours_ahead() {
        let utc = Utc.with_ymd_and_hms(2024, 12, 31, 17, 30, 0).unwrap();
        assert_eq!(to_vietnam(utc).to_rfc3339(), "2025-01-01T00:30:00+07:00");
    }
}
