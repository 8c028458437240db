//! A crash between the ledger write and storing the response must not let a retry
//! move money twice: the retry finds the payment its key created and resumes it, and
//! the ledger transfer's id derives from the payment, so it applies once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::{Connection, RunQueryDsl};
use e2e::{Citizen, TestGateway, ADMIN_TOKEN};
use gateway::payments::flows::ledger_transfer_id;
use serde_json::json;

#[tokio::test]
async fn a_retry_after_a_crash_resumes_the_payment_and_moves_money_once() {
    let gw = TestGateway::start().await;
    let payer = Citizen::hanoi(40);
    let payee = Citizen::saigon(41);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000040", 5_000_000, 1_000_000)
        .await;
    let payee_session = gw.sign_in(&payee, 2).await;
    let payer_id = session.identity["id"].as_str().unwrap().to_string();
    let payee_id = payee_session.identity["id"].as_str().unwrap().to_string();
    let body = json!({"type": "transfer", "amount": 100_000, "payee": {"cccd": payee.cccd}});
    let payment_id = "pay_crashtest00000001";

    // What the first attempt left behind when the process died: the idempotency record
    // without a response, the payment still pending, and the ledger transfer applied.
    let mut conn = diesel::pg::PgConnection::establish(&gw.database_url).unwrap();
    diesel::sql_query(
        "INSERT INTO idempotency_keys (principal, key, request_hash, created_at) VALUES ($1, 'crash-1', $2, now())",
    )
    .bind::<diesel::sql_types::Text, _>(format!("citizen:{payer_id}"))
    .bind::<diesel::sql_types::Binary, _>(gateway::idempotency::request_hash(&body))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO payments (id, identity_id, idempotency_key, kind, amount, fee, status, capped, \
         payee_identity_id, created_at, updated_at) \
         VALUES ($1, $2, 'crash-1', 'transfer', 100000, 0, 'pending', true, $3, now(), now())",
    )
    .bind::<diesel::sql_types::Text, _>(payment_id)
    .bind::<diesel::sql_types::Text, _>(&payer_id)
    .bind::<diesel::sql_types::Text, _>(&payee_id)
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO payment_events (payment_id, status, at) VALUES ($1, 'pending', now())",
    )
    .bind::<diesel::sql_types::Text, _>(payment_id)
    .execute(&mut conn)
    .unwrap();
    let wallet = |s: &e2e::Session| {
        gateway::ids::decode(
            "account",
            gateway::ids::ACCOUNT,
            s.identity["wallet_account_id"].as_str().unwrap(),
        )
        .unwrap()
    };
    let applied = gw
        .ledger()
        .create_transfers(&[ledger::Transfer {
            id: ledger_transfer_id(payment_id, "move"),
            debit_account_id: wallet(&session),
            credit_account_id: wallet(&payee_session),
            amount: 100_000,
            ledger: 704,
            code: gateway::chart::Purpose::Transfer.code(),
            ..ledger::Transfer::default()
        }])
        .unwrap();
    assert_eq!(applied, vec![ledger::CreateTransferResult::Ok]);

    // The client retries with the same key and body.
    let (status, retried) = gw
        .post_as(&session, "/v1/payments", "crash-1", body.clone())
        .await;
    assert_eq!(status, 201, "{retried}");
    assert_eq!(retried["id"], payment_id);
    assert_eq!(retried["status"], "succeeded");
    assert_eq!(gw.wallet_balance(&session).await, 900_000, "debited once");
    assert_eq!(gw.wallet_balance(&payee_session).await, 100_000);
    let (_, verify) = gw.get("/v1/admin/ledger/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(
        verify["transfers_checked"], 2,
        "the top-up and this transfer, once"
    );

    // And from now on the stored response replays.
    let res = gw
        .client
        .post(gw.url("/v1/payments"))
        .bearer_auth(&session.token)
        .header("idempotency-key", "crash-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
}
