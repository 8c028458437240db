//! The claims of a VNeID assertion, exactly as they travel in the JWT (api.md, "VNeID
//! assertions").

use crate::identity::mask_cccd;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The issuer every assertion must name.
pub const VNEID_ISSUER: &str = "vneid";

/// The audience every assertion must name: this gateway.
pub const GATEWAY_AUDIENCE: &str = "gateway";

/// How the citizen authenticated to VNeID for this assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// Password only.
    Password,
    /// A one-time code (SMS or app).
    Otp,
    /// A face or fingerprint match; the only method that completes a step-up.
    Biometric,
}

impl AuthMethod {
    /// The wire spelling: `"password"`, `"otp"` or `"biometric"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::Otp => "otp",
            AuthMethod::Biometric => "biometric",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The electronic identification level (Decree 69/2024 Art. 7): level 2 is equivalent
/// to presenting the physical card. Ordered, so `level >= VneidLevel::Two` reads as
/// "at least level 2".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VneidLevel {
    /// Self-registered in the app.
    One,
    /// Verified in person by the police.
    Two,
}

impl VneidLevel {
    /// The level from its claim value; `None` for anything but 1 or 2.
    pub const fn from_claim(level: u8) -> Option<VneidLevel> {
        match level {
            1 => Some(VneidLevel::One),
            2 => Some(VneidLevel::Two),
            _ => None,
        }
    }

    /// The claim value, 1 or 2.
    pub const fn as_u8(self) -> u8 {
        match self {
            VneidLevel::One => 1,
            VneidLevel::Two => 2,
        }
    }
}

/// The claims of a VNeID assertion JWT.
///
/// `sub` is the full personal identification number, so `Debug` masks it; the type is
/// also what [`super::issue_assertion`] signs, which is why `sub` stays a plain string
/// (tests and the simulator must be able to issue assertions for malformed numbers).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// Issuer: `"vneid"`.
    pub iss: String,
    /// Audience: `"gateway"`.
    pub aud: String,
    /// The 12-digit CCCD number.
    pub sub: String,
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Primary phone number.
    pub phone: String,
    /// Identification level, 1 or 2.
    pub level: u8,
    /// How the citizen authenticated.
    pub auth: AuthMethod,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Unique token id, for replay refusal.
    pub jti: String,
    /// A value the relying party chose (a payment id for a step-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The device the citizen authenticated on, when the app reports it: Decision
    /// 2345/QĐ-NHNN wants a biometric check for the first transaction on a new device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl fmt::Debug for AssertionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionClaims")
            .field("iss", &self.iss)
            .field("aud", &self.aud)
            .field("sub", &mask_cccd(&self.sub))
            .field("name", &self.name)
            .field("birth_date", &self.birth_date)
            .field("phone", &self.phone)
            .field("level", &self.level)
            .field("auth", &self.auth)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("jti", &self.jti)
            .field("nonce", &self.nonce)
            .field("device_id", &self.device_id)
            .finish()
    }
}
