//! VNeID assertions: the identity provider's signed statement of who the citizen is
//! (api.md, "VNeID assertions"; domain/vietnam.md §1.5).
//!
//! An assertion is an HS256 JWT under the configured VNeID key with the claims of
//! [`AssertionClaims`]. [`verify_assertion`] is pure (the caller passes `now`) and
//! checks everything but replays; the gateway refuses a reused `jti` with
//! [`replay_key`] and [`replay_ttl_seconds`]. Nothing here logs, and no error carries
//! the token, the key or the full CCCD number.

mod claims;
mod replay;
mod verify;

#[cfg(test)]
mod tests;

pub use claims::{AssertionClaims, AuthMethod, VneidLevel, GATEWAY_AUDIENCE, VNEID_ISSUER};
pub use replay::{replay_key, replay_ttl_seconds, REPLAY_KEY_PREFIX};
pub use verify::{
    issue_assertion, verify_assertion, AssertionError, IssueError, VerifiedAssertion,
    CLOCK_SKEW_LEEWAY_SECONDS, INVALID_ASSERTION, MAX_JTI_LEN,
};
