//! A gateway started with a shard map sweeps the cross-shard legs a driver left open,
//! checkpoints the shards' chains, and shows the operator the sharded ledger.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::{assert_error, ExtraSchema, TestGateway, ADMIN_TOKEN};
use ledger::shards::map::account_id;
use ledger::shards::protocol::{resolve, CrossShardTransfer, Decision, Outcome, Side};
use ledger::shards::{Shard, ShardedLedger};
use ledger::{Account, AccountFlags, CreateTransferResult as R, PgLedger, Transfer};

const VND: u32 = 704;

fn wallet(shard: u16) -> u128 {
    account_id(shard, 77)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_sweeps_open_legs_checkpoints_and_reports_the_shards() {
    let (s0, s1, catalog) = (ExtraSchema::new(), ExtraSchema::new(), ExtraSchema::new());
    let shard_urls = format!("{},{}", s0.url, s1.url);
    let gw = TestGateway::start_with(HashMap::from([
        ("SHARD_URLS", shard_urls.as_str()),
        ("CATALOG_URL", catalog.url.as_str()),
    ]))
    .await;

    // Citizens' wallets on each shard, funded, moved between by the library the way a
    // driver would; the gateway created the clearing accounts when it started.
    let ledger = ShardedLedger::new(vec![
        PgLedger::connect(&s0.url, 2).unwrap(),
        PgLedger::connect(&s1.url, 2).unwrap(),
    ]);
    for s in 0..2u16 {
        let shard = &ledger.shards()[usize::from(s)];
        let accounts = [
            Account::new(account_id(s, 1), VND, 2, AccountFlags::NONE),
            Account::new(
                wallet(s),
                VND,
                1,
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            ),
        ];
        shard.create_accounts(&accounts).unwrap();
        let fund = Transfer {
            id: account_id(s, 900),
            debit_account_id: account_id(s, 1),
            credit_account_id: wallet(s),
            amount: 100_000,
            ledger: VND,
            code: 8,
            ..Transfer::default()
        };
        assert_eq!(
            Shard::create_transfers(shard, &[fund]).unwrap(),
            vec![R::Ok]
        );
    }
    let transfer = |id: u128, amount: u64| CrossShardTransfer {
        id,
        payer: Side {
            shard: 0,
            account: wallet(0),
        },
        payee: Side {
            shard: 1,
            account: wallet(1),
        },
        amount,
        ledger: VND,
        code: 3,
        timeout: 30,
        user_data_64: 0,
    };
    assert_eq!(
        ledger.transfer(&transfer(1, 10_000)).unwrap(),
        Outcome::Committed
    );
    // A driver that decided and died before finishing: B's leg waits for a sweeper.
    let orphaned = transfer(2, 25_000);
    let (a, b) = (&ledger.shards()[0], &ledger.shards()[1]);
    Shard::create_transfers(a, &[orphaned.payer_hold()]).unwrap();
    Shard::create_transfers(b, &[orphaned.payee_leg()]).unwrap();
    Shard::create_transfers(a, &[resolve(orphaned.payer_hold().id, Decision::Commit)]).unwrap();

    let started = Instant::now();
    let report = loop {
        let (status, report) = gw.get("/v1/admin/shards/clearing", Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{report}");
        if report["open_holds"] == 0 || started.elapsed() > Duration::from_secs(15) {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        report["open_holds"], 0,
        "the gateway's sweeper did not finish the leg: {report}"
    );
    assert_eq!(report["balanced"], true);
    assert_eq!(report["pairs"][0]["a_to_b"], 35_000);
    assert_eq!(report["pairs"][0]["b_from_a"], 35_000);
    assert_eq!(
        b.lookup_accounts(&[wallet(1)]).unwrap()[0].credit_balance(),
        135_000
    );

    let (status, trial) = gw
        .get("/v1/admin/shards/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(trial["balanced"], true);
    assert_eq!(trial["shards"].as_array().unwrap().len(), 2);
    // The catalog's vshard map, written by the first gateway: half of 4,096 each.
    assert_eq!(trial["shards"][0]["vshards"], 2048);
    assert_eq!(trial["shards"][1]["vshards"], 2048);

    // The gateway took a checkpoint at start; every chain and checkpoint verifies.
    let (status, verified) = gw.get("/v1/admin/shards/verify", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(verified["checkpoints"].as_u64().unwrap() >= 1, "{verified}");
    assert_eq!(verified["shards"].as_array().unwrap().len(), 2);

    // The operator's only.
    assert_eq!(gw.get("/v1/admin/shards/clearing", None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_on_one_database_has_no_shards_to_show() {
    let gw = TestGateway::start().await;
    for path in [
        "/v1/admin/shards/clearing",
        "/v1/admin/shards/verify",
        "/v1/admin/shards/trial-balance",
    ] {
        let response = gw.get(path, Some(ADMIN_TOKEN)).await;
        assert_error(&response, 404, "shards_not_configured");
    }
}
