//! Merchants with citizens on home shards. A merchant is on every shard, with an
//! account on each; its payment requests are made on its own shard (their ids say
//! which). A payer on that shard pays as on one database. A payer on another shard
//! holds the money toward the merchant's account on their own shard, claims the
//! request on the merchant's shard, then the hold is posted (or kept, for a manual
//! capture) and the request lives on with its payment on the payer's shard: its
//! status, capture, refunds and webhooks. A claim refused voids the hold; a claim whose
//! payment failed is released.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::{Connection, PgConnection, RunQueryDsl};
use e2e::home_shards::{
    answered, assert_shards_balanced, citizens_on, routed_gateway_with, shard_of_key, RoutedGateway,
};
use e2e::{
    account_balance, assert_error, request_status, wallet_balances, Merchant, Session,
    WebhookReceiver, REQUESTS,
};
use serde_json::{json, Value};

#[derive(diesel::QueryableByName)]
struct Account {
    #[diesel(sql_type = diesel::sql_types::Text)]
    ledger_account_id: String,
}

/// The account the merchant's record in `database` names.
fn recorded_account(database: &str, m: &Merchant) -> String {
    let mut conn = PgConnection::establish(database).unwrap();
    let row: Account = diesel::sql_query(format!(
        "SELECT ledger_account_id FROM merchants WHERE id = '{}'",
        m.id
    ))
    .get_result(&mut conn)
    .unwrap();
    row.ledger_account_id
}

/// The merchant's account on `shard`, and what it holds there.
fn merchant_balance(c: &RoutedGateway, m: &Merchant, shard: usize) -> i64 {
    let recorded = recorded_account(&c.urls[shard], m);
    let id = gateway::ids::decode("account", "acc_", &recorded).unwrap();
    let account = c.shards[shard].lookup_accounts(&[id]).unwrap().remove(0);
    i64::try_from(account.credits_posted).unwrap() - i64::try_from(account.debits_posted).unwrap()
}

async fn request(c: &RoutedGateway, m: &Merchant, key: &str, body: Value) -> Value {
    let (status, made) = c.gw.merchant_post(m, REQUESTS, key, body).await;
    assert_eq!(status, 201, "{made}");
    made
}

