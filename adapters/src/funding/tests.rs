//! Unit tests of order building and callback checks; the HTTP round trips are in
//! `tests/providers_*.rs`.

use super::*;
use crate::providers::{momo as momo_wire, vnpay as vnpay_wire, zalopay as zalopay_wire};
use chrono::TimeZone;
use std::collections::BTreeMap;

fn order() -> TopupOrder {
    TopupOrder {
        reference: "pay_123".to_owned(),
        amount: 150_000,
        description: "Nạp tiền ví pay_123".to_owned(),
        callback_url: "http://gw.example/v1/callbacks/x".to_owned(),
        return_url: "http://gw.example/return?p=pay_123".to_owned(),
        // 23:30 UTC: already the next day in Vietnam.
        now: Utc.with_ymd_and_hms(2024, 5, 20, 23, 30, 0).unwrap(),
    }
}

fn query(url: &str) -> Vec<(String, String)> {
    let (_, query) = url.split_once('?').unwrap();
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

/// Form decoding, enough for these tests.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn vnpay_url_is_signed_and_in_vnpay_terms() {
    let funding = VnpayFunding::new("http://sim/vnpay/", VnpayCredentials::demo());
    let url = funding.payment_url_for(&order()).unwrap();
    assert!(url.starts_with("http://sim/vnpay/paymentv2/vpcpay.html?"));
    let params = query(&url);
    let get = |k: &str| params.iter().find(|(key, _)| key == k).unwrap().1.clone();
    assert_eq!(get("vnp_Amount"), "15000000");
    assert_eq!(get("vnp_TxnRef"), "pay_123");
    assert_eq!(get("vnp_TmnCode"), "DEMO0001");
    assert_eq!(get("vnp_CreateDate"), "20240521063000");
    assert_eq!(get("vnp_ExpireDate"), "20240521064500");
    assert_eq!(get("vnp_OrderInfo"), "Nap-tien-vi-pay_123");
    assert_eq!(get("vnp_ReturnUrl"), "http://gw.example/return?p=pay_123");
    assert!(vnpay_wire::verify_return(&params, DEMO_SECRET));
    assert!(!vnpay_wire::verify_return(&params, "other"));
}

const DEMO_SECRET: &str = vnpay::DEMO_HASH_SECRET;

#[test]
fn orders_are_validated_before_signing() {
    let funding = VnpayFunding::new("http://sim", VnpayCredentials::demo());
    for amount in [0, -1, MAX_AMOUNT + 1] {
        let bad = TopupOrder { amount, ..order() };
        assert_eq!(
            funding.payment_url_for(&bad),
            Err(FundingError::InvalidAmount(amount))
        );
    }
    for reference in ["", "a b", "pay|1", "đ", &"x".repeat(34)] {
        let bad = TopupOrder {
            reference: reference.to_owned(),
            ..order()
        };
        assert!(matches!(
            funding.payment_url_for(&bad),
            Err(FundingError::InvalidReference(_))
        ));
    }
}

#[test]
fn momo_request_is_signed_with_our_reference() {
    let funding =
        MomoFunding::with_default_timeout("http://sim/momo", MomoCredentials::sandbox()).unwrap();
    let request = funding.create_request(&order()).unwrap();
    assert_eq!(request.order_id, "pay_123");
    assert_eq!(request.request_id, "pay_123");
    assert_eq!(request.amount, 150_000);
    assert_eq!(request.ipn_url, "http://gw.example/v1/callbacks/x");
    assert!(request.verify(momo::SANDBOX_ACCESS_KEY, momo::SANDBOX_SECRET_KEY));
}

#[test]
fn zalopay_request_is_signed_with_key1_and_dated_in_gmt_plus_7() {
    let funding =
        ZaloPayFunding::with_default_timeout("http://sim/zalopay", ZaloPayCredentials::sandbox())
            .unwrap();
    let request = funding.create_request(&order()).unwrap();
    assert_eq!(request.app_trans_id, "240521_pay_123");
    assert_eq!(request.app_time, 1_716_247_800_000);
    assert_eq!(
        request.embed_data,
        r#"{"redirecturl":"http://gw.example/return?p=pay_123"}"#
    );
    assert_eq!(
        request.callback_url.as_deref(),
        Some("http://gw.example/v1/callbacks/x")
    );
    assert!(request.verify(zalopay::SANDBOX_KEY1));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let text = format!(
        "{:?} {:?} {:?} {:?}",
        VnpayCredentials::demo(),
        MomoCredentials::sandbox(),
        ZaloPayCredentials::sandbox(),
        VnpayFunding::new("http://sim", VnpayCredentials::demo()),
    );
    for secret in [
        vnpay::DEMO_HASH_SECRET,
        momo::SANDBOX_ACCESS_KEY,
        momo::SANDBOX_SECRET_KEY,
        zalopay::SANDBOX_KEY1,
        zalopay::SANDBOX_KEY2,
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("DEMO0001"));
}

