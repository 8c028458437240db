//! A process that dies while an outside system acts on a payment: the bank has moved
//! the money, the gateway never heard back, and the request was never answered. A
//! retry under the same key must take the payment over (within seconds, not after a
//! lock expires), ask the bank again with the same reference (it answers from its
//! record) and finish it, moving money once; while the payment's driver is alive, the
//! retry must be told it is still in progress.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use e2e::{Citizen, TestGateway, ADMIN_TOKEN};
use serde_json::json;

fn sql(url: &str, statement: &str, payment_id: &str) {
    let mut conn = diesel::pg::PgConnection::establish(url).unwrap();
    diesel::sql_query(statement)
        .bind::<diesel::sql_types::Text, _>(payment_id)
        .execute(&mut conn)
        .unwrap();
}

#[tokio::test]
async fn a_retry_takes_over_a_payment_whose_driver_died_and_moves_money_once() {
    // The gateway gives up on the bank after 300 ms; the bank credits at once but
    // answers only after 2 s: exactly "it acted, we never heard".
    let gw = TestGateway::start_with(HashMap::from([("OUTSIDE_TIMEOUT_MS", "300")])).await;
    let who = Citizen::hanoi(40);
    let (session, link) = gw
        .funded_citizen(&who, "0011000000040", 5_000_000, 1_000_000)
        .await;
    let body = json!({"amount": 100_000, "bank_link_id": link});
    gw.bank_faults("timeout", 2_000).await;
    let (status, first) = gw
        .post_as(&session, "/v1/me/withdrawals", "crash-1", body.clone())
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "pending");
    let payment_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        gw.bank_balance("970436", "0011000000040").await,
        4_100_000,
        "the bank credited the account"
    );
    gw.bank_faults("none", 0).await;

    // What a process that died mid-drive leaves: no answer under the key, and the
    // payment driven by an instance that is not alive.
    sql(
        &gw.database_url,
        "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, \
         completed_at = NULL WHERE resource_id = $1",
        &payment_id,
    );
    // A live instance holds it: the retry is told the request is still running.
    let other = "0b8f9b7e-9c9f-4d35-9d2a-2f2a4c0c0a11";
    sql(
        &gw.database_url,
        &format!("INSERT INTO gateway_instances SELECT '{other}', now(), now() WHERE $1 <> ''"),
        &payment_id,
    );
    sql(
        &gw.database_url,
        &format!("UPDATE payments SET driver = '{other}' WHERE id = $1"),
        &payment_id,
    );
    let (status, busy) = gw
        .post_as(&session, "/v1/me/withdrawals", "crash-1", body.clone())
        .await;
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["error"]["code"], "idempotency_key_in_progress");

    // It dies (stops beating): within a few seconds the retry takes over.
    let started = Instant::now();
    let finished = loop {
        let (status, answer) = gw
            .post_as(&session, "/v1/me/withdrawals", "crash-1", body.clone())
            .await;
        if status != 409 {
            assert_eq!(status, 201, "{answer}");
            break answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the dead driver still blocks after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(finished["id"], payment_id.as_str());
    assert_eq!(finished["status"], "succeeded");
    assert_eq!(
        gw.bank_balance("970436", "0011000000040").await,
        4_100_000,
        "credited once"
    );
    assert_eq!(gw.wallet_balance(&session).await, 900_000, "debited once");
    let (_, verify) = gw.get("/v1/admin/ledger/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(verify["ok"], true);

    // From now on the answer replays.
    let res = gw
        .client
        .post(gw.url("/v1/me/withdrawals"))
        .bearer_auth(&session.token)
        .header("idempotency-key", "crash-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
}
