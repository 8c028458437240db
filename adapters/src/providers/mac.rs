//! Hex-encoded HMACs, the signature scheme all three providers use, with verification
//! in constant time so a forger cannot learn a valid signature byte by byte.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};

/// Lowercase hex of HMAC-SHA256(`key`, `message`).
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    sign::<Hmac<Sha256>>(key, message)
}

/// Lowercase hex of HMAC-SHA512(`key`, `message`).
pub fn hmac_sha512_hex(key: &[u8], message: &[u8]) -> String {
    sign::<Hmac<Sha512>>(key, message)
}

/// Whether `signature_hex` (either case) is HMAC-SHA256(`key`, `message`), compared in
/// constant time.
pub fn verify_hmac_sha256_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    verify::<Hmac<Sha256>>(key, message, signature_hex)
}

/// Whether `signature_hex` (either case) is HMAC-SHA512(`key`, `message`), compared in
/// constant time.
pub fn verify_hmac_sha512_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    verify::<Hmac<Sha512>>(key, message, signature_hex)
}

fn sign<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> String {
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length (long keys are hashed first), so this never
        // happens; an empty signature is then refused by every verifier.
        Err(_) => String::new(),
    }
}

fn verify<M: Mac + KeyInit>(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    // Decoding the hex is not constant time, but it only depends on the attacker's
    // own input; the comparison with the secret-derived tag is.
    let Ok(tag) = hex::decode(signature_hex) else {
        return false;
    };
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.verify_slice(&tag).is_ok()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2.
    const KEY: &[u8] = b"Jefe";
    const MESSAGE: &[u8] = b"what do ya want for nothing?";
    const SHA256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const SHA512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

    #[test]
    fn rfc_4231_case_2() {
        assert_eq!(hmac_sha256_hex(KEY, MESSAGE), SHA256);
        assert_eq!(hmac_sha512_hex(KEY, MESSAGE), SHA512);
    }

    #[test]
    fn verification_ignores_hex_case_and_refuses_anything_else() {
        assert!(verify_hmac_sha256_hex(KEY, MESSAGE, SHA256));
        assert!(verify_hmac_sha256_hex(KEY, MESSAGE, &SHA256.to_uppercase()));
        assert!(verify_hmac_sha512_hex(KEY, MESSAGE, SHA512));
        assert!(!verify_hmac_sha256_hex(
            KEY,
            b"what do ya want for nothing!",
            SHA256
        ));
        assert!(!verify_hmac_sha256_hex(b"jefe", MESSAGE, SHA256));
        assert!(!verify_hmac_sha256_hex(KEY, MESSAGE, &SHA256[..62]));
        assert!(!verify_hmac_sha256_hex(KEY, MESSAGE, ""));
        assert!(!verify_hmac_sha256_hex(KEY, MESSAGE, "zz"));
        assert!(!verify_hmac_sha512_hex(KEY, MESSAGE, SHA256));
    }
}
