//! The VNPay simulator, under `/vnpay`: the payment page the signed URL points at
//! (`GET /paymentv2/vpcpay.html?vnp_...`), and the IPN: a GET of the configured IPN
//! URL with the signed `vnp_*` query, acknowledged by `{"RspCode": "00"|"02"}`.

use super::control;
use super::delivery::Callback;
use super::page::order_page;
use super::store::{CreateError, Outcome, PageRefusal, Wallet, WalletState};
use super::ProviderSimConfig;
use crate::funding::vnpay::PAYMENT_PATH;
use crate::funding::{VnpayCredentials, MAX_AMOUNT};
use crate::providers::vnpay::{self, IpnResponse};
use crate::simulator::reply;
use crate::statement::StatementSource;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Where the gateway receives IPNs (api.md), under its base URL: VNPay's IPN URL is a
/// merchant-portal setting, not part of the payment request.
pub const IPN_PATH: &str = "/v1/callbacks/vnpay/ipn";
/// The key forged signatures are made with.
const FORGER_SECRET: &str = "not-the-merchant-hash-secret";
/// VNPay's limit on `vnp_TxnRef`.
const MAX_TXN_REF_LEN: usize = 100;

/// The simulated terminal.
pub(crate) struct VnpayWallet {
    credentials: VnpayCredentials,
    ipn_url: String,
}

/// A payment request as the payment page received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VnpayOrder {
    txn_ref: String,
    amount: i64,
    order_info: String,
    create_date: String,
}

pub(crate) type VnpayState = WalletState<VnpayWallet>;

impl VnpayState {
    pub(crate) fn from_config(config: &ProviderSimConfig) -> Self {
        let wallet = VnpayWallet {
            credentials: config.vnpay.clone(),
            ipn_url: format!(
                "{}{IPN_PATH}",
                config.gateway_base_url.trim_end_matches('/')
            ),
        };
        WalletState::new(wallet, config)
    }
}

impl Wallet for VnpayWallet {
    type Order = VnpayOrder;
    // VNPay retries failed IPNs several times; five keeps a demo's failures short.
    const ATTEMPTS: u32 = 5;

    fn amount(order: &VnpayOrder) -> i64 {
        order.amount
    }

    fn callback_url(&self, _order: &VnpayOrder) -> String {
        self.ipn_url.clone()
    }

    fn transaction_id(sequence: u64, _at: DateTime<Utc>) -> u64 {
        // Eight digits, like the sandbox's `vnp_TransactionNo`.
        14_000_000 + sequence
    }

    fn callback(&self, order: &VnpayOrder, outcome: &Outcome) -> Option<Callback> {
        let (response_code, status) = match (outcome.paid, outcome.decline) {
            (true, _) => ("00".to_owned(), "00"),
            (false, Some(code)) => (Self::format_decline(code), "02"),
            // 24: the customer cancelled; 02: the transaction ended in error.
            (false, None) => ("24".to_owned(), "02"),
        };
        let mut params = BTreeMap::new();
        let mut put = |key: &str, value: String| {
            params.insert(key.to_owned(), value);
        };
        put("vnp_Amount", outcome.amount.saturating_mul(100).to_string());
        put("vnp_BankCode", "NCB".to_owned());
        if outcome.paid {
            put("vnp_BankTranNo", format!("VNP{}", outcome.transaction_id));
        }
        put("vnp_CardType", "ATM".to_owned());
        put("vnp_OrderInfo", order.order_info.clone());
        put("vnp_PayDate", vnpay::format_date(outcome.at));
        put("vnp_ResponseCode", response_code);
        put("vnp_TmnCode", self.credentials.tmn_code.clone());
        put("vnp_TransactionNo", outcome.transaction_id.to_string());
        put("vnp_TransactionStatus", status.to_owned());
        put("vnp_TxnRef", order.txn_ref.clone());
        let secret = if outcome.bad_signature {
            FORGER_SECRET
        } else {
            self.credentials.hash_secret.expose()
        };
        let url = vnpay::signed_payment_url(&self.ipn_url, &params, secret);
        Some(Callback::Get { url })
    }

    fn acknowledged(status: u16, body: &str) -> bool {
        status == 200
            && serde_json::from_str::<IpnResponse>(body)
                .is_ok_and(|reply| reply.rsp_code == "00" || reply.rsp_code == "02")
    }

    const SOURCE: StatementSource = StatementSource::Vnpay;

    fn statement_account(&self) -> String {
        self.credentials.tmn_code.clone()
    }

