//! Citizens in tests: valid numbers, sessions from the VNeID simulator, bank
//! accounts at the NAPAS simulator, and the requests a citizen makes.

use serde_json::Value;

use crate::TestGateway;

/// A citizen for tests: a structurally valid number and matching birth date.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub cccd: String,
    pub name: String,
    pub birth_date: String,
    pub phone: String,
}

impl Citizen {
    /// A citizen born in Hà Nội in 1990 (male), made unique by `n`.
    pub fn hanoi(n: u32) -> Self {
        Self {
            cccd: format!("001090{:06}", n % 1_000_000),
            name: format!("Nguyễn Văn {n}"),
            birth_date: "1990-03-15".into(),
            phone: format!("09{:08}", n % 100_000_000),
        }
    }

    /// A citizen born in Hồ Chí Minh City in 2001 (female), made unique by `n`.
    pub fn saigon(n: u32) -> Self {
        Self {
            cccd: format!("079301{:06}", n % 1_000_000),
            name: format!("Trần Thị {n}"),
            birth_date: "2001-07-02".into(),
            phone: format!("08{:08}", n % 100_000_000),
        }
    }
}

/// A signed-in citizen.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub identity: Value,
}

impl TestGateway {
    /// An assertion from the VNeID simulator; `extra` adds or overrides fields.
    pub async fn assertion(&self, who: &Citizen, level: u8, auth: &str, extra: Value) -> String {
        let mut body = serde_json::json!({
            "cccd": who.cccd, "name": who.name, "birth_date": who.birth_date,
            "phone": who.phone, "level": level, "auth": auth,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let res = self
            .client
            .post(format!("{}/vneid/assertions", self.simulators_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["assertion"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs a citizen in at the given VNeID level.
    pub async fn sign_in(&self, who: &Citizen, level: u8) -> Session {
        let assertion = self.assertion(who, level, "password", Value::Null).await;
        let (status, body) = self
            .post_raw(
                "/v1/sessions",
                None,
                &[],
                &serde_json::json!({ "assertion": assertion }).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Session {
            token: body["access_token"].as_str().unwrap().to_string(),
            identity: body["identity"].clone(),
        }
    }

    /// Opens an account at the NAPAS simulator.
    pub async fn open_bank_account(&self, bin: &str, number: &str, holder: &Citizen, balance: i64) {
        let res = self
            .client
            .post(format!("{}/napas/accounts", self.simulators_url))
            .json(&serde_json::json!({
                "bank_bin": bin, "account_number": number,
                "holder_cccd": holder.cccd, "holder_name": holder.name, "balance": balance,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    /// The balance the NAPAS simulator holds for an account.
    pub async fn bank_balance(&self, bin: &str, number: &str) -> i64 {
        let res = self
            .client
            .get(format!(
                "{}/napas/accounts/{bin}/{number}",
                self.simulators_url
            ))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["balance"]
            .as_i64()
            .unwrap()
    }

    /// Sets the NAPAS simulator's fault mode.
    pub async fn bank_faults(&self, mode: &str, delay_ms: u64) {
        let res = self
            .client
            .post(format!("{}/napas/faults", self.simulators_url))
            .json(&serde_json::json!({ "mode": mode, "delay_ms": delay_ms }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    /// POST JSON as a citizen with an idempotency key.
    pub async fn post_as(
        &self,
        session: &Session,
        path: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        self.post_raw(
            path,
            Some(&session.token),
            &[("idempotency-key", key)],
            &body.to_string(),
        )
        .await
    }

    /// Links a bank account and returns the link id.
    pub async fn link_bank(&self, session: &Session, bin: &str, number: &str) -> String {
        let (status, body) = self
            .post_raw(
                "/v1/me/bank-links",
                Some(&session.token),
                &[],
                &serde_json::json!({ "bank_bin": bin, "account_number": number }).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// The citizen's wallet balance as `GET /v1/me` shows it.
    pub async fn wallet_balance(&self, session: &Session) -> i64 {
        let (status, me) = self.get("/v1/me", Some(&session.token)).await;
        assert_eq!(status, 200, "{me}");
        me["wallet"]["balance"].as_i64().unwrap()
    }

    /// A citizen with a linked bank account holding `bank_funds` and a wallet topped
    /// up with `wallet_funds` (level 2).
    pub async fn funded_citizen(
        &self,
        who: &Citizen,
        account: &str,
        bank_funds: i64,
        wallet_funds: i64,
    ) -> (Session, String) {
        self.open_bank_account("970436", account, who, bank_funds)
            .await;
        let session = self.sign_in(who, 2).await;
        let link = self.link_bank(&session, "970436", account).await;
        if wallet_funds > 0 {
            let (status, body) = self
                .post_as(
                    &session,
                    "/v1/me/topups",
                    &format!("fund-{account}"),
                    serde_json::json!({ "amount": wallet_funds, "source": { "bank_link_id": link } }),
                )
                .await;
            assert_eq!(
                (status, body["status"].as_str()),
                (201, Some("succeeded")),
                "{body}"
            );
        }
        (session, link)
    }
}

impl TestGateway {
    /// A transfer to the citizen with this CCCD number, built but not sent, for tests
    /// that send many at once from tasks of their own.
    pub fn transfer_request(
        &self,
        session: &Session,
        key: &str,
        amount: i64,
        cccd: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/v1/payments"))
            .bearer_auth(&session.token)
            .header("idempotency-key", key)
            .json(
                &serde_json::json!({"type": "transfer", "amount": amount, "payee": {"cccd": cccd}}),
            )
    }

    /// A transfer to the citizen with this CCCD number.
    pub async fn transfer_to_cccd(
        &self,
        session: &Session,
        key: &str,
        amount: i64,
        cccd: &str,
    ) -> (u16, Value) {
        let body =
            serde_json::json!({"type": "transfer", "amount": amount, "payee": {"cccd": cccd}});
        self.post_as(session, "/v1/payments", key, body).await
    }
}
