//! Assertions issued by the VNeID simulator, checked by verify_assertion.

mod common;

use adapters::vneid::{verify_assertion, AssertionError, AuthMethod, VneidLevel};
use common::{Harness, HOLDER, KEY};
use serde_json::json;

#[tokio::test]
async fn vneid_assertions_verify() {
    let h = Harness::start().await;
    let (status, body) = h
        .post(
            "/vneid/assertions",
            json!({"cccd": HOLDER, "name": "Nguyễn Văn An", "birth_date": "1999-05-20",
                   "phone": "0912345678", "level": 2, "auth": "biometric", "nonce": "pay_1"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["assertion"].as_str().expect("assertion");
    let now = chrono::Utc::now().timestamp();
    let verified = verify_assertion(token, KEY, now).expect("verifies");
    assert_eq!(verified.cccd.expose(), HOLDER);
    assert_eq!(verified.level, VneidLevel::Two);
    assert_eq!(verified.auth(), AuthMethod::Biometric);
    assert_eq!(verified.nonce(), Some("pay_1"));
    assert_eq!(verified.jti(), body["jti"].as_str().expect("jti"));
    assert!(
        (verified.exp() - verified.iat() - 300).abs() == 0 && (verified.iat() - now).abs() <= 5
    );
    assert!(verify_assertion(token, b"other key", now).is_err());
}

#[tokio::test]
async fn vneid_simulator_signs_what_it_is_asked() {
    let h = Harness::start().await;
    let (status, body) = h
        .post(
            "/vneid/assertions",
            json!({"cccd": "12345", "name": "X", "birth_date": "1999-05-20",
                   "phone": "0", "level": 1, "auth": "otp"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = body["assertion"].as_str().expect("assertion");
    let err = verify_assertion(token, KEY, chrono::Utc::now().timestamp()).map(|_| ());
    assert!(
        matches!(err, Err(AssertionError::InvalidCccd(_))),
        "{err:?}"
    );
    let (status, body) = h
        .post("/vneid/assertions", json!({"cccd": HOLDER, "auth": "face"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    h.running.stop().await.expect("stops");
}
