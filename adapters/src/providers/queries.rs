//! Asking a provider what became of an order whose callback is late: VNPay's
//! `querydr`, MoMo's query and ZaloPay's `/v2/query` (that one's wire types live with
//! the rest of ZaloPay's, in [`super::zalopay`]).
//!
//! - VNPay: `POST /merchant_webapi/api/transaction`, JSON; the request's
//!   `vnp_SecureHash` is HMAC-SHA512 over
//!   `vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo`,
//!   the response's over the fields listed in [`QuerydrResponse::hash_input`]
//!   (domain doc §2, from VNPay's own test helpers). `vnp_ResponseCode` `00` answers
//!   the query, `91` knows no such transaction, `97` refuses the checksum.
//! - MoMo: `POST /v2/gateway/api/query`, JSON, signed with HMAC-SHA256 over
//!   `accessKey=…&orderId=…&partnerCode=…&requestId=…` (MoMo All-in-One v2, "Query
//!   transaction status"). `resultCode` as for the IPN: 0 paid, 1000/7000/7002
//!   pending, 42 no such order, anything else a failure.

use serde::{Deserialize, Serialize};

use super::mac::{hmac_sha256_hex, hmac_sha512_hex, verify_hmac_sha512_hex};

/// VNPay's query and refund endpoint, under its API host.
pub const VNPAY_QUERY_PATH: &str = "/merchant_webapi/api/transaction";
/// MoMo's query endpoint, under its API host.
pub const MOMO_QUERY_PATH: &str = "/v2/gateway/api/query";
/// ZaloPay's query endpoint, under its API host.
pub const ZALOPAY_QUERY_PATH: &str = "/v2/query";

/// Body of VNPay's `querydr` (field names as VNPay spells them).
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerydrRequest {
    pub vnp_RequestId: String,
    pub vnp_Version: String,
    pub vnp_Command: String,
    pub vnp_TmnCode: String,
    pub vnp_TxnRef: String,
    pub vnp_OrderInfo: String,
    /// When the order was created (`vnp_CreateDate` of the payment), Vietnam time.
    pub vnp_TransactionDate: String,
    /// When this query is made, Vietnam time.
    pub vnp_CreateDate: String,
    pub vnp_IpAddr: String,
    pub vnp_SecureHash: String,
}

impl QuerydrRequest {
    pub fn hash_input(&self) -> String {
        [
            self.vnp_RequestId.as_str(),
            &self.vnp_Version,
            &self.vnp_Command,
            &self.vnp_TmnCode,
            &self.vnp_TxnRef,
            &self.vnp_TransactionDate,
            &self.vnp_CreateDate,
            &self.vnp_IpAddr,
            &self.vnp_OrderInfo,
        ]
        .join("|")
    }

    pub fn sign(&mut self, hash_secret: &str) {
        self.vnp_SecureHash = hmac_sha512_hex(hash_secret.as_bytes(), self.hash_input().as_bytes());
    }

    pub fn verify(&self, hash_secret: &str) -> bool {
        verify_hmac_sha512_hex(
            hash_secret.as_bytes(),
            self.hash_input().as_bytes(),
            &self.vnp_SecureHash,
        )
    }
}

/// VNPay's answer to `querydr`.
#[allow(non_snake_case)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuerydrResponse {
    pub vnp_ResponseId: String,
    pub vnp_Command: String,
    pub vnp_ResponseCode: String,
    pub vnp_Message: String,
    pub vnp_TmnCode: String,
    pub vnp_TxnRef: String,
    pub vnp_Amount: String,
    pub vnp_BankCode: String,
    pub vnp_PayDate: String,
    pub vnp_TransactionNo: String,
    pub vnp_TransactionType: String,
    pub vnp_TransactionStatus: String,
    pub vnp_OrderInfo: String,
    pub vnp_PromotionCode: String,
    pub vnp_PromotionAmount: String,
    pub vnp_SecureHash: String,
}

