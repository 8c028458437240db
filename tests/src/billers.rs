//! Bills and insurance in tests: the biller simulators' control API.

use serde_json::{json, Value};

use crate::{Session, TestGateway, ADMIN_TOKEN};

/// Bills and insurance: the biller simulators' control API and the biller collection
/// accounts.
impl TestGateway {
    /// POST JSON to the simulators; returns status and JSON body.
    pub async fn simulator_post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.simulators_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// GET from the simulators; returns status and JSON body.
    pub async fn simulator_get(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.simulators_url))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// Issues an electricity bill at the EVN simulator and returns it.
    pub async fn evn_bill(&self, customer_code: &str, name: &str, period: &str, kwh: u32) -> Value {
        let (status, bill) = self
            .simulator_post(
                "/evn/bills",
                serde_json::json!({
                    "customer_code": customer_code, "customer_name": name,
                    "period": period, "kwh": kwh,
                }),
            )
            .await;
        assert_eq!(status, 201, "{bill}");
        bill
    }

    /// Sets a biller simulator's fault mode (`system`: `evn`, `water` or `vss`).
    pub async fn biller_faults(&self, system: &str, mode: &str, delay_ms: u64) {
        let (status, body) = self
            .simulator_post(
                &format!("/{system}/faults"),
                serde_json::json!({ "mode": mode, "delay_ms": delay_ms }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The public id of a biller's collection account.
    pub fn biller_collection_account(code: &str) -> String {
        let name = gateway::system_accounts::biller_collection(code);
        gateway::ids::encode(
            gateway::ids::ACCOUNT,
            gateway::system_accounts::system_account_id(&name),
        )
    }

    /// A biller's collection account as the operator reads it.
    pub async fn biller_collection(&self, code: &str) -> Value {
        let id = Self::biller_collection_account(code);
        let (status, account) = self
            .get(&format!("/v1/accounts/{id}"), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(status, 200, "{account}");
        account
    }

    /// Polls a payment until it leaves `pending` (or `timeout_secs` pass) and returns it.
    pub async fn settled_payment(&self, session: &Session, id: &str, timeout_secs: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_secs);
        loop {
            let (status, payment) = self
                .get(&format!("/v1/payments/{id}"), Some(&session.token))
                .await;
            assert_eq!(status, 200, "{payment}");
            if payment["status"] != "pending" || std::time::Instant::now() > deadline {
                return payment;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// Requests a citizen makes about bills and insurance.
/// 250 kWh in 2025-06 under Decision 1279 with VAT 8% (domain doc §6.1).
pub const BILL_250_KWH: i64 = 636_768;

pub async fn inquire(gw: &TestGateway, who: &Session, body: Value) -> (u16, Value) {
    gw.post_raw(
        "/v1/bills/inquiry",
        Some(&who.token),
        &[],
        &body.to_string(),
    )
    .await
}

pub async fn bill_id(gw: &TestGateway, who: &Session, customer_code: &str) -> String {
    let (status, bill) = inquire(gw, who, json!({ "customer_code": customer_code })).await;
    assert_eq!(status, 200, "{bill}");
    bill["bill_id"].as_str().unwrap().to_string()
}

pub async fn pay_bill(gw: &TestGateway, who: &Session, key: &str, bill_id: &str) -> (u16, Value) {
    gw.post_as(
        who,
        "/v1/payments",
        key,
        json!({ "type": "bill", "bill_id": bill_id }),
    )
    .await
}

pub async fn quote(gw: &TestGateway, who: &Session, body: Value) -> (u16, Value) {
    gw.post_raw(
        "/v1/insurance/quotes",
        Some(&who.token),
        &[],
        &body.to_string(),
    )
    .await
}

pub async fn balance_and_available(gw: &TestGateway, who: &Session) -> (i64, i64) {
    let (status, me) = gw.get("/v1/me", Some(&who.token)).await;
    assert_eq!(status, 200, "{me}");
    (
        me["wallet"]["balance"].as_i64().unwrap(),
        me["wallet"]["available"].as_i64().unwrap(),
    )
}
