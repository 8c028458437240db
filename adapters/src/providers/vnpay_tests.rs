//! Tests of `vnpay`: the domain's test vectors and the signing rules.
use super::*;
use chrono::TimeZone;

/// domain/vietnam.md §2 test vector [verified], from `lehuygiang28/vnpay`.
const SECRET: &str = "test_secret";
const SIGN_DATA: &str = "vnp_Amount=1000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14422574&vnp_CardType=ATM&vnp_OrderInfo=Thanh+toan+don+hang+2024-05-21T02%3A17%3A31.249Z&vnp_PayDate=20240521091806&vnp_ResponseCode=00&vnp_TmnCode=TEST_TMN_CODE&vnp_TransactionNo=14422574&vnp_TransactionStatus=00&vnp_TxnRef=1716257871703";
const EXPECTED_HASH: &str = "649982421beb422556a1374713c74e58e716ecbd05007c0c0e1f7effdfaf361dbf146889ca446139afe11b9954c4d5c486e99e3b86fcfab6957f29eb0be72895";

/// The vector's parameters as the HTTP layer hands them over: URL-decoded.
fn vector_params() -> Vec<(String, String)> {
    [
        ("vnp_Amount", "1000000"),
        ("vnp_BankCode", "NCB"),
        ("vnp_BankTranNo", "VNP14422574"),
        ("vnp_CardType", "ATM"),
        (
            "vnp_OrderInfo",
            "Thanh toan don hang 2024-05-21T02:17:31.249Z",
        ),
        ("vnp_PayDate", "20240521091806"),
        ("vnp_ResponseCode", "00"),
        ("vnp_TmnCode", "TEST_TMN_CODE"),
        ("vnp_TransactionNo", "14422574"),
        ("vnp_TransactionStatus", "00"),
        ("vnp_TxnRef", "1716257871703"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn with(mut params: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    params.push((key.to_owned(), value.to_owned()));
    params
}

#[test]
fn doc_vector_signing_string_and_hash() {
    let map: BTreeMap<_, _> = vector_params().into_iter().collect();
    assert_eq!(signing_string(&map), SIGN_DATA);
    assert_eq!(sign_params(&map, SECRET), EXPECTED_HASH);
}

#[test]
fn doc_vector_fails_without_encoding() {
    let raw = SIGN_DATA
        .replace("Thanh+toan+don+hang+", "Thanh toan don hang ")
        .replace("%3A", ":");
    assert_ne!(
        hmac_sha512_hex(SECRET.as_bytes(), raw.as_bytes()),
        EXPECTED_HASH
    );
}

#[test]
fn doc_vector_verifies_in_any_order_and_hex_case() {
    let mut params = with(vector_params(), SECURE_HASH, EXPECTED_HASH);
    assert!(verify_return(&params, SECRET));
    params.reverse();
    assert!(verify_return(&params, SECRET));
    let upper = with(vector_params(), SECURE_HASH, &EXPECTED_HASH.to_uppercase());
    assert!(verify_return(&upper, SECRET));
    // Neither the hash type nor foreign parameters are signed.
    let extra = with(
        with(params.clone(), SECURE_HASH_TYPE, "HmacSHA512"),
        "utm_source",
        "x",
    );
    assert!(verify_return(&extra, SECRET));
}

#[test]
fn tampering_is_refused() {
    assert!(!verify_return(&vector_params(), SECRET), "no hash at all");
    let signed = with(vector_params(), SECURE_HASH, EXPECTED_HASH);
    assert!(!verify_return(&signed, "other_secret"));
    let mut changed = signed.clone();
    changed[0].1 = "100000000".to_owned();
    assert!(!verify_return(&changed, SECRET));
    let added = with(signed.clone(), "vnp_Extra", "1");
    assert!(!verify_return(&added, SECRET));
    let repeated = with(signed.clone(), "vnp_Amount", "1000000");
    assert!(!verify_return(&repeated, SECRET));
    let two_hashes = with(signed.clone(), SECURE_HASH, EXPECTED_HASH);
    assert!(!verify_return(&two_hashes, SECRET));
    let truncated = with(vector_params(), SECURE_HASH, &EXPECTED_HASH[..64]);
    assert!(!verify_return(&truncated, SECRET));
}

#[test]
fn urlencode_matches_php() {
    assert_eq!(urlencode("AZaz09-_."), "AZaz09-_.");
    assert_eq!(urlencode("a b"), "a+b");
    assert_eq!(
        urlencode("~*'()!:/?#[]@&=+$,;%"),
        "%7E%2A%27%28%29%21%3A%2F%3F%23%5B%5D%40%26%3D%2B%24%2C%3B%25"
    );
    assert_eq!(urlencode("Đơn"), "%C4%90%C6%A1n");
    assert_eq!(urlencode("\n"), "%0A");
}

#[test]
fn payment_url_carries_exactly_the_signed_query() {
    let request = PaymentRequest {
        tmn_code: "DEMO0001".to_owned(),
        amount: 10_000,
        txn_ref: "pay_123".to_owned(),
        order_info: "Nap tien vi pay_123".to_owned(),
        order_type: "other".to_owned(),
        locale: "vn".to_owned(),
        return_url: "https://gw.example/return?x=1".to_owned(),
        ip_addr: "127.0.0.1".to_owned(),
        create_date: Utc.with_ymd_and_hms(2024, 5, 21, 2, 17, 31).unwrap(),
        expire_date: Utc.with_ymd_and_hms(2024, 5, 21, 2, 32, 31).unwrap(),
        bank_code: None,
    };
    let params = request.to_params().unwrap();
    assert_eq!(params["vnp_Amount"], "1000000");
    assert_eq!(params["vnp_CreateDate"], "20240521091731");
    assert_eq!(params["vnp_ExpireDate"], "20240521093231");
    let url = request
        .signed_url(SANDBOX_PAYMENT_URL, "demo-vnpay-hash-secret")
        .unwrap();
    let hash = sign_params(&params, "demo-vnpay-hash-secret");
    assert_eq!(
        url,
        format!(
            "{SANDBOX_PAYMENT_URL}?{}&vnp_SecureHash={hash}",
            signing_string(&params)
        )
    );
    assert!(url.contains("vnp_ReturnUrl=https%3A%2F%2Fgw.example%2Freturn%3Fx%3D1&"));
    // What VNPay sends back verifies with the same secret.
    let back = with(params.into_iter().collect(), SECURE_HASH, &hash);
    assert!(verify_return(&back, "demo-vnpay-hash-secret"));

    let mut foreign = BTreeMap::new();
    foreign.insert("other".to_owned(), "x".to_owned());
    assert!(signed_payment_url("https://h/p?a=1", &foreign, "s")
        .starts_with("https://h/p?a=1&vnp_SecureHash="));
}

#[test]
fn amounts_are_times_one_hundred() {
    assert_eq!(to_vnp_amount(10_000), Ok(1_000_000));
    assert_eq!(
        to_vnp_amount(u64::MAX),
        Err(VnpayError::AmountTooLarge(u64::MAX))
    );
    assert_eq!(from_vnp_amount("1000000"), Ok(10_000));
    for bad in ["", "1000050", "-100", "1e6", " 100", "18446744073709551700"] {
        assert!(from_vnp_amount(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn dates_are_written_in_gmt_plus_7() {
    let pay_date = Utc.with_ymd_and_hms(2024, 5, 21, 2, 18, 6).unwrap();
    assert_eq!(format_date(pay_date), "20240521091806");
    assert_eq!(parse_date("20240521091806"), Some(pay_date));
    let new_year_eve = Utc.with_ymd_and_hms(2024, 12, 31, 17, 0, 0).unwrap();
    assert_eq!(format_date(new_year_eve), "20250101000000");
    assert_eq!(parse_date("2024052109180"), None);
    assert_eq!(parse_date("20241321091806"), None);
}

#[test]
fn success_needs_both_codes() {
    assert!(is_payment_success("00", "00"));
    assert!(!is_payment_success("00", "01"));
    assert!(!is_payment_success("24", "02"));
}

#[test]
fn ipn_checks_run_in_vnpay_order() {
    let new = OrderLookup::Found {
        amount: 10_000,
        already_confirmed: false,
    };
    let done = OrderLookup::Found {
        amount: 10_000,
        already_confirmed: true,
    };
    use IpnReply::*;
    let cases = [
        (false, OrderLookup::NotFound, "1", InvalidSignature),
        (false, done, "1000000", InvalidSignature),
        (true, OrderLookup::NotFound, "999", OrderNotFound),
        (true, done, "999", InvalidAmount),
        (true, new, "100000", InvalidAmount),
        (true, new, "", InvalidAmount),
        (true, done, "1000000", AlreadyConfirmed),
        (true, new, "1000000", ConfirmSuccess),
    ];
    for (valid, order, amount, expected) in cases {
        assert_eq!(
            ipn_reply(valid, order, amount),
            expected,
            "{valid} {order:?} {amount}"
        );
    }
}

#[test]
fn ipn_reply_codes_and_body() {
    let codes: Vec<_> = [
        IpnReply::InvalidSignature,
        IpnReply::OrderNotFound,
        IpnReply::InvalidAmount,
        IpnReply::AlreadyConfirmed,
        IpnReply::ConfirmSuccess,
        IpnReply::UnknownError,
    ]
    .iter()
    .map(|r| r.rsp_code())
    .collect();
    assert_eq!(codes, ["97", "01", "04", "02", "00", "99"]);
    assert_eq!(
        serde_json::to_string(&IpnReply::ConfirmSuccess.body()).unwrap(),
        r#"{"RspCode":"00","Message":"Confirm Success"}"#
    );
}
