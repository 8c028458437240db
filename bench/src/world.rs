//! Setting the scene through the real API: citizens with bank accounts at the NAPAS
//! simulator, signed in, linked and funded; a merchant; bills at the EVN simulator.

use std::time::Duration;

use serde_json::{json, Value};

/// A signed-in, funded citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub cccd: String,
    pub token: String,
}

/// A merchant's credentials, as onboarding showed them.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub api_key: String,
    pub signing_secret: String,
    /// Its ledger account (`acc_...`).
    pub account: String,
}

pub struct World {
    pub gateway: String,
    pub simulators: String,
    pub admin_token: String,
    pub http: reqwest::Client,
}

/// A structurally valid CCCD number for citizen `n`: born in Hà Nội in 1990.
pub fn cccd(n: usize) -> String {
    format!("001090{:06}", n % 1_000_000)
}

fn fail(what: &str, status: u16, body: &Value) -> String {
    format!("{what}: {status} {body}")
}

impl World {
    pub fn new(gateway: &str, simulators: &str, admin_token: &str) -> Self {
        Self {
            gateway: gateway.trim_end_matches('/').to_string(),
            simulators: simulators.trim_end_matches('/').to_string(),
            admin_token: admin_token.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn post(
        &self,
        url: String,
        token: Option<&str>,
        key: Option<&str>,
        body: Value,
    ) -> Result<(u16, Value), String> {
        let mut req = self.http.post(url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let value = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// Citizen `n`: a bank account, a session, a link and a top-up of `funds`.
    pub async fn citizen(&self, n: usize, funds: i64) -> Result<Citizen, String> {
        let cccd = cccd(n);
        let name = format!("Công dân {n}");
        let account = format!("0011{:09}", n);
        let (status, body) = self
            .post(
                format!("{}/napas/accounts", self.simulators),
                None,
                None,
                json!({"bank_bin": "970436", "account_number": account, "holder_cccd": cccd,
                       "holder_name": name, "balance": funds * 10}),
            )
            .await?;
        if status != 201 && status != 409 {
            return Err(fail("bank account", status, &body));
        }
        let (status, body) = self
            .post(
                format!("{}/vneid/assertions", self.simulators),
                None,
                None,
                json!({"cccd": cccd, "name": name, "birth_date": "1990-03-15",
                       "phone": format!("09{:08}", n), "level": 2, "auth": "password"}),
            )
            .await?;
        if status != 201 {
            return Err(fail("assertion", status, &body));
        }
        let (status, body) = self
            .post(
                format!("{}/v1/sessions", self.gateway),
                None,
                None,
                json!({"assertion": body["assertion"]}),
            )
            .await?;
        if status != 201 {
            return Err(fail("session", status, &body));
        }
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (status, link) = self
            .post(
                format!("{}/v1/me/bank-links", self.gateway),
                Some(&token),
                None,
                json!({"bank_bin": "970436", "account_number": account}),
            )
            .await?;
        if status != 201 {
            return Err(fail("bank link", status, &link));
        }
        let (status, body) = self
            .post(
                format!("{}/v1/me/topups", self.gateway),
                Some(&token),
                Some(&format!("fund-{n}-{}", rand::random::<u64>())),
                json!({"amount": funds, "source": {"bank_link_id": link["id"]}}),
            )
            .await?;
        if status != 201 || body["status"] != "succeeded" {
            return Err(fail("top-up", status, &body));
        }
        Ok(Citizen { cccd, token })
    }

    /// A merchant onboarded by the operator.
    pub async fn merchant(&self) -> Result<Merchant, String> {
        let (status, body) = self
            .post(
                format!("{}/v1/admin/merchants", self.gateway),
                Some(&self.admin_token),
                None,
                json!({"name": "Cửa hàng Đo tải", "tax_code": "0109876543",
                       "settlement": {"bank_bin": "970436", "account_number": "0011001234567"}}),
            )
            .await?;
        if status != 201 {
            return Err(fail("merchant", status, &body));
        }
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
        Ok(Merchant {
            api_key: text("api_key"),
            signing_secret: text("signing_secret"),
            account: text("ledger_account_id"),
        })
    }

    /// A signed merchant POST.
    pub fn merchant_request(
        &self,
        http: &reqwest::Client,
        merchant: &Merchant,
        path: &str,
        key: &str,
        body: &str,
    ) -> reqwest::RequestBuilder {
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signature = gateway::merchants::signature::sign(
            merchant.signing_secret.as_bytes(),
            "POST",
            path,
            &timestamp,
            &nonce,
            body.as_bytes(),
        );
        http.post(format!("{}{path}", self.gateway))
            .bearer_auth(&merchant.api_key)
            .header("idempotency-key", key)
            .header("x-timestamp", timestamp)
            .header("x-nonce", nonce)
            .header("x-signature", signature)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// A new payment request: its id and its VietQR payload. Made faster than the
    /// merchant's rate limit allows, it waits out each 429 and asks again (with a new
    /// nonce, under the same key).
    pub async fn payment_request(
        &self,
        merchant: &Merchant,
        n: usize,
    ) -> Result<(String, String), String> {
        let body = json!({"amount": 50_000, "order_ref": format!("ORDER-{n}"),
                          "capture": "automatic", "expires_in_seconds": 3_600})
        .to_string();
        let key = format!("req-{n}-{}", rand::random::<u64>());
        for _ in 0..30 {
            let res = self
                .merchant_request(
                    &self.http,
                    merchant,
                    "/v1/merchant/payment-requests",
                    &key,
                    &body,
                )
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = res.status().as_u16();
            let value = res.json::<Value>().await.unwrap_or(Value::Null);
            match status {
                201 => {
                    let text = |k: &str| value[k].as_str().unwrap_or_default().to_string();
                    return Ok((text("id"), text("qr")));
                }
                429 => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                _ => return Err(fail("payment request", status, &value)),
            }
        }
        Err(format!("payment request {n}: still rate-limited"))
    }

    /// An electricity bill issued at the EVN simulator and inquired by `citizen`.
    pub async fn bill(&self, citizen: &Citizen, n: usize) -> Result<String, String> {
        let code = format!("PD01{:09}", n);
        let (status, body) = self
            .post(
                format!("{}/evn/bills", self.simulators),
                None,
                None,
                json!({"customer_code": code, "customer_name": format!("Khách {n}"),
                       "period": "2026-11", "kwh": 50 + (n % 200)}),
            )
            .await?;
        if status != 201 {
            return Err(fail("bill", status, &body));
        }
        let (status, body) = self
            .post(
                format!("{}/v1/bills/inquiry", self.gateway),
                Some(&citizen.token),
                None,
                json!({"customer_code": code}),
            )
            .await?;
        if status != 200 {
            return Err(fail("inquiry", status, &body));
        }
        Ok(body["bill_id"].as_str().unwrap_or_default().to_string())
    }
}
