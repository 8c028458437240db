//! The committed OpenAPI document is exactly what the code generates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = gateway::openapi::document_json().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with:\n    \
         cargo run -p gateway -- openapi > openapi/openapi.json"
    );
}
