//! Verifying (and, for the simulator and tests, issuing) VNeID assertion JWTs.

use super::claims::{AssertionClaims, AuthMethod, VneidLevel, GATEWAY_AUDIENCE, VNEID_ISSUER};
use super::replay::{replay_key, replay_ttl_seconds};
use crate::identity::{Cccd, CccdError, VIETNAM_UTC_OFFSET_SECONDS};
use chrono::{DateTime, NaiveDate};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::collections::HashSet;

/// Clock skew tolerated between VNeID and the gateway, in seconds: an assertion is
/// accepted until `exp + 5` and may carry an `iat` up to 5 s in the future. Small,
/// because assertions live only minutes and a replay window must cover the leeway too.
pub const CLOCK_SKEW_LEEWAY_SECONDS: i64 = 5;

/// The most characters a `jti` may have; it becomes part of a Redis key.
pub const MAX_JTI_LEN: usize = 128;

/// The API error code for every failure except a malformed `sub`.
pub const INVALID_ASSERTION: &str = "invalid_assertion";

/// Why an assertion was refused. No variant carries the token, the key or the full
/// CCCD number, so errors can be logged as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// The configured VNeID key is empty: nothing could be trusted.
    #[error("no VNeID key is configured")]
    NoKey,
    /// Not a JWT, or its header or claims are not what VNeID sends.
    #[error("the assertion is not a well-formed VNeID JWT")]
    Malformed,
    /// Signed with anything but HS256 (including `none`).
    #[error("the assertion is not signed with HS256")]
    UnsupportedAlgorithm,
    /// The signature does not verify under the configured key.
    #[error("the assertion's signature does not verify")]
    BadSignature,
    /// `iss` is not `"vneid"`.
    #[error("the assertion was not issued by VNeID")]
    WrongIssuer,
    /// `aud` is not `"gateway"`.
    #[error("the assertion is not meant for this gateway")]
    WrongAudience,
    /// `exp` has passed.
    #[error("the assertion has expired")]
    Expired,
    /// `iat` is in the future, or `exp` is not after `iat`.
    #[error("the assertion's issue and expiry times are inconsistent")]
    InvalidLifetime,
    /// `level` is neither 1 nor 2.
    #[error("{level} is not a VNeID level")]
    InvalidLevel {
        /// The claimed level.
        level: u8,
    },
    /// `jti` is empty, too long, or not printable ASCII.
    #[error("the assertion's jti is not usable")]
    InvalidJti,
    /// `birth_date` is not a `YYYY-MM-DD` date in the past.
    #[error("the assertion's birth date is not a valid date")]
    InvalidBirthDate,
    /// `birth_date` is in another year than the CCCD number encodes.
    #[error("the assertion's birth date does not match the CCCD number")]
    BirthDateMismatch,
    /// `sub` is not a structurally valid CCCD number (the API's 400 `invalid_cccd`).
    #[error("the assertion's subject is not a valid CCCD number: {0}")]
    InvalidCccd(#[source] CccdError),
}

impl AssertionError {
    /// The API error code: `"invalid_cccd"` for [`AssertionError::InvalidCccd`] (400),
    /// `"invalid_assertion"` for everything else (401).
    pub const fn code(&self) -> &'static str {
        match self {
            AssertionError::InvalidCccd(err) => err.code(),
            _ => INVALID_ASSERTION,
        }
    }

    /// A stable snake_case reason, for logs, metrics and error `details`.
    pub const fn reason(&self) -> &'static str {
        match self {
            AssertionError::NoKey => "no_key",
            AssertionError::Malformed => "malformed",
            AssertionError::UnsupportedAlgorithm => "unsupported_algorithm",
            AssertionError::BadSignature => "bad_signature",
            AssertionError::WrongIssuer => "wrong_issuer",
            AssertionError::WrongAudience => "wrong_audience",
            AssertionError::Expired => "expired",
            AssertionError::InvalidLifetime => "invalid_lifetime",
            AssertionError::InvalidLevel { .. } => "invalid_level",
            AssertionError::InvalidJti => "invalid_jti",
            AssertionError::InvalidBirthDate => "invalid_birth_date",
            AssertionError::BirthDateMismatch => "birth_date_mismatch",
            AssertionError::InvalidCccd(err) => err.reason(),
        }
    }
}

/// Signing an assertion failed (only a serialization or crypto-backend failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the assertion could not be signed")]
pub struct IssueError;

/// An assertion whose signature, issuer, audience, lifetime and claims all checked out.
///
/// Replays are not refused here: the caller must claim [`VerifiedAssertion::replay_key`]
/// (Redis `SET NX EX`) for [`VerifiedAssertion::replay_ttl_seconds`] before trusting it.
#[derive(Debug, Clone)]
pub struct VerifiedAssertion {
    /// The citizen's number, from `sub`.
    pub cccd: Cccd,
    /// `birth_date`, parsed.
    pub birth_date: NaiveDate,
    /// `level`, parsed.
    pub level: VneidLevel,
    /// Every claim as signed.
    pub claims: AssertionClaims,
}

