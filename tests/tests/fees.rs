//! Configured fees: paid on top of the amount, to the gateway's fee revenue account,
//! in the same linked chain as the movement itself (all or nothing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use e2e::{assert_error, Citizen, TestGateway, ADMIN_TOKEN};
use serde_json::json;

async fn fee_revenue(gw: &TestGateway) -> i64 {
    let id = gateway::system_accounts::system_account_id(gateway::system_accounts::FEE_REVENUE);
    let account = gateway::ids::encode(gateway::ids::ACCOUNT, id);
    let (status, view) = gw
        .get(&format!("/v1/accounts/{account}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{view}");
    view["balance"].as_i64().unwrap()
}

#[tokio::test]
async fn fees_move_with_their_payment_or_not_at_all() {
    let gw = TestGateway::start_with(HashMap::from([
        ("FEE_TOPUP", "2000"),
        ("FEE_TRANSFER", "1000"),
        ("FEE_WITHDRAWAL", "3300"),
    ]))
    .await;
    let payer = Citizen::hanoi(80);
    let payee = Citizen::saigon(81);
    let (session, link) = gw
        .funded_citizen(&payer, "0011000000080", 10_000_000, 0)
        .await;
    let payee_session = gw.sign_in(&payee, 2).await;

    let (status, topup) = gw
        .post_as(
            &session,
            "/v1/me/topups",
            "t",
            json!({"amount": 1_000_000, "source": {"bank_link_id": link}}),
        )
        .await;
    assert_eq!(
        (status, topup["status"].as_str(), topup["fee"].as_i64()),
        (201, Some("succeeded"), Some(2_000))
    );
    assert_eq!(
        gw.bank_balance("970436", "0011000000080").await,
        10_000_000 - 1_002_000
    );
    assert_eq!(gw.wallet_balance(&session).await, 1_000_000);
    assert_eq!(fee_revenue(&gw).await, 2_000);

    let (status, transfer) = gw
        .transfer_to_cccd(&session, "p", 100_000, &payee.cccd)
        .await;
    assert_eq!(
        (status, transfer["fee"].as_i64()),
        (201, Some(1_000)),
        "{transfer}"
    );
    assert_eq!(gw.wallet_balance(&session).await, 899_000);
    assert_eq!(gw.wallet_balance(&payee_session).await, 100_000);
    assert_eq!(fee_revenue(&gw).await, 3_000);

    // The amount fits but the amount and the fee do not: nothing moves, fee included.
    let refused = gw
        .transfer_to_cccd(&session, "q", 898_500, &payee.cccd)
        .await;
    assert_error(&refused, 422, "insufficient_funds");
    assert_eq!(gw.wallet_balance(&session).await, 899_000);
    assert_eq!(gw.wallet_balance(&payee_session).await, 100_000);
    assert_eq!(fee_revenue(&gw).await, 3_000);

    let (status, withdrawal) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "w",
            json!({"amount": 500_000, "bank_link_id": link}),
        )
        .await;
    assert_eq!(
        (status, withdrawal["status"].as_str()),
        (201, Some("succeeded")),
        "{withdrawal}"
    );
    assert_eq!(gw.wallet_balance(&session).await, 899_000 - 503_300);
    assert_eq!(
        gw.bank_balance("970436", "0011000000080").await,
        10_000_000 - 1_002_000 + 500_000
    );
    assert_eq!(fee_revenue(&gw).await, 6_300);

    // A bank that refuses the withdrawal: the hold and its fee hold are both voided.
    gw.client
        .post(format!(
            "{}/napas/accounts/970436/0011000000080/close",
            gw.simulators_url
        ))
        .send()
        .await
        .unwrap();
    let (_, failed) = gw
        .post_as(
            &session,
            "/v1/me/withdrawals",
            "w2",
            json!({"amount": 100_000, "bank_link_id": link}),
        )
        .await;
    assert_eq!(failed["status"], "failed");
    let (_, me) = gw.get("/v1/me", Some(&session.token)).await;
    assert_eq!(
        (
            me["wallet"]["balance"].as_i64(),
            me["wallet"]["available"].as_i64()
        ),
        (Some(395_700), Some(395_700))
    );
    assert_eq!(fee_revenue(&gw).await, 6_300);

    let (_, trial) = gw
        .get("/v1/admin/ledger/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(trial["currencies"][0]["balanced"], true);
    let (_, verify) = gw.get("/v1/admin/ledger/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(verify["ok"], true);
}
