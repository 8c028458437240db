//! Replay refusal helpers. Refusing a used `jti` is the gateway's job (Redis `SET NX EX`,
//! api.md: a `jti` already used "for any purpose" is `invalid_assertion`); these pure
//! functions keep the key layout and lifetime in one place.

use super::verify::CLOCK_SKEW_LEEWAY_SECONDS;

/// Prefix of every replay marker key.
pub const REPLAY_KEY_PREFIX: &str = "vneid:jti:";

/// The Redis key marking assertion `jti` as used, e.g. `vneid:jti:4f1c…`.
pub fn replay_key(jti: &str) -> String {
    format!("{REPLAY_KEY_PREFIX}{jti}")
}

/// Seconds the replay marker of an assertion expiring at `exp` must live from `now`:
/// until the assertion can no longer be accepted, which includes the clock-skew leeway
/// (a marker dropped at `exp` would let the token be replayed inside the leeway). At
/// least 1, because Redis refuses `EX 0`.
pub fn replay_ttl_seconds(exp: i64, now: i64) -> u64 {
    let remaining = exp
        .saturating_add(CLOCK_SKEW_LEEWAY_SECONDS)
        .saturating_sub(now)
        .max(1);
    u64::try_from(remaining).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_has_the_prefix() {
        assert_eq!(replay_key("abc-123"), "vneid:jti:abc-123");
    }

    #[test]
    fn ttl_covers_the_leeway_and_is_at_least_one() {
        assert_eq!(replay_ttl_seconds(1_000_300, 1_000_000), 305);
        assert_eq!(replay_ttl_seconds(1_000_000, 1_000_000), 5);
        assert_eq!(replay_ttl_seconds(1_000_000, 1_000_004), 1);
        assert_eq!(replay_ttl_seconds(1_000_000, 2_000_000), 1);
        assert_eq!(replay_ttl_seconds(i64::MAX, 0), i64::MAX as u64);
    }
}
