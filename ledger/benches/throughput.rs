//! Durable transfers per second on the real PostgreSQL (synchronous_commit on):
//! direct batches of 1, 100, 1,000 and 8,000 with uniform accounts and with one hot
//! account; the group-commit writer under rising concurrency; and, on the same server
//! in the same run, the ceiling of one small INSERT per commit from 32 clients.
//!
//! Run: `cargo bench -p ledger --bench throughput` (figures go to BENCHMARKS.md).
//! `LEDGER_BENCH_DATABASE_URL` picks the server (default: local `ledger_bench`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use ledger::{
    Account, AccountFlags, BatchStats, CreateTransferResult, PgLedger, Transfer, TransferWriter,
    WriterConfig,
};

const VND: u32 = 704;
const ACCOUNTS: u128 = 10_000;
const HOT: u128 = ACCOUNTS + 1;

fn urls() -> (String, String) {
    let base = std::env::var("LEDGER_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/ledger_bench".into());
    let (server, name) = base.rsplit_once('/').unwrap();
    let mut admin = PgConnection::establish(&format!("{server}/postgres")).unwrap();
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin);
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .unwrap();
    (base.clone(), base)
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    setting: String,
}

fn setting(conn: &mut PgConnection, name: &str) -> String {
    diesel::sql_query(format!(
        "SELECT setting FROM pg_settings WHERE name = '{name}'"
    ))
    .get_result::<Setting>(conn)
    .map(|s| s.setting)
    .unwrap_or_default()
}

struct Ids(AtomicU64);

impl Ids {
    fn next(&self) -> u128 {
        u128::from(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// A cheap deterministic generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u128) -> u128 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        u128::from(self.0) % n
    }
}

fn transfer(ids: &Ids, rng: &mut Rng, hot: bool) -> Transfer {
    let debit = 1 + rng.below(ACCOUNTS);
    let credit = if hot {
        HOT
    } else {
        let c = 1 + rng.below(ACCOUNTS - 1);
        if c >= debit {
            c + 1
        } else {
            c
        }
    };
    Transfer {
        id: ids.next(),
        debit_account_id: debit,
        credit_account_id: credit,
        amount: 1 + rng.below(100_000) as u64,
        ledger: VND,
        code: 1,
        ..Transfer::default()
    }
}

fn direct(ledger: &PgLedger, ids: &Ids, batch: usize, total: usize, hot: bool) -> f64 {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ batch as u64);
    let batches: Vec<Vec<Transfer>> = (0..total / batch)
        .map(|_| (0..batch).map(|_| transfer(ids, &mut rng, hot)).collect())
        .collect();
    let started = Instant::now();
    for b in &batches {
        let results = ledger.create_transfers(b).unwrap();
        assert!(results.iter().all(|r| *r == CreateTransferResult::Ok));
    }
    (batches.len() * batch) as f64 / started.elapsed().as_secs_f64()
}

fn writer_run(ledger: &PgLedger, ids: &Arc<Ids>, callers: usize, per_caller: usize) -> (f64, f64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let batches = Arc::new(AtomicU64::new(0));
    let events = Arc::new(AtomicU64::new(0));
    let (b, e) = (Arc::clone(&batches), Arc::clone(&events));
    let config = WriterConfig {
        observer: Some(Arc::new(move |s: BatchStats| {
            b.fetch_add(1, Ordering::Relaxed);
            e.fetch_add(s.transfers as u64, Ordering::Relaxed);
        })),
        ..WriterConfig::default()
    };
    let elapsed = runtime.block_on(async {
        let (writer, _task) = TransferWriter::spawn(ledger.clone(), config);
        let started = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|c| {
                let writer = writer.clone();
                let ids = Arc::clone(ids);
                tokio::spawn(async move {
                    let mut rng = Rng(0x1234_5678 + c as u64);
                    for _ in 0..per_caller {
                        let t = transfer(&ids, &mut rng, false);
                        let r = writer.submit(vec![t]).await.unwrap();
                        assert_eq!(r, vec![CreateTransferResult::Ok]);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        started.elapsed()
    });
    let tps = (callers * per_caller) as f64 / elapsed.as_secs_f64();
    let mean_batch =
        events.load(Ordering::Relaxed) as f64 / batches.load(Ordering::Relaxed).max(1) as f64;
    (tps, mean_batch)
}

fn insert_ceiling(url: &str, clients: usize, seconds: u64) -> f64 {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(
        "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, v bigint NOT NULL)",
    )
    .execute(&mut conn)
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (url, stop, count) = (url.to_string(), Arc::clone(&stop), Arc::clone(&count));
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    diesel::sql_query("INSERT INTO bench_insert (v) VALUES ($1)")
                        .bind::<diesel::sql_types::BigInt, _>(i as i64)
                        .execute(&mut conn)
                        .unwrap();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let (url, admin_url) = urls();
    let ledger = PgLedger::connect(&url, 8).unwrap();
    ledger.migrate().unwrap();
    let mut conn = PgConnection::establish(&admin_url).unwrap();
    println!(
        "PostgreSQL: synchronous_commit={} fsync={} wal_sync_method={}",
        setting(&mut conn, "synchronous_commit"),
        setting(&mut conn, "fsync"),
        setting(&mut conn, "wal_sync_method")
    );

    let accounts: Vec<Account> = (1..=HOT)
        .map(|id| Account::new(id, VND, 1, AccountFlags::NONE))
        .collect();
    for chunk in accounts.chunks(8_000) {
        ledger.create_accounts(chunk).unwrap();
    }

    let ids = Arc::new(Ids(AtomicU64::new(1)));
    let ceiling = insert_ceiling(&url, 32, 5);
    println!("\none INSERT per commit, 32 clients: {ceiling:.0} commits/s\n");

    println!("| batch size | uniform transfers/s | hot-account transfers/s | hot / uniform |");
    println!("|---:|---:|---:|---:|");
    let mut at_1000 = 0.0;
    for (batch, total) in [
        (1, 2_000),
        (100, 40_000),
        (1_000, 100_000),
        (8_000, 160_000),
    ] {
        direct(&ledger, &ids, batch, batch.max(1_000), false); // warm caches and plans
        let uniform = direct(&ledger, &ids, batch, total, false);
        let hot = direct(&ledger, &ids, batch, total, true);
        if batch == 1_000 {
            at_1000 = uniform;
        }
        println!(
            "| {batch} | {uniform:.0} | {hot:.0} | {:.0}% |",
            100.0 * hot / uniform
        );
    }
    println!(
        "\nbatches of 1,000 vs the one-INSERT ceiling: {:.1}x\n",
        at_1000 / ceiling
    );

    println!("| concurrent callers (single transfers) | transfers/s | mean batch size |");
    println!("|---:|---:|---:|");
    for (callers, per_caller) in [(1, 1_000), (16, 500), (128, 200), (1_024, 50)] {
        let (tps, mean) = writer_run(&ledger, &ids, callers, per_caller);
        println!("| {callers} | {tps:.0} | {mean:.1} |");
    }
    let report = ledger.verify().unwrap();
    println!(
        "\njournal verified: {} transfers, ok={}",
        report.transfers_checked, report.ok
    );
}
