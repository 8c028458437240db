//! Tests of `zalopay`: the domain's test vectors and the signing rules.
use super::*;
use chrono::TimeZone;

/// Public sandbox app 2553 (domain doc §4).
const APP_ID: u64 = 2553;
const KEY1: &str = "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL";
const KEY2: &str = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz";

/// domain/vietnam.md §4 create vector [self-computed].
const CREATE_INPUT: &str = "2553|230407_13221300383|user123|50000|1680848533635|{}|[]";
const CREATE_MAC: &str = "66743b6b1093af5eb86e056663985e8d68ac1707285434776374001d4f810863";

/// Not in the doc: callback, query and refund MACs computed independently with
/// Python's `hmac` over the same inputs.
const CALLBACK_DATA: &str = r#"{"app_id":2553,"app_trans_id":"230407_13221300383","app_time":1680848533635,"app_user":"user123","amount":50000,"embed_data":"{}","item":"[]","zp_trans_id":230407000000001,"server_time":1680848600000,"channel":38,"merchant_user_id":"","user_fee_amount":0,"discount_amount":0}"#;
const CALLBACK_MAC: &str = "9eba6f522ab4ce90752fab1d381fd77cd97c6a32b60934631e3821ea5e37ad75";
const QUERY_MAC: &str = "4526d4b3639874b91cf853e7f2ebe085df48bc537e45be1f2948a88114471561";
const REFUND_MAC: &str = "3c14335b298ec9bfcc0180883425e9f47675e32bf54488e2e0e71749b03bf5ed";
const QUERY_REFUND_MAC: &str = "de40605937f283ba4ee821212144a0d3e7ec472c6b7f65903d4beba56ea1fa05";

fn create_order() -> CreateOrderRequest {
    CreateOrderRequest {
        app_id: APP_ID,
        app_user: "user123".to_owned(),
        app_trans_id: "230407_13221300383".to_owned(),
        app_time: 1_680_848_533_635,
        amount: 50_000,
        item: "[]".to_owned(),
        embed_data: "{}".to_owned(),
        description: "Thanh toan don hang".to_owned(),
        bank_code: String::new(),
        callback_url: None,
        mac: String::new(),
    }
}

#[test]
fn doc_create_vector() {
    let mut order = create_order();
    assert_eq!(order.mac_input(), CREATE_INPUT);
    order.sign(KEY1);
    assert_eq!(order.mac, CREATE_MAC);
    assert!(order.verify(KEY1));
    assert!(!order.verify(KEY2));
    order.amount = 5_000;
    assert!(!order.verify(KEY1));
}

#[test]
fn doc_rejected_example_does_not_reproduce() {
    // The doc says the "docs example" cf0ff279…d962 does not match key1 of app 2553.
    let input = "2553|220817_1660717311101|ZaloPayDemo|10000|1660717311101|{}|[]";
    let computed = mac(KEY1, input);
    assert!(!computed.starts_with("cf0ff279") && !computed.ends_with("d962"));
}

#[test]
fn callback_vector_verifies_over_the_raw_data() {
    let body = format!(
        r#"{{"data":{},"mac":"{CALLBACK_MAC}","type":1}}"#,
        serde_json::to_string(CALLBACK_DATA).unwrap()
    );
    let callback: Callback = serde_json::from_str(&body).unwrap();
    assert!(callback.verify(KEY2));
    assert!(verify_callback(
        CALLBACK_DATA,
        &CALLBACK_MAC.to_uppercase(),
        KEY2
    ));
    assert!(!callback.verify(KEY1), "callbacks use key2");
    assert_eq!(Callback::signed(CALLBACK_DATA.to_owned(), KEY2), callback);

    let data = callback.parse_data().unwrap();
    assert_eq!(data.app_trans_id, "230407_13221300383");
    assert_eq!(data.amount, 50_000);
    assert_eq!(data.zp_trans_id, 230_407_000_000_001);

    // Same JSON value, different spacing: no longer the signed string.
    let respaced = CALLBACK_DATA.replace(',', ", ");
    assert!(!verify_callback(&respaced, CALLBACK_MAC, KEY2));
    assert!(!verify_callback(CALLBACK_DATA, "", KEY2));
}

