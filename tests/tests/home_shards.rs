//! With `ROUTE_CITIZENS`, citizens live on the home shard of their CCCD's vshard:
//! identity, wallet, payments. A transfer between citizens on different shards goes
//! through `POST /v1/payments` like any other and follows the cross-shard protocol:
//! the payer's hold toward clearing, the payee's leg on their shard, the post, the
//! finish; a leg that is refused voids the hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::{Connection, PgConnection, RunQueryDsl};
use e2e::console::{console_session, no_redirects};
use e2e::home_shards::{
    answered, assert_shards_balanced, citizens_on, clearing, routed_gateway_with, RoutedGateway,
};
use e2e::{
    assert_error, bill_id, control, pay_bill, start_topup, wait_for_status, Session, TestGateway,
    ADMIN_TOKEN,
};
use ledger::shards::map::{vshard_of, vshard_of_key};
use serde_json::json;

async fn routed_gateway() -> RoutedGateway {
    routed_gateway_with(&[]).await
}

/// The body of a payment answered 201 `succeeded` (anything else fails the test).
fn succeeded(response: (u16, serde_json::Value)) -> serde_json::Value {
    answered("succeeded", response)
}

async fn wallet_of(gw: &TestGateway, who: &Session) -> u128 {
    let (status, me) = gw.get("/v1/me", Some(&who.token)).await;
    assert_eq!(status, 200, "{me}");
    gateway::ids::decode(
        "account",
        "acc_",
        me["wallet"]["account_id"].as_str().unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn citizens_live_on_their_home_shards_and_pay_each_other_across_them() {
    let c = routed_gateway().await;
    let gw = &c.gw;
    let alice = citizens_on(0, 7_100, 1).remove(0);
    let mut on_one = citizens_on(1, 7_100, 2);
    let (bob, carol) = (on_one.remove(0), on_one.remove(0));
    let (a, _) = gw
        .funded_citizen(&alice, "7100000001", 2_000_000, 500_000)
        .await;
    let b = gw.sign_in(&bob, 2).await;
    let cs = gw.sign_in(&carol, 2).await;

    // Each wallet carries its vshard and exists on its home shard only.
    for (session, who, home) in [(&a, &alice, 0usize), (&b, &bob, 1), (&cs, &carol, 1)] {
        let wallet = wallet_of(gw, session).await;
        assert_eq!(vshard_of(wallet), vshard_of_key(who.cccd.as_bytes()));
        assert_eq!(c.shards[home].lookup_accounts(&[wallet]).unwrap().len(), 1);
        assert!(c.shards[1 - home]
            .lookup_accounts(&[wallet])
            .unwrap()
            .is_empty());
    }

    // Across shards, by CCCD: the payee has the money when the payer has the answer.
    let paid = succeeded(gw.transfer_to_cccd(&a, "x-1", 100_000, &bob.cccd).await);
    let fee = paid["fee"].as_i64().unwrap();
    assert_eq!(gw.wallet_balance(&a).await, 500_000 - 100_000 - fee);
    assert_eq!(gw.wallet_balance(&b).await, 100_000);
    // The same key again is the same payment, moved once.
    let (status, again) = gw.transfer_to_cccd(&a, "x-1", 100_000, &bob.cccd).await;
    assert_eq!((status, &again["id"]), (201, &paid["id"]));
    assert_eq!(gw.wallet_balance(&b).await, 100_000);
    // The payer's answer names the payee, whose row lives on the other shard: in the
    // answer, in the payment read back, and in the payer's list.
    assert_eq!(paid["payee"]["kind"], "citizen", "{paid}");
    assert_eq!(paid["payee"]["name"], bob.name.as_str(), "{paid}");
    let masked = format!("{}******{}", &bob.cccd[..3], &bob.cccd[9..]);
    assert_eq!(paid["payee"]["cccd"], masked.as_str(), "{paid}");
    let path = format!("/v1/payments/{}", paid["id"].as_str().unwrap());
    let (_, read) = gw.get(&path, Some(&a.token)).await;
    assert_eq!(read["status"], "succeeded");
    assert_eq!(read["payee"], paid["payee"]);
    let (_, mine) = gw.get("/v1/me/payments", Some(&a.token)).await;
    let listed = mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == paid["id"])
        .unwrap();
    assert_eq!(listed["payee"], paid["payee"]);
    assert_eq!(
        gw.get(&path, Some(&b.token)).await.0,
        404,
        "not the payee's payment"
    );

    // On one shard, by phone: the local path, one transfer.
    let body = json!({"type": "transfer", "amount": 30_000, "payee": {"phone": carol.phone}});
    succeeded(gw.post_as(&b, "/v1/payments", "l-1", body).await);
    // Back across, by phone: found on the other shard.
    let body = json!({"type": "transfer", "amount": 10_000, "payee": {"phone": alice.phone}});
    let back = succeeded(gw.post_as(&cs, "/v1/payments", "x-2", body).await);
    assert_eq!(
        gw.wallet_balance(&a).await,
        500_000 - 100_000 - fee + 10_000
    );
    let carol_fee = back["fee"].as_i64().unwrap();
    assert_eq!(gw.wallet_balance(&cs).await, 30_000 - 10_000 - carol_fee);

    // Refused before any leg: the payer's funds, an unknown CCCD on the other shard.
    let (status, poor) = gw
        .transfer_to_cccd(&b, "x-3", 10_000_000, &alice.cccd)
        .await;
    assert_eq!(
        (status, poor["error"]["code"].as_str()),
        (422, Some("insufficient_funds")),
        "{poor}"
    );
    let stranger = citizens_on(0, 9_100, 1).remove(0);
    let response = gw.transfer_to_cccd(&b, "x-4", 1_000, &stranger.cccd).await;
    assert_error(&response, 404, "payee_not_found");

    // Both clearing directions net to zero, nothing is left open, every shard balances.
    assert_shards_balanced(gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leg_the_payees_shard_refuses_releases_the_payers_hold() {
    let c = routed_gateway().await;
    let gw = &c.gw;
    let alice = citizens_on(0, 7_300, 1).remove(0);
    let (a, _) = gw
        .funded_citizen(&alice, "7300000001", 2_000_000, 300_000)
        .await;
    // A payee whose identity exists on shard 1 but whose wallet the ledger there does
    // not hold: the leg is refused after the payer's hold was placed.
    let ghost = citizens_on(1, 7_300, 1).remove(0);
    let mut conn = PgConnection::establish(&c.urls[1]).unwrap();
    diesel::sql_query(format!(
        "INSERT INTO identities (id, cccd, full_name, birth_date, phone, vneid_level, \
         wallet_account_id, created_at, updated_at) VALUES ('{}', '{}', 'Ghost', \
         '1990-03-15', '0900000000', 2, 'acc_zzzzzzzzzzzzzzzz', now(), now())",
        gateway::homes::new_identity_id(vshard_of_key(ghost.cccd.as_bytes())),
        ghost.cccd
    ))
    .execute(&mut conn)
    .unwrap();

    let (status, failed) = gw.transfer_to_cccd(&a, "g-1", 50_000, &ghost.cccd).await;
    assert_eq!(status, 201, "{failed}");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["failure_code"], "payee_refused", "{failed}");
    assert_eq!(
        gw.wallet_balance(&a).await,
        300_000,
        "the hold was released"
    );
    let report = clearing(gw).await;
    assert_eq!(report["open_holds"], 0, "{report}");
    assert_eq!(report["balanced"], true, "{report}");
    assert_eq!(report["pairs"][0]["a_to_b"], 0, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_callbacks_and_the_operators_list_reach_every_shard() {
    let c = routed_gateway().await;
    let gw = &c.gw;
    let mut made = Vec::new();
    for (shard, n) in [(0u16, 7_500u32), (1, 7_500), (1, 7_600)] {
        let who = citizens_on(shard, n, 1).remove(0);
        let session = gw.sign_in(&who, 2).await;
        // A provider's callback names only its order; the order is on this shard.
        let payment = start_topup(gw, &session, "momo", &format!("t-{n}"), 120_000).await;
        let reference = payment["provider_reference"].as_str().unwrap().to_string();
        control(gw, "momo", &reference, "pay", json!({})).await;
        let id = payment["id"].as_str().unwrap().to_string();
        wait_for_status(gw, &session, &id, "succeeded").await;
        assert_eq!(gw.wallet_balance(&session).await, 120_000);
        made.push(id);
    }

    // The operator pages through every shard's payments, newest first, two at a time.
    let (mut seen, mut after, mut last) = (Vec::new(), String::new(), None);
    loop {
        let path = format!("/v1/admin/payments?limit=2{after}");
        let (status, page) = gw.get(&path, Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{page}");
        for p in page["data"].as_array().unwrap() {
            let created =
                chrono::DateTime::parse_from_rfc3339(p["created_at"].as_str().unwrap()).unwrap();
            assert!(last.is_none_or(|l| l >= created), "newest first");
            last = Some(created);
            seen.push(p["id"].as_str().unwrap().to_string());
        }
        if page["has_more"] != true {
            break;
        }
        after = format!("&starting_after={}", seen.last().unwrap());
    }
    seen.sort();
    made.sort();
    assert_eq!(seen, made);
    let response = gw
        .get(
            "/v1/admin/payments?starting_after=pay_nope",
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_error(&response, 400, "invalid_request");

    // So does the console: its search lists them all, and each one's page opens from
    // whichever shard holds it, with its ledger transfers.
    let http = no_redirects();
    let session = console_session(gw, &http).await;
    let page = |path: String| {
        let request = http.get(gw.url(&path)).header("cookie", &session);
        async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (status, listed) = page("/console/payments".into()).await;
    assert_eq!(status, 200);
    for id in &made {
        assert!(listed.contains(id.as_str()), "{id} in the console's search");
        let (status, detail) = page(format!("/console/payments/{id}")).await;
        assert_eq!(status, 200, "{detail}");
        assert!(detail.contains("trf_"), "{id}'s transfers: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_number_reaches_its_citizen_through_the_catalogs_directory() {
    let c = routed_gateway().await;
    let gw = &c.gw;
    let mut on_zero = citizens_on(0, 7_700, 2);
    let (payer, mut x) = (on_zero.remove(0), on_zero.remove(0));
    let mut y = citizens_on(1, 7_700, 1).remove(0);
    x.phone = "0912345678".into();
    y.phone = "0912345678".into();
    let (p, _) = gw
        .funded_citizen(&payer, "7700000001", 1_000_000, 200_000)
        .await;
    let xs = gw.sign_in(&x, 2).await;
    gw.sign_in(&y, 2).await;
    let pay = |key: &'static str, phone: &'static str| {
        let body = json!({"type": "transfer", "amount": 5_000, "payee": {"phone": phone}});
        gw.post_as(&p, "/v1/payments", key, body)
    };

    // Two citizens on different shards share the number: neither is guessed.
    assert_error(
        &pay("ph-1", "0912345678").await,
        422,
        "payee_phone_ambiguous",
    );

    // The one on shard 1 signs in with a new number: the directory follows.
    y.phone = "0987654321".into();
    let ys = gw.sign_in(&y, 2).await;
    succeeded(pay("ph-2", "0912345678").await);
    succeeded(pay("ph-3", "0987654321").await);
    assert_eq!(gw.wallet_balance(&xs).await, 5_000);
    assert_eq!(gw.wallet_balance(&ys).await, 5_000);
    assert_error(&pay("ph-4", "0900000001").await, 404, "payee_not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn bills_collect_on_the_payers_shard_and_are_swept_to_shard_zero() {
    let c = routed_gateway_with(&[("COLLECTION_SWEEP_SECONDS", "1")]).await;
    let gw = &c.gw;
    let who = citizens_on(1, 7_900, 1).remove(0);
    let (session, _) = gw
        .funded_citizen(&who, "7900000001", 3_000_000, 1_000_000)
        .await;
    gw.evn_bill("PD00000079001", &who.name, "2026-11", 250)
        .await;
    let bill = bill_id(gw, &session, "PD00000079001").await;
    let paid = succeeded(pay_bill(gw, &session, "b-1", &bill).await);
    let amount = i128::from(paid["amount"].as_i64().unwrap());

    // Paid into shard 1's copy of EVN Hà Nội's collection, then swept to shard 0's.
    let evn = gateway::system_accounts::system_account_id(
        &gateway::system_accounts::biller_collection("EVNHANOI"),
    );
    let balance =
        |shard: usize| c.shards[shard].lookup_accounts(&[evn]).unwrap()[0].credit_balance();
    let started = std::time::Instant::now();
    while balance(0) != amount && started.elapsed() < std::time::Duration::from_secs(15) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(balance(0), amount, "swept to the master on shard 0");
    assert_eq!(balance(1), 0, "shard 1's copy emptied");
    assert_shards_balanced(gw).await;
}
