//! The merchant request signature and the webhook signature, as pure functions: the
//! handlers supply the secret, the request parts and the clock; nonce replay is checked
//! by the caller (Redis) only after the signature holds, so forged requests cannot burn
//! a merchant's nonces.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};

/// How far a request's timestamp may be from the server clock, either way.
pub const WINDOW_SECONDS: i64 = 300;
const MAX_NONCE_LEN: usize = 128;

/// The parts of a request the signature covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The request target exactly as sent.
    pub path_with_query: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub body: &'a [u8],
    pub signature: &'a str,
}

/// Why a signature was refused; every one is a 401 `invalid_signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Timestamp is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("X-Timestamp is more than 300 seconds from the server clock")]
    OutsideWindow,
    #[error("X-Nonce must be 1 to 128 printable ASCII characters")]
    MalformedNonce,
    #[error("X-Signature does not match the request")]
    Mismatch,
}

/// `METHOD\npath_with_query\ntimestamp\nnonce\nhex(SHA-256(body))`.
pub fn string_to_sign(
    method: &str,
    path_with_query: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{method}\n{path_with_query}\n{timestamp}\n{nonce}\n{}",
        hex::encode(Sha256::digest(body))
    )
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac)
}

/// The lowercase hex signature a merchant sends (what its SDK computes).
pub fn sign(
    secret: &[u8],
    method: &str,
    path_with_query: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let message = string_to_sign(method, path_with_query, timestamp, nonce, body);
    hmac_sha256(secret, message.as_bytes())
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Checks a signed request against the merchant's signing secret at `now` (Unix
/// seconds); answers the request's timestamp.
pub fn verify(secret: &[u8], req: &SignedRequest<'_>, now: i64) -> Result<i64, SignatureError> {
    if req.timestamp.is_empty()
        || req.timestamp.len() > 12
        || !req.timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(SignatureError::MalformedTimestamp);
    }
    let timestamp: i64 = req
        .timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    if (now - timestamp).abs() > WINDOW_SECONDS {
        return Err(SignatureError::OutsideWindow);
    }
    if req.nonce.is_empty()
        || req.nonce.len() > MAX_NONCE_LEN
        || !req.nonce.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(SignatureError::MalformedNonce);
    }
    let Ok(tag) = hex::decode(req.signature) else {
        return Err(SignatureError::Mismatch);
    };
    let message = string_to_sign(
        req.method,
        req.path_with_query,
        req.timestamp,
        req.nonce,
        req.body,
    );
    let mac = hmac_sha256(secret, message.as_bytes()).ok_or(SignatureError::Mismatch)?;
    // `verify_slice` compares in constant time.
    mac.verify_slice(&tag)
        .map(|()| timestamp)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Webhook-Signature` header for a webhook body sent at `timestamp`:
/// `t=<timestamp>,v1=<hex HMAC-SHA512(secret, timestamp + "." + body)>`.
pub fn webhook_header(secret: &[u8], timestamp: i64, body: &str) -> String {
    let digest = <Hmac<Sha512> as KeyInit>::new_from_slice(secret)
        .map(|mut mac| {
            mac.update(format!("{timestamp}.{body}").as_bytes());
            hex::encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!("t={timestamp},v1={digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"amount":150000}"#;
    const PATH: &str = "/v1/merchant/payment-requests?x=1";
    // Computed independently (Python's hmac and hashlib) from the API's definition.
    const EXPECTED: &str = "33c866c6a1ed242a43770ebe4ebfec1aad8414f04e80b70b0e99bc8f77bf0e0c";

    fn request<'a>(timestamp: &'a str, nonce: &'a str, signature: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path_with_query: PATH,
            timestamp,
            nonce,
            body: BODY,
            signature,
        }
    }

    #[test]
    fn signs_as_the_api_defines() {
        assert_eq!(
            sign(b"sig_secret", "POST", PATH, "1700000000", "n-1", BODY),
            EXPECTED
        );
        assert_eq!(
            verify(
                b"sig_secret",
                &request("1700000000", "n-1", EXPECTED),
                1_700_000_100
            ),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn refuses_anything_changed_or_late() {
        let ok = |ts, nonce, sig, now| verify(b"sig_secret", &request(ts, nonce, sig), now);
        let upper = EXPECTED.to_uppercase();
        assert_eq!(
            ok("1700000000", "n-2", EXPECTED, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("1700000000", "n-1", &upper, 1_700_000_000),
            Ok(1_700_000_000),
            "hex case does not matter"
        );
        assert_eq!(
            ok("1700000000", "n-1", "zz", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("1700000000", "n-1", EXPECTED, 1_700_000_301),
            Err(SignatureError::OutsideWindow)
        );
        assert_eq!(
            ok("1700000000", "n-1", EXPECTED, 1_699_999_699),
            Err(SignatureError::OutsideWindow)
        );
        assert_eq!(
            ok("1700000000", "n-1", EXPECTED, 1_700_000_300),
            Ok(1_700_000_000),
            "exactly 300 s is still inside"
        );
        assert_eq!(
            ok("17e8", "n-1", EXPECTED, 1_700_000_000),
            Err(SignatureError::MalformedTimestamp)
        );
        assert_eq!(
            ok("1700000000", "", EXPECTED, 1_700_000_000),
            Err(SignatureError::MalformedNonce)
        );
        let other_body = SignedRequest {
            body: br#"{"amount":150001}"#,
            ..request("1700000000", "n-1", EXPECTED)
        };
        assert_eq!(
            verify(b"sig_secret", &other_body, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"other",
                &request("1700000000", "n-1", EXPECTED),
                1_700_000_000
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn webhook_signature_matches_an_independent_computation() {
        assert_eq!(
            webhook_header(b"whsec", 1_700_000_000, r#"{"id":"evt_1"}"#),
            "t=1700000000,v1=1ebdd210296a8c61cd77b55b23819d7daca29a783fc7c39a20e9da5b07fad143ca7a2885d7da6662099503c694d5de02f002ef93238f445da3071d515fd02136"
        );
    }
}
