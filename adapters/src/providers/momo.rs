//! MoMo All-in-One v2: the create-payment request and the IPN, with their signatures.
//!
//! MoMo signs a "raw signature" string: `key=value` pairs in a fixed (alphabetical)
//! field order, joined with `&`, values **not** URL-encoded, then hex
//! HMAC-SHA256 under the secret key. The access key is part of the string but not of
//! the IPN body, so the verifier supplies its own.

use serde::{Deserialize, Serialize};

use super::mac::{hmac_sha256_hex, verify_hmac_sha256_hex};

/// Sandbox create endpoint.
pub const SANDBOX_CREATE_URL: &str = "https://test-payment.momo.vn/v2/gateway/api/create";

/// `resultCode` 4002, a final "User error": the payer's MoMo account has not been
/// verified by C06 (the Ministry of Public Security's identity department), so the
/// payer must first bind biometrics by reading the chip of their CCCD over NFC.
/// MoMo's List Result Codes page, as catalogued by `api-evangelist/momo`
/// `errors/momo-error-codes.yml` (generated 2026-08-26, checked Dec 2026): "Transaction
/// rejected because the user account has not been verified by C06." / "Users must
/// update their biometrics via NFC to be authorized for the transaction." Domain doc
/// §1.5 and §3. The Vietnamese wording of MoMo's `message` was not confirmed.
pub const RESULT_NOT_VERIFIED_BY_C06: i32 = 4002;

/// The gateway's stable failure code for [`RESULT_NOT_VERIFIED_BY_C06`]. Not a generic
/// decline: retrying cannot succeed until the payer updates their biometrics, so the
/// payer is told to do that rather than to try again or pick another wallet.
pub const PAYER_NOT_BIOMETRIC_VERIFIED: &str = "momo_payer_not_biometric_verified";

/// `resultCode`s that have a failure code of their own; every other failure is left to
/// the caller's generic code (a decline or a refused order).
const FAILURE_CODES: &[(i32, &str)] = &[(RESULT_NOT_VERIFIED_BY_C06, PAYER_NOT_BIOMETRIC_VERIFIED)];

/// The stable failure code of a MoMo `resultCode` that needs handling of its own, or
/// `None` when the generic decline applies.
pub fn failure_code(result_code: i32) -> Option<&'static str> {
    FAILURE_CODES
        .iter()
        .find(|(code, _)| *code == result_code)
        .map(|(_, failure)| *failure)
}

/// How the payer pays (`requestType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequestType {
    /// `captureWallet`: pay from the MoMo wallet.
    #[serde(rename = "captureWallet")]
    CaptureWallet,
    /// `payWithATM`: domestic ATM card through NAPAS.
    #[serde(rename = "payWithATM")]
    PayWithAtm,
    /// `payWithMethod`: the payer picks a method on MoMo's page.
    #[serde(rename = "payWithMethod")]
    PayWithMethod,
}

impl RequestType {
    /// The wire value, as signed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaptureWallet => "captureWallet",
            Self::PayWithAtm => "payWithATM",
            Self::PayWithMethod => "payWithMethod",
        }
    }
}

/// Body of `POST /v2/gateway/api/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentRequest {
    /// Partner code (`MOMO` in the public sandbox).
    pub partner_code: String,
    /// Idempotency key of this request (MoMo honours it for at least 31 days).
    pub request_id: String,
    /// Amount in dong.
    pub amount: u64,
    /// The merchant's order id; the gateway's provider reference.
    pub order_id: String,
    /// Description shown to the payer.
    pub order_info: String,
    /// Where MoMo sends the payer's browser afterwards.
    pub redirect_url: String,
    /// Where MoMo POSTs the IPN.
    pub ipn_url: String,
    /// Payment method family.
    pub request_type: RequestType,
    /// Opaque merchant data echoed back (often base64 JSON); may be empty.
    pub extra_data: String,
    /// `vi` or `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Hex HMAC-SHA256 of [`create_raw_signature`]; set it with [`Self::sign`].
    pub signature: String,
}

impl CreatePaymentRequest {
    /// Fills in [`Self::signature`].
    pub fn sign(&mut self, access_key: &str, secret_key: &str) {
        self.signature = sign(secret_key, &create_raw_signature(self, access_key));
    }

    /// Whether [`Self::signature`] is valid (constant-time), as MoMo (or its simulator)
    /// checks it.
    pub fn verify(&self, access_key: &str, secret_key: &str) -> bool {
        verify(
            secret_key,
            &create_raw_signature(self, access_key),
            &self.signature,
        )
    }
}

/// MoMo's answer to a create request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentResponse {
    /// Echoed partner code.
    pub partner_code: String,
    /// Echoed request id.
    pub request_id: String,
    /// Echoed order id.
    pub order_id: String,
    /// Echoed amount in dong.
    pub amount: u64,
    /// MoMo's time of response, Unix milliseconds.
    pub response_time: u64,
    /// Human-readable result.
    pub message: String,
    /// 0 on success; see the resultCode table in the domain doc.
    pub result_code: i32,
    /// MoMo's payment page, to redirect the payer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
    /// App deep link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deeplink: Option<String>,
    /// Content of a QR code for the MoMo app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_url: Option<String>,
}