#[test]
fn other_key1_macs() {
    let query = QueryOrderRequest::signed(APP_ID, "230407_13221300383", KEY1);
    assert_eq!(
        query.mac_input(KEY1),
        format!("2553|230407_13221300383|{KEY1}")
    );
    assert_eq!(query.mac, QUERY_MAC);
    assert!(query.verify(KEY1));

    let mut refund = RefundRequest {
        m_refund_id: "230407_2553_r1".to_owned(),
        app_id: APP_ID,
        zp_trans_id: 230_407_000_000_001,
        amount: 50_000,
        timestamp: 1_680_848_700_000,
        description: "Hoan tien don hang".to_owned(),
        mac: String::new(),
    };
    assert_eq!(
        refund.mac_input(),
        "2553|230407000000001|50000|Hoan tien don hang|1680848700000"
    );
    refund.sign(KEY1);
    assert_eq!(refund.mac, REFUND_MAC);
    assert!(refund.verify(KEY1));

    let mut query_refund = QueryRefundRequest {
        app_id: APP_ID,
        m_refund_id: "230407_2553_r1".to_owned(),
        timestamp: 1_680_848_700_000,
        mac: String::new(),
    };
    assert_eq!(
        query_refund.mac_input(),
        "2553|230407_2553_r1|1680848700000"
    );
    query_refund.sign(KEY1);
    assert_eq!(query_refund.mac, QUERY_REFUND_MAC);
    assert!(query_refund.verify(KEY1));
}

#[test]
fn ids_use_the_vietnamese_date() {
    let late_utc = Utc.with_ymd_and_hms(2023, 4, 6, 17, 30, 0).unwrap();
    assert_eq!(
        app_trans_id(late_utc, "13221300383").unwrap(),
        "230407_13221300383"
    );
    let early_utc = Utc.with_ymd_and_hms(2023, 4, 6, 16, 59, 59).unwrap();
    assert_eq!(app_trans_id(early_utc, "pay_1").unwrap(), "230406_pay_1");
    assert_eq!(
        m_refund_id(late_utc, APP_ID, "r1").unwrap(),
        "230407_2553_r1"
    );
    assert_eq!(
        app_trans_id(late_utc, &"x".repeat(33)).map(|s| s.len()),
        Ok(40)
    );
    assert!(matches!(
        app_trans_id(late_utc, &"x".repeat(34)),
        Err(ZaloPayError::TooLong { max: 40, .. })
    ));
    for bad in ["", "a|b", "đ", "a b"] {
        assert_eq!(
            app_trans_id(late_utc, bad),
            Err(ZaloPayError::InvalidSuffix(bad.to_owned()))
        );
    }
}

#[test]
fn wire_shapes() {
    let json = serde_json::to_value(create_order()).unwrap();
    assert_eq!(json["app_trans_id"], "230407_13221300383");
    assert_eq!(json["app_time"], 1_680_848_533_635u64);
    assert!(json.get("callback_url").is_none());
    let reply = serde_json::to_string(&CallbackReply::success()).unwrap();
    assert_eq!(reply, r#"{"return_code":1,"return_message":"success"}"#);
    assert_eq!(CallbackReply::already_recorded().return_code, 2);
    assert_eq!(CallbackReply::rejected("mac not equal").return_code, -1);
    assert_eq!(CallbackReply::retry().return_code, 0);
    let response: ApiResponse = serde_json::from_str(
        r#"{"return_code":2,"return_message":"Giao dịch thất bại","sub_return_code":-68,"sub_return_message":"Mã giao dịch bị trùng"}"#,
    )
    .unwrap();
    assert_eq!(response.sub_return_code, -68);
    assert_eq!(response.order_url, None);
}

#[test]
fn the_reference_comes_back_out_of_an_app_trans_id() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T18:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let id = app_trans_id(now, "pay_abc123").unwrap();
    assert_eq!(id, "261208_pay_abc123");
    assert_eq!(reference_of(&id), Some("pay_abc123"));
    for bad in ["pay_abc", "26120_x", "261208_", "2612a8_x", ""] {
        assert_eq!(reference_of(bad), None, "{bad}");
    }
}
