//! Asking a provider what became of a top-up order whose callback is late, or never
//! comes (ZaloPay sends none for a cancelled order): VNPay `querydr`, MoMo's query,
//! ZaloPay `/v2/query`. Wire formats in [`crate::providers::queries`].

use chrono::{DateTime, Utc};

use super::http::{client, post_json};
use super::{FundingError, MomoCredentials, Provider, VnpayCredentials, ZaloPayCredentials};
use crate::providers::queries::{
    MomoQueryRequest, MomoQueryResponse, QuerydrRequest, QuerydrResponse, MOMO_QUERY_PATH,
    VNPAY_QUERY_PATH, ZALOPAY_QUERY_PATH,
};
use crate::providers::vnpay::{format_date, from_vnp_amount, VERSION};
use crate::providers::zalopay::{ApiResponse, QueryOrderRequest};
use std::time::Duration;

/// What a provider says of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// Paid: credit the payer.
    Paid {
        amount: i64,
        transaction_id: Option<String>,
        result_code: String,
    },
    /// Finished without payment (cancelled, declined, expired at the provider).
    Declined { result_code: String },
    /// Still waiting for the payer.
    Pending,
    /// The provider has no such order (a VNPay payer never opened the page).
    NotFound,
}

/// Queries the three providers.
#[derive(Debug, Clone)]
pub struct OrderQueries {
    client: reqwest::Client,
    timeout: Duration,
    vnpay_url: String,
    vnpay: VnpayCredentials,
    momo_url: String,
    momo: MomoCredentials,
    zalopay_url: String,
    zalopay: ZaloPayCredentials,
}

/// The provider APIs' base URLs and credentials.
pub struct QueryTargets {
    pub vnpay_base_url: String,
    pub vnpay: VnpayCredentials,
    pub momo_base_url: String,
    pub momo: MomoCredentials,
    pub zalopay_base_url: String,
    pub zalopay: ZaloPayCredentials,
}

fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

impl OrderQueries {
    pub fn new(targets: QueryTargets, timeout: Duration) -> Result<Self, FundingError> {
        Ok(Self {
            client: client(Provider::Vnpay, timeout)?,
            timeout,
            vnpay_url: join(&targets.vnpay_base_url, VNPAY_QUERY_PATH),
            vnpay: targets.vnpay,
            momo_url: join(&targets.momo_base_url, MOMO_QUERY_PATH),
            momo: targets.momo,
            zalopay_url: join(&targets.zalopay_base_url, ZALOPAY_QUERY_PATH),
            zalopay: targets.zalopay,
        })
    }

    /// Asks `provider` about the order it knows as `reference`, created at
    /// `created_at` (VNPay needs the creation time to find it).
    pub async fn query(
        &self,
        provider: Provider,
        reference: &str,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<OrderState, FundingError> {
        match provider {
            Provider::Vnpay => self.vnpay(reference, created_at, now).await,
            Provider::Momo => self.momo(reference).await,
            Provider::Zalopay => self.zalopay(reference).await,
        }
    }

    async fn vnpay(
        &self,
        reference: &str,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<OrderState, FundingError> {
        let secret = self.vnpay.hash_secret.expose();
        let mut request = QuerydrRequest {
            vnp_RequestId: format!("q{}", now.timestamp_millis()),
            vnp_Version: VERSION.to_owned(),
            vnp_Command: "querydr".to_owned(),
            vnp_TmnCode: self.vnpay.tmn_code.clone(),
            vnp_TxnRef: reference.to_owned(),
            vnp_OrderInfo: format!("Tra cuu {reference}"),
            vnp_TransactionDate: format_date(created_at),
            vnp_CreateDate: format_date(now),
            vnp_IpAddr: "127.0.0.1".to_owned(),
            vnp_SecureHash: String::new(),
        };
        request.sign(secret);
        let answer: QuerydrResponse = post_json(
            Provider::Vnpay,
            &self.client,
            &self.vnpay_url,
            self.timeout,
            &request,
        )
        .await?;
        let malformed = |reason: &str| FundingError::MalformedResponse {
            provider: Provider::Vnpay,
            reason: reason.to_owned(),
        };
        match answer.vnp_ResponseCode.as_str() {
            "91" => return Ok(OrderState::NotFound),
            "00" => {}
            other => {
                return Err(FundingError::Rejected {
                    provider: Provider::Vnpay,
                    code: other.to_owned(),
                    message: answer.vnp_Message,
                })
            }
        }
        if !answer.verify(secret) {
            return Err(malformed("bad vnp_SecureHash"));
        }
        if answer.vnp_TxnRef != reference || answer.vnp_TmnCode != self.vnpay.tmn_code {
            return Err(malformed("an answer about another order"));
        }
        // 00 paid; 01 not completed yet; anything else finished unpaid (domain doc §2).
        Ok(match answer.vnp_TransactionStatus.as_str() {
            "00" => OrderState::Paid {
                amount: from_vnp_amount(&answer.vnp_Amount)
                    .ok()
                    .and_then(|a| i64::try_from(a).ok())
                    .ok_or_else(|| malformed("vnp_Amount"))?,
                transaction_id: Some(answer.vnp_TransactionNo)
                    .filter(|t| !t.is_empty() && t != "0"),
                result_code: "00".to_owned(),
            },
            "01" => OrderState::Pending,
            other => OrderState::Declined {
                result_code: other.to_owned(),
            },
        })
    }

    async fn momo(&self, reference: &str) -> Result<OrderState, FundingError> {
        let mut request = MomoQueryRequest {
            partner_code: self.momo.partner_code.clone(),
            request_id: format!("q-{reference}-{}", Utc::now().timestamp_millis()),
            order_id: reference.to_owned(),
            lang: "vi".to_owned(),
            signature: String::new(),
        };
        request.sign(self.momo.access_key.expose(), self.momo.secret_key.expose());
        let answer: MomoQueryResponse = post_json(
            Provider::Momo,
            &self.client,
            &self.momo_url,
            self.timeout,
            &request,
        )
        .await?;
        if answer.order_id != reference || answer.partner_code != self.momo.partner_code {
            return Err(FundingError::MalformedResponse {
                provider: Provider::Momo,
                reason: "an answer about another order".to_owned(),
            });
        }
        Ok(match answer.result_code {
            0 => OrderState::Paid {
                amount: i64::try_from(answer.amount).unwrap_or(i64::MAX),
                transaction_id: Some(answer.trans_id.to_string()),
                result_code: "0".to_owned(),
            },
            1000 | 7000 | 7002 => OrderState::Pending,
            42 => OrderState::NotFound,
            other => OrderState::Declined {
                result_code: other.to_string(),
            },
        })
    }

    async fn zalopay(&self, reference: &str) -> Result<OrderState, FundingError> {
        let request =
            QueryOrderRequest::signed(self.zalopay.app_id, reference, self.zalopay.key1.expose());
        let answer: ApiResponse = post_json(
            Provider::Zalopay,
            &self.client,
            &self.zalopay_url,
            self.timeout,
            &request,
        )
        .await?;
        // return_code 1 paid, 2 failed, 3 processing (domain doc §4).
        Ok(match answer.return_code {
            1 => OrderState::Paid {
                amount: answer
                    .amount
                    .and_then(|a| i64::try_from(a).ok())
                    .unwrap_or(0),
                transaction_id: answer.zp_trans_id.map(|id| id.to_string()),
                result_code: "1".to_owned(),
            },
            3 => OrderState::Pending,
            other => OrderState::Declined {
                result_code: format!("{other}/{}", answer.sub_return_code),
            },
        })
    }
}