    /// A two-digit `vnp_ResponseCode` other than 00 (e.g. 24 cancelled, 51 insufficient
    /// funds).
    fn decline_code(code: &str) -> Option<i32> {
        let code = code.trim();
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) || code == "00" {
            return None;
        }
        code.parse().ok()
    }

    fn format_decline(code: i32) -> String {
        format!("{code:02}")
    }

    fn order_from_page(
        &self,
        query: &[(String, String)],
    ) -> Result<(String, VnpayOrder), PageRefusal> {
        order_from_query(&self.credentials, query)
    }
}

impl VnpayWallet {
    pub(super) fn credentials(&self) -> &VnpayCredentials {
        &self.credentials
    }
}

/// Mounts the VNPay routes; the caller puts them under `/vnpay`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: web::Data<VnpayState>) {
    cfg.app_data(state)
        .route(PAYMENT_PATH, web::get().to(payment_page))
        .route(
            crate::providers::queries::VNPAY_QUERY_PATH,
            web::post().to(super::queries::vnpay),
        );
    control::routes::<VnpayWallet>(cfg);
}

fn bad_request(code: &str, message: &str) -> HttpResponse {
    reply::error(StatusCode::BAD_REQUEST, code, message)
}

fn refused(code: &'static str, message: &str) -> PageRefusal {
    PageRefusal {
        code,
        message: message.to_owned(),
    }
}

/// Checks a payment URL's query as VNPay's page does: the order it describes.
fn order_from_query(
    credentials: &VnpayCredentials,
    params: &[(String, String)],
) -> Result<(String, VnpayOrder), PageRefusal> {
    if !vnpay::verify_return(params, credentials.hash_secret.expose()) {
        return Err(refused(
            "invalid_signature",
            "vnp_SecureHash does not verify",
        ));
    }
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    if get("vnp_TmnCode") != credentials.tmn_code {
        return Err(refused("invalid_terminal", "unknown vnp_TmnCode"));
    }
    if get("vnp_Version") != vnpay::VERSION
        || get("vnp_Command") != "pay"
        || get("vnp_CurrCode") != "VND"
    {
        return Err(refused(
            "invalid_request",
            "expected vnp_Version 2.1.0, vnp_Command pay, vnp_CurrCode VND",
        ));
    }
    let amount = match vnpay::from_vnp_amount(get("vnp_Amount")).map(i64::try_from) {
        Ok(Ok(amount)) if (1..=MAX_AMOUNT).contains(&amount) => amount,
        _ => {
            return Err(refused(
                "invalid_amount",
                "vnp_Amount must be 1 to 10^15 dong × 100",
            ))
        }
    };
    let txn_ref = get("vnp_TxnRef");
    if txn_ref.is_empty() || txn_ref.len() > MAX_TXN_REF_LEN {
        return Err(refused(
            "invalid_txn_ref",
            "vnp_TxnRef must be 1 to 100 characters",
        ));
    }
    match vnpay::parse_date(get("vnp_ExpireDate")) {
        Some(expiry) if expiry > Utc::now() => {}
        Some(_) => return Err(refused("order_expired", "vnp_ExpireDate has passed")),
        None => {
            return Err(refused(
                "invalid_request",
                "vnp_ExpireDate must be yyyyMMddHHmmss",
            ))
        }
    }
    let order = VnpayOrder {
        txn_ref: txn_ref.to_owned(),
        amount,
        order_info: get("vnp_OrderInfo").to_owned(),
        create_date: get("vnp_CreateDate").to_owned(),
    };
    Ok((txn_ref.to_owned(), order))
}

/// The payment page: checks the request as VNPay does, then stores the order.
async fn payment_page(
    state: web::Data<VnpayState>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let (txn_ref, order) = match order_from_query(&state.wallet.credentials, &query) {
        Ok(found) => found,
        Err(refusal) => return bad_request(refusal.code, &refusal.message),
    };
    match state.create(&txn_ref, order.clone()) {
        Ok(()) => order_page("VNPay", "/vnpay", &txn_ref, order.amount, &order.order_info),
        Err(CreateError::Duplicate) => reply::error(
            StatusCode::CONFLICT,
            "duplicate_txn_ref",
            "another order already uses this vnp_TxnRef",
        ),
        Err(CreateError::Full) => reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_orders",
            "the simulator holds too many orders",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipn_is_acknowledged_by_00_and_02_only() {
        assert!(VnpayWallet::acknowledged(
            200,
            r#"{"RspCode":"00","Message":"Confirm Success"}"#
        ));
        assert!(VnpayWallet::acknowledged(
            200,
            r#"{"RspCode":"02","Message":"x"}"#
        ));
        assert!(!VnpayWallet::acknowledged(
            200,
            r#"{"RspCode":"97","Message":"x"}"#
        ));
        assert!(!VnpayWallet::acknowledged(
            500,
            r#"{"RspCode":"00","Message":"x"}"#
        ));
        assert!(!VnpayWallet::acknowledged(200, "OK"));
    }
}