impl QuerydrResponse {
    pub fn hash_input(&self) -> String {
        [
            self.vnp_ResponseId.as_str(),
            &self.vnp_Command,
            &self.vnp_ResponseCode,
            &self.vnp_Message,
            &self.vnp_TmnCode,
            &self.vnp_TxnRef,
            &self.vnp_Amount,
            &self.vnp_BankCode,
            &self.vnp_PayDate,
            &self.vnp_TransactionNo,
            &self.vnp_TransactionType,
            &self.vnp_TransactionStatus,
            &self.vnp_OrderInfo,
            &self.vnp_PromotionCode,
            &self.vnp_PromotionAmount,
        ]
        .join("|")
    }

    pub fn sign(&mut self, hash_secret: &str) {
        self.vnp_SecureHash = hmac_sha512_hex(hash_secret.as_bytes(), self.hash_input().as_bytes());
    }

    pub fn verify(&self, hash_secret: &str) -> bool {
        verify_hmac_sha512_hex(
            hash_secret.as_bytes(),
            self.hash_input().as_bytes(),
            &self.vnp_SecureHash,
        )
    }
}

/// Body of MoMo's query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MomoQueryRequest {
    pub partner_code: String,
    pub request_id: String,
    pub order_id: String,
    pub lang: String,
    pub signature: String,
}

impl MomoQueryRequest {
    pub fn raw_signature(&self, access_key: &str) -> String {
        format!(
            "accessKey={access_key}&orderId={}&partnerCode={}&requestId={}",
            self.order_id, self.partner_code, self.request_id
        )
    }

    pub fn sign(&mut self, access_key: &str, secret_key: &str) {
        self.signature = hmac_sha256_hex(
            secret_key.as_bytes(),
            self.raw_signature(access_key).as_bytes(),
        );
    }

    pub fn verify(&self, access_key: &str, secret_key: &str) -> bool {
        super::mac::verify_hmac_sha256_hex(
            secret_key.as_bytes(),
            self.raw_signature(access_key).as_bytes(),
            &self.signature,
        )
    }
}

/// MoMo's answer to a query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MomoQueryResponse {
    pub partner_code: String,
    pub order_id: String,
    pub request_id: String,
    pub amount: u64,
    pub trans_id: u64,
    pub result_code: i32,
    pub message: String,
    pub response_time: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn querydr_hashes_are_pipe_joined_and_checked() {
        let mut q = QuerydrRequest {
            vnp_RequestId: "r1".into(),
            vnp_Version: "2.1.0".into(),
            vnp_Command: "querydr".into(),
            vnp_TmnCode: "DEMO0001".into(),
            vnp_TxnRef: "pay_1".into(),
            vnp_OrderInfo: "Nap vi pay_1".into(),
            vnp_TransactionDate: "20261207090000".into(),
            vnp_CreateDate: "20261207091000".into(),
            vnp_IpAddr: "127.0.0.1".into(),
            vnp_SecureHash: String::new(),
        };
        assert_eq!(
            q.hash_input(),
            "r1|2.1.0|querydr|DEMO0001|pay_1|20261207090000|20261207091000|127.0.0.1|Nap vi pay_1"
        );
        q.sign("secret");
        assert!(q.verify("secret"));
        assert!(!q.verify("other"));
        let mut r = QuerydrResponse {
            vnp_ResponseCode: "00".into(),
            vnp_TransactionStatus: "00".into(),
            ..QuerydrResponse::default()
        };
        r.sign("secret");
        assert!(r.verify("secret"));
        r.vnp_TransactionStatus = "02".into();
        assert!(!r.verify("secret"), "a changed status breaks the hash");
    }

    #[test]
    fn momo_query_is_signed_over_four_fields() {
        let mut q = MomoQueryRequest {
            partner_code: "MOMO".into(),
            request_id: "q1".into(),
            order_id: "pay_1".into(),
            lang: "vi".into(),
            signature: String::new(),
        };
        assert_eq!(
            q.raw_signature("ak"),
            "accessKey=ak&orderId=pay_1&partnerCode=MOMO&requestId=q1"
        );
        q.sign("ak", "sk");
        assert!(q.verify("ak", "sk"));
        assert!(!q.verify("ak", "other"));
    }
}