/// Body of the IPN MoMo POSTs to `ipnUrl` (the redirect carries the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MomoIpn {
    /// Partner code; must be ours.
    pub partner_code: String,
    /// The order id given at create.
    pub order_id: String,
    /// The request id given at create.
    pub request_id: String,
    /// Amount in dong; must match the order.
    pub amount: u64,
    /// The order description.
    pub order_info: String,
    /// E.g. `momo_wallet`.
    pub order_type: String,
    /// MoMo's transaction id.
    pub trans_id: u64,
    /// 0 success, 9000 authorised, others failure or pending (see the domain doc).
    pub result_code: i32,
    /// Human-readable result.
    pub message: String,
    /// E.g. `qr`, `webApp`, `napas`.
    pub pay_type: String,
    /// Unix milliseconds.
    pub response_time: u64,
    /// Echoed `extraData`.
    pub extra_data: String,
    /// Hex HMAC-SHA256 of [`ipn_raw_signature`].
    pub signature: String,
}

impl MomoIpn {
    /// Fills in [`Self::signature`], as MoMo (or its simulator) does.
    pub fn sign(&mut self, access_key: &str, secret_key: &str) {
        self.signature = sign(secret_key, &ipn_raw_signature(self, access_key));
    }
}

/// The create request's raw signature:
/// `accessKey, amount, extraData, ipnUrl, orderId, orderInfo, partnerCode, redirectUrl,
/// requestId, requestType`, in that order, values as-is.
pub fn create_raw_signature(request: &CreatePaymentRequest, access_key: &str) -> String {
    join(&[
        ("accessKey", access_key),
        ("amount", &request.amount.to_string()),
        ("extraData", &request.extra_data),
        ("ipnUrl", &request.ipn_url),
        ("orderId", &request.order_id),
        ("orderInfo", &request.order_info),
        ("partnerCode", &request.partner_code),
        ("redirectUrl", &request.redirect_url),
        ("requestId", &request.request_id),
        ("requestType", request.request_type.as_str()),
    ])
}

/// The IPN's (and redirect's) raw signature:
/// `accessKey, amount, extraData, message, orderId, orderInfo, orderType, partnerCode,
/// payType, requestId, responseTime, resultCode, transId`, in that order.
pub fn ipn_raw_signature(ipn: &MomoIpn, access_key: &str) -> String {
    join(&[
        ("accessKey", access_key),
        ("amount", &ipn.amount.to_string()),
        ("extraData", &ipn.extra_data),
        ("message", &ipn.message),
        ("orderId", &ipn.order_id),
        ("orderInfo", &ipn.order_info),
        ("orderType", &ipn.order_type),
        ("partnerCode", &ipn.partner_code),
        ("payType", &ipn.pay_type),
        ("requestId", &ipn.request_id),
        ("responseTime", &ipn.response_time.to_string()),
        ("resultCode", &ipn.result_code.to_string()),
        ("transId", &ipn.trans_id.to_string()),
    ])
}

/// Hex HMAC-SHA256 of a raw signature string under the secret key.
pub fn sign(secret_key: &str, raw_signature: &str) -> String {
    hmac_sha256_hex(secret_key.as_bytes(), raw_signature.as_bytes())
}

/// Whether the IPN's signature is valid, compared in constant time. The caller must
/// still check `partner_code`, `order_id` and `amount` against its own records.
pub fn verify_ipn(ipn: &MomoIpn, access_key: &str, secret_key: &str) -> bool {
    verify(
        secret_key,
        &ipn_raw_signature(ipn, access_key),
        &ipn.signature,
    )
}

fn verify(secret_key: &str, raw_signature: &str, signature: &str) -> bool {
    verify_hmac_sha256_hex(secret_key.as_bytes(), raw_signature.as_bytes(), signature)
}

