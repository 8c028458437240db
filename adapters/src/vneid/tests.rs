use super::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

const KEY: &[u8] = b"test-vneid-key-0123456789abcdef";
/// 2026-03-31 in Vietnam.
const NOW: i64 = 1_774_900_000;

fn claims() -> AssertionClaims {
    AssertionClaims {
        iss: "vneid".into(),
        aud: "gateway".into(),
        sub: "001099012345".into(),
        name: "Nguyễn Văn An".into(),
        birth_date: "1999-05-20".into(),
        phone: "0912345678".into(),
        level: 2,
        auth: AuthMethod::Password,
        iat: NOW - 10,
        exp: NOW + 290,
        jti: "jti-0001".into(),
        nonce: None,
        device_id: None,
    }
}

fn sign(claims: &AssertionClaims) -> String {
    issue_assertion(claims, KEY).expect("signs")
}

fn verify_with(
    change: impl FnOnce(&mut AssertionClaims),
) -> Result<VerifiedAssertion, AssertionError> {
    let mut c = claims();
    change(&mut c);
    verify_assertion(&sign(&c), KEY, NOW)
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[test]
fn valid_token_verifies() {
    let verified = verify_assertion(&sign(&claims()), KEY, NOW).expect("valid");
    assert_eq!(verified.cccd.expose(), "001099012345");
    assert_eq!(verified.level, VneidLevel::Two);
    assert_eq!(verified.birth_date.to_string(), "1999-05-20");
    assert_eq!(verified.auth(), AuthMethod::Password);
    assert_eq!(verified.jti(), "jti-0001");
    assert_eq!(verified.exp(), NOW + 290);
    assert_eq!(verified.nonce(), None);
    assert_eq!(verified.replay_key(), "vneid:jti:jti-0001");
    assert_eq!(verified.replay_ttl_seconds(NOW), 295);
    assert_eq!(verified.claims, claims());
}

#[test]
fn nonce_round_trips() {
    let verified = verify_with(|c| c.nonce = Some("pay_123".into())).expect("valid");
    assert_eq!(verified.nonce(), Some("pay_123"));
}

#[test]
fn wrong_key_is_a_bad_signature() {
    let err = verify_assertion(&sign(&claims()), b"another-key", NOW).expect_err("wrong key");
    assert_eq!(err, AssertionError::BadSignature);
    assert_eq!(err.code(), "invalid_assertion");
}

#[test]
fn empty_key_trusts_nothing() {
    let token = issue_assertion(&claims(), b"").expect("signs");
    assert_eq!(
        verify_assertion(&token, b"", NOW).map(|_| ()),
        Err(AssertionError::NoKey)
    );
}

#[test]
fn tampered_payload_is_refused() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged.level = 2;
    forged.sub = "079099012345".into();
    let body = b64url(&serde_json::to_vec(&forged).expect("json"));
    let tampered = format!("{}.{}.{}", parts[0], body, parts[2]);
    let err = verify_assertion(&tampered, KEY, NOW).expect_err("tampered");
    assert_eq!(err, AssertionError::BadSignature);
}

#[test]
fn wrong_issuer_and_audience() {
    assert_eq!(
        verify_with(|c| c.iss = "evil".into()).map(|_| ()),
        Err(AssertionError::WrongIssuer)
    );
    assert_eq!(
        verify_with(|c| c.aud = "other".into()).map(|_| ()),
        Err(AssertionError::WrongAudience)
    );
}

#[test]
fn expiry_with_leeway() {
    let at = |now: i64| verify_assertion(&sign(&claims()), KEY, now).map(|_| ());
    let exp = NOW + 290;
    assert_eq!(at(exp + CLOCK_SKEW_LEEWAY_SECONDS - 1), Ok(()));
    assert_eq!(
        at(exp + CLOCK_SKEW_LEEWAY_SECONDS),
        Err(AssertionError::Expired)
    );
    assert_eq!(at(exp + 3600), Err(AssertionError::Expired));
    assert_eq!(
        at(exp + 3600).map_err(|e| e.code()),
        Err("invalid_assertion")
    );
}

#[test]
fn issued_in_the_future_or_inverted_lifetime() {
    assert_eq!(
        verify_with(|c| c.iat = NOW + 60).map(|_| ()),
        Err(AssertionError::InvalidLifetime)
    );
    assert!(verify_with(|c| c.iat = NOW + CLOCK_SKEW_LEEWAY_SECONDS).is_ok());
    assert_eq!(
        verify_with(|c| {
            c.iat = NOW + 3;
            c.exp = NOW + 2;
        })
        .map(|_| ()),
        Err(AssertionError::InvalidLifetime)
    );
}

