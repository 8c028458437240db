//! The sharded ledger's cost: cross-shard transfers with 1, 2, 4... shards as
//! databases on one PostgreSQL server, the one-shard run as the baseline of the same
//! run, and the capacity model computed from it.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::capacity::Model;
use crate::shard_load::{connect, percentiles, run_load, setup, with_writers, LoadPlan, LoadTally};

/// A number for this run's databases and citizens, so runs never meet.
pub fn run_id() -> u64 {
    rand::random::<u64>() >> 34
}

/// Runs the load on each shard count and prints the table (and the capacity model
/// when the single-node rate is known).
pub fn bench(
    shards: &[usize],
    seconds: u64,
    workers: usize,
    citizens: usize,
    server: &str,
    per_shard_rate: Option<f64>,
) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| shards | transfers | cross-shard share | transfers/s | vs 1 shard | p50 | p99 |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|");
    let mut baseline = None;
    let mut cross_cost = None;
    let runtime = tokio::runtime::Handle::current();
    for &count in shards {
        let run = run_id();
        let urls: Vec<String> = (0..count)
            .map(|i| format!("{server}/shard_bench_{run}_{i}"))
            .collect();
        let (ledger, catalog) = connect(&urls, &format!("{server}/shard_bench_{run}_catalog"))?;
        let map = catalog.shard_map(count).map_err(|e| e.to_string())?;
        let people = setup(&ledger, &map, run, citizens)?;
        let writers = with_writers(&ledger, &runtime);
        let tally = LoadTally::default();
        let plan = LoadPlan {
            run,
            workers,
            duration: Duration::from_secs(seconds),
            p2p_share: 1.0,
            cross_share: 1.0,
            hold_timeout: 30,
            retry_for: Duration::from_secs(10),
        };
        let started = Instant::now();
        run_load(&writers, &people, &plan, &tally);
        let elapsed = started.elapsed().as_secs_f64();
        let done = tally.answers.lock().map(|a| a.len()).unwrap_or(0);
        let rate = done as f64 / elapsed;
        let base = *baseline.get_or_insert(rate);
        if count > 1 && cross_cost.is_none() && rate > 0.0 {
            cross_cost = Some(base / rate);
        }
        let (p50, p99) = percentiles(&tally);
        let _ = writeln!(
            out,
            "| {count} | {} | {} | {rate:.0} | {:.2}× | {p50:.1} ms | {p99:.1} ms |",
            if count == 1 {
                "one posted transfer"
            } else {
                "hold, leg, decide, finish"
            },
            if count == 1 { "0%" } else { "100%" },
            rate / base
        );
        eprintln!("shards: {count} shard(s): {rate:.0} transfers/s");
        drop((ledger, writers, catalog));
        drop_databases(server, &urls)?;
        drop_databases(server, &[format!("{server}/shard_bench_{run}_catalog")])?;
    }
    if let (Some(per_shard), Some(cost)) = (per_shard_rate, cross_cost) {
        capacity_table(&mut out, per_shard, cost);
    }
    Ok(out)
}

fn capacity_table(out: &mut String, per_shard: f64, cross_cost: f64) {
    let _ = writeln!(out);
    let _ = writeln!(out, "Capacity model: a shard carries {per_shard:.0} payments/s (the single-node gateway's P2P figure at 32 connections) at 70% utilisation; a cross-shard transfer costs {cross_cost:.2} local ones (1 shard's rate over 2 shards' cross-shard rate, above).");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| target | P2P share of payments | shards | cross-shard share | work per payment |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
    for target in [10_000.0, 50_000.0] {
        for p2p_share in [0.6, 1.0] {
            let model = Model {
                per_shard,
                cross_cost,
                p2p_share,
                utilisation: 0.7,
            };
            if let Some(plan) = model.shards_for(target) {
                let _ = writeln!(
                    out,
                    "| {target:.0}/s | {:.0}% | {} | {:.0}% | {:.2}× |",
                    p2p_share * 100.0,
                    plan.shards,
                    plan.cross_share * 100.0,
                    plan.work_per_payment
                );
            }
        }
    }
}

fn drop_databases(server: &str, urls: &[String]) -> Result<(), String> {
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::pg::PgConnection::establish(&format!("{server}/postgres"))
        .map_err(|e| e.to_string())?;
    for url in urls {
        if let Some((_, name)) = url.rsplit_once('/') {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
    Ok(())
}
