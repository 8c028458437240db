//! A merchant's three credentials, typed so that none can reach the database in plain
//! text by mistake: the API key is stored only as a [`HashedApiKey`] (it is only ever
//! compared), the signing and webhook secrets only as a [`SealedSecret`] (the gateway
//! needs them back to check and make signatures). The plaintext types have no
//! `Display`, a redacted `Debug`, and no conversion into what the store takes.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::Aes256Gcm;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Secret;

/// Every API key starts so, which tells it from citizens' and the operator's tokens.
pub const API_KEY_PREFIX: &str = "mk_";
const SEAL_VERSION: &str = "v1";
const NONCE_LEN: usize = 12;

fn random_hex(bytes: usize) -> String {
    let mut out = vec![0u8; bytes];
    out.iter_mut().for_each(|b| *b = rand::random());
    hex::encode(out)
}

/// An API key as the merchant holds it: shown once at onboarding, then only hashed.
pub struct PlaintextApiKey(String);

impl PlaintextApiKey {
    pub fn generate() -> Self {
        Self(format!("{API_KEY_PREFIX}{}", random_hex(32)))
    }

    /// A bearer token that has the shape of an API key.
    pub fn recognise(token: &str) -> Option<Self> {
        token
            .strip_prefix(API_KEY_PREFIX)
            .filter(|rest| !rest.is_empty() && rest.len() <= 128)
            .map(|_| Self(token.to_string()))
    }

    pub fn hash(&self) -> HashedApiKey {
        HashedApiKey(hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    /// The key itself, for the one response that shows it.
    pub fn reveal_once(self) -> String {
        self.0
    }
}

impl fmt::Debug for PlaintextApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlaintextApiKey(***)")
    }
}

/// The SHA-256 (hex) of an API key: what is stored and looked up.
#[derive(Clone, PartialEq, Eq)]
pub struct HashedApiKey(String);

impl HashedApiKey {
    pub fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant time, so a near-miss cannot be told from a far one by timing.
    pub fn matches(&self, key: &PlaintextApiKey) -> bool {
        let candidate = key.hash();
        let (a, b) = (self.0.as_bytes(), candidate.0.as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

impl fmt::Debug for HashedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashedApiKey(..)")
    }
}

/// A signing or webhook secret in the clear: in memory only, never stored or logged.
pub struct PlaintextSecret(String);

impl PlaintextSecret {
    pub fn generate(prefix: &str) -> Self {
        Self(format!("{prefix}{}", random_hex(32)))
    }

    /// The bytes signatures are keyed with (the secret's UTF-8, as the API fixes).
    pub fn key_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The secret itself, for the one response that shows it.
    pub fn reveal_once(self) -> String {
        self.0
    }
}

impl fmt::Debug for PlaintextSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlaintextSecret(***)")
    }
}

/// A secret encrypted with AES-256-GCM under the configured key: `v1:<nonce><ct>` hex.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(String);

impl SealedSecret {
    pub fn from_stored(sealed: String) -> Self {
        Self(sealed)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the secret could not be sealed")]
    Seal,
    #[error("the sealed secret is malformed or was sealed under another key")]
    Open,
}

/// Seals and opens secrets under a key derived from `MERCHANT_SECRETS_KEY`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(master: &Secret) -> Result<Self, SealError> {
        // Hashing fixes the key length and separates this use from any other use of
        // the same configured value.
        let mut hasher = Sha256::new();
        hasher.update(b"merchant-secrets-v1:");
        hasher.update(master.expose().as_bytes());
        let key = hasher.finalize();
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::Seal)?;
        Ok(Self { cipher })
    }

    pub fn seal(&self, secret: &PlaintextSecret) -> Result<SealedSecret, SealError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = aes_gcm::Nonce::from(nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, secret.0.as_bytes())
            .map_err(|_| SealError::Seal)?;
        let mut raw = nonce_bytes.to_vec();
        raw.extend(ciphertext);
        Ok(SealedSecret(format!("{SEAL_VERSION}:{}", hex::encode(raw))))
    }

    pub fn open(&self, sealed: &SealedSecret) -> Result<PlaintextSecret, SealError> {
        let raw = sealed
            .0
            .strip_prefix(SEAL_VERSION)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|h| hex::decode(h).ok())
            .ok_or(SealError::Open)?;
        if raw.len() <= NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce_bytes, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| SealError::Open)?;
        let plain = self
            .cipher
            .decrypt(&aes_gcm::Nonce::from(nonce_array), ciphertext)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain)
            .map(PlaintextSecret)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let secret = PlaintextSecret::generate("whsec_");
        let expected = secret.key_bytes().to_vec();
        let a = SecretBox::new(&Secret::new("key-a")).unwrap();
        let b = SecretBox::new(&Secret::new("key-b")).unwrap();
        let sealed = a.seal(&secret).unwrap();
        assert!(!sealed
            .as_str()
            .contains(std::str::from_utf8(&expected).unwrap()));
        assert_eq!(a.open(&sealed).unwrap().key_bytes(), expected.as_slice());
        assert_eq!(b.open(&sealed).unwrap_err(), SealError::Open);
        let tampered = SealedSecret::from_stored(format!("{}00", sealed.as_str()));
        assert_eq!(a.open(&tampered).unwrap_err(), SealError::Open);
        // A fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(a.seal(&secret).unwrap(), sealed);
    }

    #[test]
    fn api_keys_hash_and_compare_and_never_print() {
        let key = PlaintextApiKey::generate();
        let hashed = key.hash();
        assert_eq!(hashed.as_str().len(), 64);
        assert!(hashed.matches(&key));
        assert!(!hashed.matches(&PlaintextApiKey::generate()));
        assert_eq!(format!("{key:?}"), "PlaintextApiKey(***)");
        assert!(PlaintextApiKey::recognise("cit_abc").is_none());
        assert!(PlaintextApiKey::recognise("mk_").is_none());
        let text = key.reveal_once();
        assert!(PlaintextApiKey::recognise(&text).unwrap().hash() == hashed);
    }
}