fn join(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public sandbox credentials from MoMo's own samples (domain doc §3).
    const ACCESS_KEY: &str = "F8BBA842ECF85";
    const SECRET_KEY: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";
    const WEBHOOK: &str = "https://webhook.site/b3088a6a-2d17-4f8d-a383-71389a6c600b";

    /// domain/vietnam.md §3 create vector [self-computed].
    const CREATE_RAW: &str = "accessKey=F8BBA842ECF85&amount=50000&extraData=&ipnUrl=https://webhook.site/b3088a6a-2d17-4f8d-a383-71389a6c600b&orderId=MM1540456472575&orderInfo=pay with MoMo&partnerCode=MOMO&redirectUrl=https://webhook.site/b3088a6a-2d17-4f8d-a383-71389a6c600b&requestId=MM1540456472575&requestType=captureWallet";
    const CREATE_SIGNATURE: &str =
        "e4e7c6d8bfc40abc362e39afe1e2ca815034f350aed6225e78ef1745fff0e617";

    /// Not in the doc (no IPN vector is published): computed independently with
    /// Python's `hmac` over the raw string below.
    const IPN_RAW: &str = "accessKey=F8BBA842ECF85&amount=50000&extraData=&message=Successful.&orderId=MM1540456472575&orderInfo=pay with MoMo&orderType=momo_wallet&partnerCode=MOMO&payType=qr&requestId=MM1540456472575&responseTime=1721720663942&resultCode=0&transId=4088878653";
    const IPN_SIGNATURE: &str = "04c124493d251eb1760d3399b98083fcdd50614c1e5fbe805576a81f7e91a0ea";

    fn create_request() -> CreatePaymentRequest {
        CreatePaymentRequest {
            partner_code: "MOMO".to_owned(),
            request_id: "MM1540456472575".to_owned(),
            amount: 50_000,
            order_id: "MM1540456472575".to_owned(),
            order_info: "pay with MoMo".to_owned(),
            redirect_url: WEBHOOK.to_owned(),
            ipn_url: WEBHOOK.to_owned(),
            request_type: RequestType::CaptureWallet,
            extra_data: String::new(),
            lang: Some("en".to_owned()),
            signature: String::new(),
        }
    }

    fn ipn_json() -> String {
        format!(
            r#"{{"partnerCode":"MOMO","orderId":"MM1540456472575","requestId":"MM1540456472575","amount":50000,"orderInfo":"pay with MoMo","orderType":"momo_wallet","transId":4088878653,"resultCode":0,"message":"Successful.","payType":"qr","responseTime":1721720663942,"extraData":"","signature":"{IPN_SIGNATURE}"}}"#
        )
    }

    #[test]
    fn doc_create_vector() {
        let mut request = create_request();
        assert_eq!(create_raw_signature(&request, ACCESS_KEY), CREATE_RAW);
        assert_eq!(sign(SECRET_KEY, CREATE_RAW), CREATE_SIGNATURE);
        request.sign(ACCESS_KEY, SECRET_KEY);
        assert_eq!(request.signature, CREATE_SIGNATURE);
        assert!(request.verify(ACCESS_KEY, SECRET_KEY));
        request.amount = 50_001;
        assert!(!request.verify(ACCESS_KEY, SECRET_KEY));
    }

    #[test]
    fn create_request_speaks_camel_case() {
        let mut request = create_request();
        request.request_type = RequestType::PayWithAtm;
        let json = serde_json::to_value(&request).unwrap();
        for key in [
            "partnerCode",
            "requestId",
            "amount",
            "orderId",
            "orderInfo",
            "redirectUrl",
            "ipnUrl",
            "requestType",
            "extraData",
            "lang",
            "signature",
        ] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        assert_eq!(json["requestType"], "payWithATM");
        assert_eq!(json["amount"], 50_000);
        let back: CreatePaymentRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn ipn_vector_verifies() {
        let ipn: MomoIpn = serde_json::from_str(&ipn_json()).unwrap();
        assert_eq!(ipn_raw_signature(&ipn, ACCESS_KEY), IPN_RAW);
        assert!(verify_ipn(&ipn, ACCESS_KEY, SECRET_KEY));
        let mut resigned = ipn.clone();
        resigned.signature.clear();
        resigned.sign(ACCESS_KEY, SECRET_KEY);
        assert_eq!(resigned, ipn);
    }

    #[test]
    fn tampered_ipn_is_refused() {
        let ipn: MomoIpn = serde_json::from_str(&ipn_json()).unwrap();
        assert!(!verify_ipn(&ipn, "OTHERACCESS", SECRET_KEY));
        assert!(!verify_ipn(&ipn, ACCESS_KEY, "wrong-secret"));
        let mut more = ipn.clone();
        more.amount = 500_000;
        assert!(!verify_ipn(&more, ACCESS_KEY, SECRET_KEY));
        let mut failed = ipn.clone();
        failed.result_code = 1006;
        assert!(!verify_ipn(&failed, ACCESS_KEY, SECRET_KEY));
        let mut garbage = ipn;
        garbage.signature = "not hex".to_owned();
        assert!(!verify_ipn(&garbage, ACCESS_KEY, SECRET_KEY));
    }

    #[test]
    fn result_4002_has_its_own_failure_code() {
        assert_eq!(
            failure_code(4002),
            Some("momo_payer_not_biometric_verified")
        );
        assert_eq!(
            failure_code(RESULT_NOT_VERIFIED_BY_C06),
            Some(PAYER_NOT_BIOMETRIC_VERIFIED)
        );
        // Other declines (denied by the payer, restricted account, insufficient funds)
        // and success stay generic.
        for other in [0, 1001, 1006, 4001, 4100, 9000, 99] {
            assert_eq!(failure_code(other), None, "{other}");
        }
    }

    #[test]
    fn create_response_tolerates_missing_links() {
        let response: CreatePaymentResponse = serde_json::from_str(
            r#"{"partnerCode":"MOMO","requestId":"r","orderId":"o","amount":1000,"responseTime":1,"message":"Bad format","resultCode":20,"extraField":true}"#,
        )
        .unwrap();
        assert_eq!(response.result_code, 20);
        assert_eq!(response.pay_url, None);
    }
}