fn signed_vnpay_ipn(amount: &str, response_code: &str, secret: &str) -> Vec<(String, String)> {
    let mut params = BTreeMap::new();
    for (k, v) in [
        ("vnp_Amount", amount),
        ("vnp_ResponseCode", response_code),
        (
            "vnp_TransactionStatus",
            if response_code == "00" { "00" } else { "02" },
        ),
        (
            "vnp_TransactionNo",
            if response_code == "00" {
                "14422574"
            } else {
                "0"
            },
        ),
        ("vnp_TxnRef", "pay_123"),
        ("vnp_TmnCode", "DEMO0001"),
    ] {
        params.insert(k.to_owned(), v.to_owned());
    }
    let hash = vnpay_wire::sign_params(&params, secret);
    let mut list: Vec<_> = params.into_iter().collect();
    list.push(("vnp_SecureHash".to_owned(), hash));
    list
}

const FOUND: OrderLookup = OrderLookup::Found {
    amount: 150_000,
    already_recorded: false,
};

#[test]
fn vnpay_ipn_checks_in_vnpay_order() {
    let creds = VnpayCredentials::demo();
    let reply = |params: Vec<(String, String)>, order: OrderLookup| {
        vnpay::verify_ipn(&params, &creds)
            .and_then(|signed| signed.check(order))
            .map_err(|err| vnpay::ipn_reply_for(&err).rsp_code())
    };
    let ok = reply(signed_vnpay_ipn("15000000", "00", DEMO_SECRET), FOUND).unwrap();
    assert!(ok.success);
    assert_eq!(ok.amount, 150_000);
    assert_eq!(ok.provider_transaction_id.as_deref(), Some("14422574"));
    let cancelled = reply(signed_vnpay_ipn("15000000", "24", DEMO_SECRET), FOUND).unwrap();
    assert!(!cancelled.success);
    assert_eq!(cancelled.provider_transaction_id, None);
    assert_eq!(cancelled.result_code, "24");

    let done = OrderLookup::Found {
        amount: 150_000,
        already_recorded: true,
    };
    let forged = signed_vnpay_ipn("15000000", "00", "other");
    assert_eq!(reply(forged, OrderLookup::NotFound), Err("97"));
    let wrong = signed_vnpay_ipn("100", "00", DEMO_SECRET);
    assert_eq!(reply(wrong.clone(), OrderLookup::NotFound), Err("01"));
    assert_eq!(reply(wrong, done), Err("04"));
    assert_eq!(
        reply(signed_vnpay_ipn("15000000", "00", DEMO_SECRET), done),
        Err("02")
    );
    // Signed with our secret but for another terminal: not one of our orders.
    let other_terminal = VnpayCredentials::new("OTHER001", DEMO_SECRET);
    assert_eq!(
        vnpay::verify_ipn(
            &signed_vnpay_ipn("15000000", "00", DEMO_SECRET),
            &other_terminal
        )
        .and_then(|signed| signed.check(FOUND))
        .map_err(|err| vnpay::ipn_reply_for(&err).rsp_code())
        .map(|_| ()),
        Err("01")
    );
}

fn momo_ipn(amount: u64, result_code: i32) -> momo_wire::MomoIpn {
    let mut ipn = momo_wire::MomoIpn {
        partner_code: "MOMO".to_owned(),
        order_id: "pay_123".to_owned(),
        request_id: "pay_123".to_owned(),
        amount,
        order_info: "x".to_owned(),
        order_type: "momo_wallet".to_owned(),
        trans_id: 4_088_878_653,
        result_code,
        message: "m".to_owned(),
        pay_type: "qr".to_owned(),
        response_time: 1,
        extra_data: String::new(),
        signature: String::new(),
    };
    ipn.sign(momo::SANDBOX_ACCESS_KEY, momo::SANDBOX_SECRET_KEY);
    ipn
}

