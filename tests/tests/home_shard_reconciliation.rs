//! Reconciliation with citizens on home shards: our side of a statement is every
//! shard's payments, the run and its differences are recorded in the gateway's own
//! database, and a difference is resolved on its payment's shard, its audit record
//! copied back beside the run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::assert_error;
use e2e::home_shards::{citizens_on, routed_gateway_with};
use e2e::reconciliation::{find, payment, resolve, run, run_detail, tweak, withdraw};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_is_matched_against_every_shard_and_resolved_on_the_payments() {
    let c = routed_gateway_with(&[]).await;
    let gw = &c.gw;
    let near = citizens_on(0, 8_700, 1).remove(0);
    let far = citizens_on(1, 8_700, 1).remove(0);
    let (n, n_link) = gw
        .funded_citizen(&near, "8700000001", 5_000_000, 1_000_000)
        .await;
    let (f, f_link) = gw
        .funded_citizen(&far, "8700000002", 5_000_000, 1_000_000)
        .await;
    withdraw(gw, &n, &n_link, "w-near", 200_000).await;
    let gone = withdraw(gw, &f, &f_link, "w-far", 300_000).await;

    // NAPAS never paid out the withdrawal of the citizen on shard 1; everything else
    // (both top-ups, the other withdrawal) it did, wherever its payer lives.
    tweak(gw, "napas", json!({"reference": gone, "change": "omit"})).await;
    let detail = run(gw, "napas").await;
    assert_eq!(
        (
            &detail["lines"],
            &detail["matched"],
            &detail["discrepancies"]
        ),
        (&json!(3), &json!(3), &json!(1)),
        "{detail}"
    );
    let missing = find(&detail, "missing_at_them", &gone);
    let id = missing["id"].as_str().unwrap().to_string();

    // Booked back on shard 1, and recorded beside the run.
    let body = json!({"action": "reverse", "reason": "NAPAS confirms no credit (ticket 9)", "operator": "lan.nguyen"});
    let (status, resolved) = resolve(gw, &id, "r-1", body.clone()).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["resolution"]["amount"], 300_000);
    assert_eq!(gw.wallet_balance(&f).await, 1_000_000);
    assert_eq!(gw.wallet_balance(&n).await, 800_000);
    let p = payment(gw, &f, &gone).await;
    assert_eq!(
        (&p["status"], &p["failure_code"]),
        (&json!("failed"), &json!("reversed_by_reconciliation"))
    );
    let after = run_detail(gw, detail["id"].as_str().unwrap()).await;
    assert_eq!(after["open"], 0, "{after}");
    let listed = find(&after, "missing_at_them", &gone);
    assert_eq!(listed["resolution"]["action"], "reverse", "{listed}");
    // The same key answers the same; another key finds it resolved already.
    let (status, again) = resolve(gw, &id, "r-1", body.clone()).await;
    assert_eq!((status, &again), (200, &resolved));
    assert_error(
        &resolve(gw, &id, "r-2", body).await,
        409,
        "discrepancy_already_resolved",
    );
    assert_eq!(gw.wallet_balance(&f).await, 1_000_000);
}
