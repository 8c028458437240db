//! Public ids: a type prefix and the ledger's numeric id in lowercase Crockford
//! base32, at most 24 characters in all (`acc_` + up to 20 digits = ids below 2^100).

use crate::error::ApiError;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const MAX_DIGITS: usize = 20;

/// Encodes `value` with `prefix` (e.g. `acc_`).
pub fn encode(prefix: &str, mut value: u128) -> String {
    let mut digits = Vec::with_capacity(26);
    loop {
        digits.push(ALPHABET[(value % 32) as usize]);
        value /= 32;
        if value == 0 {
            break;
        }
    }
    digits.reverse();
    let mut out = String::with_capacity(prefix.len() + digits.len());
    out.push_str(prefix);
    out.extend(digits.iter().map(|&b| char::from(b)));
    out
}

/// Decodes an id of the given kind; anything malformed is a 400 naming the kind.
pub fn decode(kind: &'static str, prefix: &str, id: &str) -> Result<u128, ApiError> {
    let invalid = || ApiError::InvalidId {
        kind,
        id: id.chars().take(40).collect(),
    };
    let digits = id.strip_prefix(prefix).ok_or_else(invalid)?;
    if digits.is_empty() || digits.len() > MAX_DIGITS {
        return Err(invalid());
    }
    let mut value: u128 = 0;
    for c in digits.bytes() {
        let d = ALPHABET.iter().position(|&a| a == c).ok_or_else(invalid)?;
        value = value * 32 + d as u128;
    }
    // One canonical spelling per id: no leading zeros.
    if encode(prefix, value) != id {
        return Err(invalid());
    }
    Ok(value)
}

/// An id derived from `parts` (the scope and idempotency key that create the thing):
/// the prefix and 16 base32 digits (80 bits of SHA-256). Every retry of a request
/// derives the same id, so it finds what the first attempt made instead of making it
/// again.
pub fn derive(prefix: &str, parts: &[&str]) -> String {
    encode(prefix, derive_value(prefix, parts))
}

/// The number [`derive`] encodes: 80 bits, bit 79 set.
pub fn derive_value(prefix: &str, parts: &[&str]) -> u128 {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(prefix.as_bytes());
    for part in parts {
        // Length-prefixed, so no two lists of parts hash alike.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes[6..].copy_from_slice(&digest[..10]);
    // Bit 79 set: always 16 digits.
    u128::from_be_bytes(bytes) | 1 << 79
}

/// An id as the API defines them (the prefix and at most 24 letters and digits in
/// all): `Ok(None)` when well formed but not one this gateway could have issued
/// (that is a 404 once the caller is known, not a 400).
pub fn lookup(kind: &'static str, prefix: &str, id: &str) -> Result<Option<u128>, ApiError> {
    let well_formed = id.len() <= 24
        && id.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if !well_formed {
        return Err(ApiError::InvalidId {
            kind,
            id: id.chars().take(40).collect(),
        });
    }
    Ok(decode(kind, prefix, id).ok())
}

pub const ACCOUNT: &str = "acc_";
pub const TRANSFER: &str = "trf_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_fit_in_24_characters() {
        for v in [1u128, 31, 32, u128::from(u64::MAX), (1u128 << 100) - 1] {
            let id = encode(ACCOUNT, v);
            assert!(id.len() <= 24, "{id}");
            assert_eq!(decode("account", ACCOUNT, &id).unwrap(), v);
        }
    }

    #[test]
    fn derived_ids_are_stable_distinct_and_short() {
        let a = derive("pay_", &["citizen:idn_1", "key-1"]);
        assert_eq!(a, derive("pay_", &["citizen:idn_1", "key-1"]));
        assert_ne!(a, derive("pay_", &["citizen:idn_1", "key-2"]));
        assert_ne!(a, derive("ref_", &["citizen:idn_1", "key-1"]));
        assert_ne!(derive("pay_", &["ab", "c"]), derive("pay_", &["a", "bc"]));
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("pay_"));
    }

    #[test]
    fn well_formed_ids_we_never_issued_are_unknown_not_malformed() {
        assert_eq!(
            lookup("account", ACCOUNT, "acc_doesnotexist0000").unwrap(),
            None
        );
        assert_eq!(lookup("account", ACCOUNT, "acc_1f").unwrap(), Some(47));
        for bad in ["acc_", "pay_1", "acc_a-b", "acc_0123456789abcdefghijk"] {
            assert!(lookup("account", ACCOUNT, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "acc_",
            "pay_1",
            "acc_00001",
            "acc_ABC",
            "acc_!",
            "acc_zzzzzzzzzzzzzzzzzzzzz",
            "acc_il",
        ] {
            assert!(decode("account", ACCOUNT, bad).is_err(), "{bad}");
        }
    }
}
