//! Wallet-provider top-ups in tests: starting one, acting on the provider simulator's
//! order, waiting for the outcome.

use serde_json::{json, Value};

use crate::{Session, TestGateway};

/// Starts a top-up through `provider` and opens the provider's page as the payer's
/// browser would (VNPay learns of the order there).
pub async fn start_topup(
    gw: &TestGateway,
    session: &Session,
    provider: &str,
    key: &str,
    amount: i64,
) -> Value {
    let (status, payment) = gw
        .post_as(
            session,
            "/v1/me/topups",
            key,
            json!({"amount": amount, "source": {"provider": provider}}),
        )
        .await;
    assert_eq!(status, 201, "{payment}");
    assert_eq!(payment["status"], "pending");
    assert_eq!(payment["provider"], provider);
    assert!(payment["redirect_url"]
        .as_str()
        .unwrap()
        .starts_with(&gw.simulators_url));
    // The payer's browser opens the provider's page (VNPay learns of the order there).
    let page = gw
        .client
        .get(payment["redirect_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success(), "{}", page.status());
    payment
}

/// A control action on a provider simulator's order (`pay`, `cancel`, `forge`, ...).
pub async fn control(
    gw: &TestGateway,
    provider: &str,
    reference: &str,
    action: &str,
    body: Value,
) -> Value {
    let res = gw
        .client
        .post(format!(
            "{}/{provider}/orders/{reference}/{action}",
            gw.simulators_url
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{action}: {}", res.status());
    res.json().await.unwrap()
}

/// Polls the payment until it reaches `want`.
pub async fn wait_for_status(gw: &TestGateway, session: &Session, id: &str, want: &str) -> Value {
    for _ in 0..60 {
        let (_, p) = gw
            .get(&format!("/v1/payments/{id}"), Some(&session.token))
            .await;
        if p["status"] == want {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("payment {id} never became {want}");
}