#[test]
fn momo_ipn_replies() {
    let creds = MomoCredentials::sandbox();
    let status = |ipn: momo_wire::MomoIpn, order: OrderLookup| {
        momo::verify_ipn(ipn, &creds)
            .and_then(|signed| signed.check(order))
            .map_err(|err| momo::ipn_status_for(&err))
    };
    let paid = status(momo_ipn(150_000, 0), FOUND).unwrap();
    assert!(paid.success);
    assert_eq!(paid.provider_transaction_id.as_deref(), Some("4088878653"));
    assert!(!status(momo_ipn(150_000, 1006), FOUND).unwrap().success);
    let mut forged = momo_ipn(150_000, 0);
    forged.amount = 1;
    assert_eq!(status(forged, FOUND), Err(401));
    assert_eq!(
        status(momo_ipn(150_000, 0), OrderLookup::NotFound),
        Err(404)
    );
    assert_eq!(status(momo_ipn(1, 0), FOUND), Err(422));
    let done = OrderLookup::Found {
        amount: 150_000,
        already_recorded: true,
    };
    assert_eq!(status(momo_ipn(150_000, 0), done), Err(204));
    // Garbage is malformed input (400), not a forged IPN (401).
    for garbage in [&b"{}"[..], b"not json", b"[1,2]"] {
        let err = momo::verify_ipn_body(garbage, &creds)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(momo::ipn_status_for(&err), 400, "{err}");
    }
}

#[test]
fn momo_4002_is_its_own_failure_not_a_generic_decline() {
    let creds = MomoCredentials::sandbox();
    let check = |result_code| {
        momo::verify_ipn(momo_ipn(150_000, result_code), &creds)
            .and_then(|signed| signed.check(FOUND))
            .unwrap()
    };
    // The IPN that says the payer's account is not verified by C06.
    let unverified = check(momo::RESULT_NOT_BIOMETRIC_VERIFIED);
    assert!(!unverified.success);
    assert_eq!(unverified.result_code, "4002");
    assert_eq!(
        unverified.failure_code(),
        Some("momo_payer_not_biometric_verified")
    );
    // A payer who cancels, and a success, have no code of their own.
    assert_eq!(check(momo::RESULT_USER_DENIED).failure_code(), None);
    assert_eq!(check(momo::RESULT_SUCCESS).failure_code(), None);

    // The same code when MoMo refuses the order at create.
    let refused = |provider, code: &str| FundingError::Rejected {
        provider,
        code: code.to_owned(),
        message: "Giao dịch bị từ chối".to_owned(),
    };
    assert_eq!(
        refused(Provider::Momo, "4002").failure_code(),
        Some("momo_payer_not_biometric_verified")
    );
    assert_eq!(refused(Provider::Momo, "1006").failure_code(), None);
    // 4002 means nothing in VNPay's or ZaloPay's terms.
    assert_eq!(refused(Provider::Vnpay, "4002").failure_code(), None);
    assert_eq!(refused(Provider::Zalopay, "4002").failure_code(), None);
    assert_eq!(FundingError::Timeout(Provider::Momo).failure_code(), None);
    assert_eq!(momo::failure_code("not a number"), None);
}

#[test]
fn zalopay_callback_replies() {
    let creds = ZaloPayCredentials::sandbox();
    let data = |amount: u64| {
        format!(
            r#"{{"app_id":2553,"app_trans_id":"240521_pay_123","app_time":1,"app_user":"gateway","amount":{amount},"zp_trans_id":240521000000001,"server_time":2}}"#
        )
    };
    let code = |callback: zalopay_wire::Callback, order: OrderLookup| {
        zalopay::verify_callback(&callback, &creds)
            .and_then(|signed| signed.check(order))
            .map_err(|err| zalopay::callback_reply_for(&err).return_code)
    };
    let key2 = zalopay::SANDBOX_KEY2;
    let paid = code(zalopay_wire::Callback::signed(data(150_000), key2), FOUND).unwrap();
    assert_eq!(paid.provider_reference, "240521_pay_123");
    assert_eq!(
        paid.provider_transaction_id.as_deref(),
        Some("240521000000001")
    );
    let forged = zalopay_wire::Callback::signed(data(150_000), zalopay::SANDBOX_KEY1);
    assert_eq!(code(forged, FOUND), Err(-1));
    assert_eq!(
        code(zalopay_wire::Callback::signed(data(1), key2), FOUND),
        Err(-1)
    );
    let signed = zalopay_wire::Callback::signed(data(150_000), key2);
    assert_eq!(code(signed.clone(), OrderLookup::NotFound), Err(-1));
    let done = OrderLookup::Found {
        amount: 150_000,
        already_recorded: true,
    };
    assert_eq!(code(signed, done), Err(2));
}