impl VerifiedAssertion {
    /// The token id.
    pub fn jti(&self) -> &str {
        &self.claims.jti
    }

    /// The expiry, Unix seconds.
    pub const fn exp(&self) -> i64 {
        self.claims.exp
    }

    /// The issue time, Unix seconds.
    pub const fn iat(&self) -> i64 {
        self.claims.iat
    }

    /// How the citizen authenticated.
    pub const fn auth(&self) -> AuthMethod {
        self.claims.auth
    }

    /// The relying party's nonce, if any.
    pub fn nonce(&self) -> Option<&str> {
        self.claims.nonce.as_deref()
    }

    /// The Redis key that marks this assertion as used.
    pub fn replay_key(&self) -> String {
        replay_key(&self.claims.jti)
    }

    /// How long, from `now`, the replay marker must live: as long as the assertion
    /// could still be accepted.
    pub fn replay_ttl_seconds(&self, now: i64) -> u64 {
        replay_ttl_seconds(self.claims.exp, now)
    }
}

/// Verifies a VNeID assertion at Unix time `now`. Pure: no clock, no I/O.
///
/// Checks, in order: a non-empty key; an HS256 JWT (any other `alg`, `none` included, is
/// refused) whose signature verifies under `key`; `iss` = `"vneid"`; `aud` =
/// `"gateway"`; not expired (`now < exp + 5 s`), `iat` not in the future and before
/// `exp`; `level` 1 or 2; a usable `jti`; `sub` a structurally valid CCCD number as of
/// `now`'s date in Vietnam ([`AssertionError::InvalidCccd`]); `birth_date` a real past
/// date in the birth year the number encodes.
pub fn verify_assertion(
    token: &str,
    key: &[u8],
    now: i64,
) -> Result<VerifiedAssertion, AssertionError> {
    if key.is_empty() {
        return Err(AssertionError::NoKey);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // Time, issuer and audience are checked below against the caller's `now`, so the
    // library's own wall-clock checks are off; the claims must still be present.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = ["exp", "iss", "aud", "sub"]
        .into_iter()
        .map(String::from)
        .collect::<HashSet<_>>();
    let claims =
        jsonwebtoken::decode::<AssertionClaims>(token, &DecodingKey::from_secret(key), &validation)
            .map_err(|err| map_jwt_error(err.kind()))?
            .claims;

    if claims.iss != VNEID_ISSUER {
        return Err(AssertionError::WrongIssuer);
    }
    if claims.aud != GATEWAY_AUDIENCE {
        return Err(AssertionError::WrongAudience);
    }
    if now >= claims.exp.saturating_add(CLOCK_SKEW_LEEWAY_SECONDS) {
        return Err(AssertionError::Expired);
    }
    if claims.iat > now.saturating_add(CLOCK_SKEW_LEEWAY_SECONDS) || claims.exp <= claims.iat {
        return Err(AssertionError::InvalidLifetime);
    }
    let level = VneidLevel::from_claim(claims.level).ok_or(AssertionError::InvalidLevel {
        level: claims.level,
    })?;
    let jti_ok = !claims.jti.is_empty()
        && claims.jti.len() <= MAX_JTI_LEN
        && claims.jti.bytes().all(|b| b.is_ascii_graphic());
    if !jti_ok {
        return Err(AssertionError::InvalidJti);
    }
    let today = vietnam_date(now).ok_or(AssertionError::Malformed)?;
    let cccd = Cccd::parse_at(&claims.sub, today).map_err(AssertionError::InvalidCccd)?;
    let birth_date = parse_birth_date(&claims.birth_date)
        .filter(|date| *date <= today)
        .ok_or(AssertionError::InvalidBirthDate)?;
    if chrono::Datelike::year(&birth_date) != cccd.birth_year() {
        return Err(AssertionError::BirthDateMismatch);
    }
    Ok(VerifiedAssertion {
        cccd,
        birth_date,
        level,
        claims,
    })
}

/// Signs `claims` as an HS256 JWT under `key`, the way VNeID does. For the simulator
/// and tests; the gateway never issues assertions.
pub fn issue_assertion(claims: &AssertionClaims, key: &[u8]) -> Result<String, IssueError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .map_err(|_| IssueError)
}

fn map_jwt_error(kind: &ErrorKind) -> AssertionError {
    match kind {
        ErrorKind::InvalidSignature => AssertionError::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => AssertionError::UnsupportedAlgorithm,
        _ => AssertionError::Malformed,
    }
}

/// The calendar date in Vietnam (UTC+7) at Unix time `now`.
fn vietnam_date(now: i64) -> Option<NaiveDate> {
    let local = now.checked_add(VIETNAM_UTC_OFFSET_SECONDS)?;
    DateTime::from_timestamp(local, 0).map(|dt| dt.date_naive())
}

/// Strictly `YYYY-MM-DD`: chrono alone would also take unpadded months and days.
fn parse_birth_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}
