//! A provider secret (hash secret, access or secret key, key1/key2) that cannot end up
//! in a log by accident.

use std::fmt;

/// A secret from configuration. `Debug` prints `***`; the value is only reachable
/// through [`ProviderSecret::expose`], at the point where it keys an HMAC. Signatures
/// made with it are compared in constant time by [`crate::providers::mac`].
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSecret(String);

impl ProviderSecret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, to key a signature with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProviderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderSecret(***)")
    }
}

impl From<&str> for ProviderSecret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for ProviderSecret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}
