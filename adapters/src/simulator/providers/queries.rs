//! The providers' status queries, answered from the simulator's own orders: VNPay
//! `querydr`, MoMo's query and ZaloPay `/v2/query` (wire formats in
//! [`crate::providers::queries`]). A ZaloPay order cancelled at ZaloPay sends no
//! callback, so the query is how the gateway learns of it.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use super::momo::MomoState;
use super::store::OrderStatus;
use super::vnpay::VnpayState;
use super::zalopay::ZaloPayState;
use crate::providers::queries::{
    MomoQueryRequest, MomoQueryResponse, QuerydrRequest, QuerydrResponse,
};
use crate::providers::vnpay::format_date;
use crate::providers::zalopay::{ApiResponse, QueryOrderRequest};

/// `POST /vnpay/merchant_webapi/api/transaction` with `vnp_Command` = `querydr`.
pub(super) async fn vnpay(
    state: web::Data<VnpayState>,
    body: web::Json<QuerydrRequest>,
) -> HttpResponse {
    let request = body.into_inner();
    let credentials = state.wallet.credentials();
    let secret = credentials.hash_secret.expose();
    let mut answer = QuerydrResponse {
        vnp_ResponseId: format!("r{}", Utc::now().timestamp_millis()),
        vnp_Command: request.vnp_Command.clone(),
        vnp_TmnCode: credentials.tmn_code.clone(),
        vnp_TxnRef: request.vnp_TxnRef.clone(),
        vnp_OrderInfo: request.vnp_OrderInfo.clone(),
        ..QuerydrResponse::default()
    };
    let (code, message) = if !request.verify(secret) || request.vnp_TmnCode != credentials.tmn_code
    {
        ("97", "Checksum failed")
    } else if request.vnp_Command != "querydr" {
        ("99", "Unsupported command")
    } else {
        match state.state_of(&request.vnp_TxnRef) {
            None => ("91", "Transaction not found"),
            Some(order) => {
                answer.vnp_Amount = order.amount.saturating_mul(100).to_string();
                answer.vnp_BankCode = "NCB".to_owned();
                answer.vnp_TransactionType = "01".to_owned();
                answer.vnp_TransactionNo = order.transaction_id.unwrap_or(0).to_string();
                answer.vnp_TransactionStatus = match order.status {
                    OrderStatus::Paid => {
                        answer.vnp_PayDate = format_date(Utc::now());
                        "00"
                    }
                    OrderStatus::Pending => "01",
                    OrderStatus::Cancelled => "02",
                }
                .to_owned();
                ("00", "Query success")
            }
        }
    };
    answer.vnp_ResponseCode = code.to_owned();
    answer.vnp_Message = message.to_owned();
    answer.sign(secret);
    HttpResponse::Ok().json(answer)
}

/// `POST /momo/v2/gateway/api/query`.
pub(super) async fn momo(
    state: web::Data<MomoState>,
    body: web::Json<MomoQueryRequest>,
) -> HttpResponse {
    let request = body.into_inner();
    let credentials = state.wallet.credentials();
    let mut answer = MomoQueryResponse {
        partner_code: request.partner_code.clone(),
        order_id: request.order_id.clone(),
        request_id: request.request_id.clone(),
        response_time: u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0),
        ..MomoQueryResponse::default()
    };
    let signed = request.partner_code == credentials.partner_code
        && request.verify(
            credentials.access_key.expose(),
            credentials.secret_key.expose(),
        );
    (answer.result_code, answer.message) = if !signed {
        (13, "Authentication failed".to_owned())
    } else {
        match state.state_of(&request.order_id) {
            None => (42, "orderId not found".to_owned()),
            Some(order) => {
                answer.amount = u64::try_from(order.amount).unwrap_or(0);
                answer.trans_id = order.transaction_id.unwrap_or(0);
                match order.status {
                    OrderStatus::Paid => (0, "Successful.".to_owned()),
                    OrderStatus::Pending => (1000, "Waiting for the user to confirm.".to_owned()),
                    OrderStatus::Cancelled => match order.decline {
                        Some(code) => (code, super::momo::decline_message(code).to_owned()),
                        None => (1006, "The user denied the payment.".to_owned()),
                    },
                }
            }
        }
    };
    HttpResponse::Ok().json(answer)
}

/// `POST /zalopay/v2/query`.
pub(super) async fn zalopay(
    state: web::Data<ZaloPayState>,
    body: web::Json<QueryOrderRequest>,
) -> HttpResponse {
    let request = body.into_inner();
    let credentials = state.wallet.credentials();
    let failure = |sub_return_code: i32, message: &str| ApiResponse {
        return_code: 2,
        return_message: "Giao dịch thất bại".to_owned(),
        sub_return_code,
        sub_return_message: message.to_owned(),
        order_url: None,
        zp_trans_token: None,
        zp_trans_id: None,
        amount: None,
        refund_id: None,
    };
    if request.app_id != credentials.app_id || !request.verify(credentials.key1.expose()) {
        return HttpResponse::Ok().json(failure(-402, "mac not equal"));
    }
    let answer = match state.state_of(&request.app_trans_id) {
        None => failure(-401, "order not found"),
        Some(order) => {
            let status = order.status;
            let (return_code, message) = match status {
                OrderStatus::Paid => (1, "Giao dịch thành công"),
                OrderStatus::Pending => (3, "Giao dịch đang xử lý"),
                OrderStatus::Cancelled => (2, "Giao dịch thất bại"),
            };
            ApiResponse {
                return_code,
                return_message: message.to_owned(),
                sub_return_code: if status == OrderStatus::Cancelled {
                    order.decline.unwrap_or(-1)
                } else {
                    1
                },
                sub_return_message: message.to_owned(),
                order_url: None,
                zp_trans_token: None,
                zp_trans_id: order.transaction_id,
                amount: u64::try_from(order.amount).ok(),
                refund_id: None,
            }
        }
    };
    HttpResponse::Ok().json(answer)
}