#[test]
fn alg_none_is_refused() {
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64url(&serde_json::to_vec(&claims()).expect("json"));
    for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
        let err = verify_assertion(&token, KEY, NOW).expect_err("alg none");
        assert_eq!(err.code(), "invalid_assertion", "{token}");
    }
}

#[test]
fn other_hmac_algorithms_are_refused() {
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token =
            jsonwebtoken::encode(&Header::new(alg), &claims(), &EncodingKey::from_secret(KEY))
                .expect("signs");
        assert_eq!(
            verify_assertion(&token, KEY, NOW).map(|_| ()),
            Err(AssertionError::UnsupportedAlgorithm),
            "{alg:?}"
        );
    }
}

#[test]
fn garbage_is_malformed() {
    for token in ["", "abc", "a.b.c", "..."] {
        let err = verify_assertion(token, KEY, NOW).expect_err(token);
        assert_eq!(err.code(), "invalid_assertion", "{token:?}");
    }
}

#[test]
fn malformed_sub_is_invalid_cccd() {
    for sub in ["12345", "003099012345", "00109901234x", "001999012345"] {
        let err = verify_with(|c| c.sub = sub.into()).expect_err(sub);
        assert!(
            matches!(err, AssertionError::InvalidCccd(_)),
            "{sub}: {err:?}"
        );
        assert_eq!(err.code(), "invalid_cccd");
        assert!(!err.to_string().contains(sub), "{err}");
    }
}

#[test]
fn bad_signature_wins_over_bad_sub() {
    let mut c = claims();
    c.sub = "garbage".into();
    let token = issue_assertion(&c, b"not-the-key").expect("signs");
    assert_eq!(
        verify_assertion(&token, KEY, NOW).map(|_| ()),
        Err(AssertionError::BadSignature)
    );
}

#[test]
fn level_must_be_one_or_two() {
    assert_eq!(
        verify_with(|c| c.level = 1).map(|v| v.level),
        Ok(VneidLevel::One)
    );
    for level in [0u8, 3, 255] {
        assert_eq!(
            verify_with(|c| c.level = level).map(|_| ()),
            Err(AssertionError::InvalidLevel { level })
        );
    }
    assert!(VneidLevel::Two > VneidLevel::One);
}

#[test]
fn auth_values() {
    for (auth, text) in [
        (AuthMethod::Password, "password"),
        (AuthMethod::Otp, "otp"),
        (AuthMethod::Biometric, "biometric"),
    ] {
        assert_eq!(verify_with(|c| c.auth = auth).map(|v| v.auth()), Ok(auth));
        assert_eq!(
            serde_json::to_string(&auth).expect("json"),
            format!("\"{text}\"")
        );
        assert_eq!(auth.to_string(), text);
    }
    // An unknown method does not deserialize: the token is malformed.
    let mut value = serde_json::to_value(claims()).expect("json");
    value["auth"] = "face".into();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &value,
        &EncodingKey::from_secret(KEY),
    )
    .expect("signs");
    assert_eq!(
        verify_assertion(&token, KEY, NOW).map(|_| ()),
        Err(AssertionError::Malformed)
    );
}

#[test]
fn birth_date_is_parsed_and_cross_checked() {
    assert_eq!(
        verify_with(|c| c.birth_date = "1998-05-20".into()).map(|_| ()),
        Err(AssertionError::BirthDateMismatch)
    );
    for bad in ["1999-5-20", "20-05-1999", "1999-02-30", "", "1999/05/20"] {
        assert_eq!(
            verify_with(|c| c.birth_date = bad.into()).map(|_| ()),
            Err(AssertionError::InvalidBirthDate),
            "{bad}"
        );
    }
}

#[test]
fn jti_must_be_usable() {
    for jti in [
        String::new(),
        "has space".into(),
        "x".repeat(MAX_JTI_LEN + 1),
    ] {
        assert_eq!(
            verify_with(|c| c.jti = jti.clone()).map(|_| ()),
            Err(AssertionError::InvalidJti)
        );
    }
}

#[test]
fn debug_masks_the_number_and_errors_have_reasons() {
    let verified = verify_assertion(&sign(&claims()), KEY, NOW).expect("valid");
    let debug = format!("{verified:?}");
    assert!(!debug.contains("001099012345"), "{debug}");
    assert!(debug.contains("001******345"), "{debug}");
    assert_eq!(AssertionError::Expired.reason(), "expired");
}