async fn pay(c: &RoutedGateway, who: &Session, key: &str, request: &Value) -> (u16, Value) {
    let body = json!({"type": "merchant", "qr": request["qr"]});
    c.gw.post_as(who, "/v1/payments", key, body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn citizens_on_any_shard_pay_a_merchants_requests_once() {
    let c = routed_gateway_with(&[
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_RETRY_BASE_MS", "100"),
    ])
    .await;
    let gw = &c.gw;
    let hooks = WebhookReceiver::start(0).await;
    let m = gw.onboard_merchant(Some(&hooks.url)).await;
    let home = shard_of_key(&m.id);
    let away = 1 - home;
    // The catalog registers it, naming its account on its own shard.
    assert_eq!(
        recorded_account(&c.catalog_url, &m),
        recorded_account(&c.urls[usize::from(home)], &m)
    );
    assert_eq!(m.ledger_account_id, recorded_account(&c.catalog_url, &m));
    let local = citizens_on(home, 8_100, 1).remove(0);
    let mut far = citizens_on(away, 8_100, 2);
    let (remote, second) = (far.remove(0), far.remove(0));
    let (l, _) = gw
        .funded_citizen(&local, "8100000001", 2_000_000, 1_000_000)
        .await;
    let (r, _) = gw
        .funded_citizen(&remote, "8100000002", 2_000_000, 1_000_000)
        .await;
    let (s, _) = gw
        .funded_citizen(&second, "8100000003", 2_000_000, 1_000_000)
        .await;

    // Paid from the other shard: the payer has the answer when the request is paid.
    let req = request(&c, &m, "r-1", json!({"amount": 150_000, "order_ref": "A"})).await;
    let id = req["id"].as_str().unwrap().to_string();
    let paid = answered("succeeded", pay(&c, &r, "p-1", &req).await);
    assert_eq!(gw.wallet_balance(&r).await, 850_000);
    assert_eq!(merchant_balance(&c, &m, usize::from(away)), 150_000);
    assert_eq!(merchant_balance(&c, &m, usize::from(home)), 0);
    let read = request_status(gw, &m, &id).await;
    assert_eq!(read["status"], "paid", "{read}");
    assert_eq!(read["payment_id"], paid["id"]);
    hooks.wait_for("payment_request.paid", &id).await;
    // A replay is the same payment; nobody else can pay the request, on either shard.
    let again = pay(&c, &r, "p-1", &req).await;
    assert_eq!((again.0, &again.1["id"]), (201, &paid["id"]));
    assert_error(
        &pay(&c, &s, "p-2", &req).await,
        409,
        "payment_request_not_open",
    );
    assert_error(
        &pay(&c, &l, "p-3", &req).await,
        409,
        "payment_request_not_open",
    );
    assert_eq!(gw.wallet_balance(&s).await, 1_000_000);
    assert_eq!(gw.wallet_balance(&l).await, 1_000_000);
    assert_eq!(gw.wallet_balance(&r).await, 850_000);

    // A refund comes back from the merchant's account on the payer's shard.
    let path = format!("{REQUESTS}/{id}/refunds");
    let (status, refund) = gw
        .merchant_post(&m, &path, "f-1", json!({"amount": 50_000}))
        .await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["payment_request_status"], "partially_refunded");
    assert_eq!(gw.wallet_balance(&r).await, 900_000);
    assert_eq!(merchant_balance(&c, &m, usize::from(away)), 100_000);

    // A payer on the merchant's own shard pays as on one database.
    let near = request(&c, &m, "r-2", json!({"amount": 40_000, "order_ref": "B"})).await;
    answered("succeeded", pay(&c, &l, "p-4", &near).await);
    assert_eq!(merchant_balance(&c, &m, usize::from(home)), 40_000);

    // A manual capture from the other shard: authorized, then captured in part there,
    // the rest released to the payer.
    let body = json!({"amount": 100_000, "order_ref": "C", "capture": "manual"});
    let held = request(&c, &m, "r-3", body).await;
    let held_id = held["id"].as_str().unwrap().to_string();
    answered("authorized", pay(&c, &s, "p-5", &held).await);
    assert_eq!(wallet_balances(gw, &s).await, (1_000_000, 900_000));
    let capture = format!("{REQUESTS}/{held_id}/capture");
    let (status, captured) = gw
        .merchant_post(&m, &capture, "c-1", json!({"amount": 60_000}))
        .await;
    assert_eq!(status, 200, "{captured}");
    assert_eq!(captured["status"], "partially_captured");
    assert_eq!(wallet_balances(gw, &s).await, (940_000, 940_000));
    assert_eq!(merchant_balance(&c, &m, usize::from(away)), 160_000);
    hooks.wait_for("payment_request.captured", &held_id).await;

    // The merchant's account, as the API shows it, is its accounts on every shard.
    assert_eq!(merchant_balance(&c, &m, usize::from(home)), 40_000);
    assert_eq!(account_balance(gw, &m.ledger_account_id).await, 200_000);
    // Its revenue for the tax key, from what each shard's payers paid it.
    let year = (chrono::Utc::now() + chrono::Duration::hours(7)).format("%Y");
    let path = format!("/v1/merchant/reports/revenue?period={year}");
    let (status, revenue) = gw.merchant_get(&m, &path).await;
    assert_eq!(status, 200, "{revenue}");
    let totals = [&revenue["gross"], &revenue["refunds"], &revenue["net"]];
    assert_eq!(totals, [250_000, 50_000, 200_000], "{revenue}");
    assert_eq!(
        (&revenue["count"], &revenue["refund_count"]),
        (&json!(3), &json!(1))
    );

    // Every shard balances, and no clearing was needed for any of it.
    assert_shards_balanced(gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_whose_payment_failed_is_released_and_the_request_paid_by_another() {
    let c = routed_gateway_with(&[]).await;
    let gw = &c.gw;
    let m = gw.onboard_merchant(None).await;
    let home = shard_of_key(&m.id);
    let away = 1 - home;
    let mut far = citizens_on(away, 8_300, 2);
    let (poor, rich) = (far.remove(0), far.remove(0));
    let (p, _) = gw
        .funded_citizen(&poor, "8300000001", 2_000_000, 10_000)
        .await;
    let (r, _) = gw
        .funded_citizen(&rich, "8300000002", 2_000_000, 500_000)
        .await;

    let req = request(&c, &m, "r-1", json!({"amount": 70_000, "order_ref": "A"})).await;
    let id = req["id"].as_str().unwrap().to_string();
    // Refused before anything is claimed: the hold cannot be made.
    let refused = pay(&c, &p, "p-1", &req).await;
    assert_error(&refused, 422, "insufficient_funds");
    let failed = refused.1["error"]["details"]["payment_id"]
        .as_str()
        .unwrap()
        .to_string();

    // A claim left by that failed payment (as when the claim's answer was lost and
    // the payment failed for want of it) is released once looked at.
    let mut conn = PgConnection::establish(&c.urls[usize::from(home)]).unwrap();
    diesel::sql_query(format!(
        "UPDATE merchant_payment_requests SET payment_id = '{failed}', claimed_shard = {away}, \
         claimed_at = now() - interval '1 minute' WHERE id = '{id}'"
    ))
    .execute(&mut conn)
    .unwrap();
    assert_error(
        &pay(&c, &r, "p-2", &req).await,
        409,
        "payment_request_not_open",
    );
    // Meanwhile the merchant sees it open, paid by nothing.
    let seen = request_status(gw, &m, &id).await;
    assert_eq!(
        (&seen["status"], &seen["payment_id"]),
        (&json!("open"), &Value::Null)
    );
    #[derive(diesel::QueryableByName)]
    struct Claims {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut claimed = || {
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM merchant_payment_requests \
             WHERE id = '{id}' AND claimed_shard IS NOT NULL"
        ))
        .get_result::<Claims>(&mut conn)
        .unwrap()
        .n
    };
    for _ in 0..100 {
        if claimed() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        claimed(),
        0,
        "the failed payment's claim was never released"
    );
    answered("succeeded", pay(&c, &r, "p-3", &req).await);
    assert_eq!(gw.wallet_balance(&r).await, 430_000);
    assert_eq!(request_status(gw, &m, &id).await["status"], "paid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_from_another_shard_confirmed_by_step_up_claims_the_request_then() {
    let c = routed_gateway_with(&[("STEP_UP_DAILY_LIMIT", "300000")]).await;
    let gw = &c.gw;
    let m = gw.onboard_merchant(None).await;
    let away = 1 - shard_of_key(&m.id);
    let payer = citizens_on(away, 8_500, 1).remove(0);
    let (s, _) = gw
        .funded_citizen(&payer, "8500000001", 2_000_000, 250_000)
        .await;
    let req = request(&c, &m, "r-1", json!({"amount": 150_000, "order_ref": "A"})).await;
    let id = req["id"].as_str().unwrap().to_string();
    let waiting = answered("requires_step_up", pay(&c, &s, "p-1", &req).await);
    // Over the day's step-up threshold: nothing is held or claimed before the
    // citizen confirms.
    assert_eq!(wallet_balances(gw, &s).await, (250_000, 250_000));
    assert_eq!(request_status(gw, &m, &id).await["status"], "open");
    let payment_id = waiting["id"].as_str().unwrap();
    let assertion = gw
        .assertion(&payer, 2, "biometric", json!({"nonce": payment_id}))
        .await;
    let path = format!("/v1/payments/{payment_id}/confirm");
    let (status, confirmed) = gw
        .post_as(&s, &path, "c-1", json!({ "assertion": assertion }))
        .await;
    assert_eq!(
        (status, confirmed["status"].as_str()),
        (200, Some("succeeded")),
        "{confirmed}"
    );
    assert_eq!(gw.wallet_balance(&s).await, 100_000);
    let paid = request_status(gw, &m, &id).await;
    assert_eq!(
        (&paid["status"], &paid["payment_id"]),
        (&json!("paid"), &json!(payment_id))
    );
    assert_eq!(merchant_balance(&c, &m, usize::from(away)), 150_000);
}
