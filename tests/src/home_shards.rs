//! A gateway with citizens routed to two home shards (`ROUTE_CITIZENS`), each shard and
//! the catalog a schema of their own, and the citizens each shard is home to.

use std::collections::HashMap;

use ledger::shards::map::{vshard_of_key, ShardMap};
use ledger::PgLedger;

use crate::{Citizen, ExtraSchema, TestGateway, ADMIN_TOKEN};

/// The home shard, of two, that a CCCD or a merchant id hashes to.
pub fn shard_of_key(key: &str) -> u16 {
    ShardMap::uniform(2)
        .expect("a two-shard map")
        .shard_of_vshard(vshard_of_key(key.as_bytes()))
}

/// Citizens (numbered from `from`) whose CCCD puts them on `shard` of two.
pub fn citizens_on(shard: u16, from: u32, count: usize) -> Vec<Citizen> {
    (from..)
        .map(Citizen::hanoi)
        .filter(|c| shard_of_key(&c.cccd) == shard)
        .take(count)
        .collect()
}

/// The gateway, a ledger connection to each shard, and each shard's URL.
pub struct RoutedGateway {
    pub gw: TestGateway,
    pub shards: [PgLedger; 2],
    pub urls: [String; 2],
    pub catalog_url: String,
    _schemas: [ExtraSchema; 3],
}

/// A gateway routing citizens to two home shards, with `extra` settings.
pub async fn routed_gateway_with(extra: &[(&str, &str)]) -> RoutedGateway {
    let (s0, s1, catalog) = (ExtraSchema::new(), ExtraSchema::new(), ExtraSchema::new());
    let shard_urls = format!("{},{}", s0.url, s1.url);
    let mut env = HashMap::from([
        ("SHARD_URLS", shard_urls.as_str()),
        ("CATALOG_URL", catalog.url.as_str()),
        ("ROUTE_CITIZENS", "1"),
    ]);
    env.extend(extra.iter().copied());
    let gw = TestGateway::start_with(env).await;
    RoutedGateway {
        shards: [
            PgLedger::connect(&s0.url, 2).expect("shard 0"),
            PgLedger::connect(&s1.url, 2).expect("shard 1"),
        ],
        urls: [s0.url.clone(), s1.url.clone()],
        catalog_url: catalog.url.clone(),
        gw,
        _schemas: [s0, s1, catalog],
    }
}

/// The body of a payment answered 201 with `status` (anything else fails the test).
pub fn answered(status: &str, (code, body): (u16, serde_json::Value)) -> serde_json::Value {
    assert_eq!(
        (code, body["status"].as_str()),
        (201, Some(status)),
        "{body}"
    );
    body
}

/// The operator's clearing report (`GET /v1/admin/shards/clearing`).
pub async fn clearing(gw: &TestGateway) -> serde_json::Value {
    let (status, report) = gw.get("/v1/admin/shards/clearing", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{report}");
    report
}

/// Every clearing pair nets to zero with no hold open, and every shard balances.
pub async fn assert_shards_balanced(gw: &TestGateway) {
    let report = clearing(gw).await;
    assert_eq!(report["open_holds"], 0, "{report}");
    assert_eq!(report["balanced"], true, "{report}");
    let (status, trial) = gw
        .get("/v1/admin/shards/trial-balance", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{trial}");
    assert_eq!(trial["balanced"], true, "{trial}");
}
