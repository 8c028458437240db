//! `loadgen`: measures a running gateway end to end, through its real API, against the
//! ceiling of one durable insert per commit measured on the same PostgreSQL in the same
//! run. It sets up funded citizens, a merchant with payment requests and inquired
//! bills, then measures P2P transfers at rising concurrency, bill payments and merchant
//! QR payments, seeds a million payments of history and measures P2P again. It prints
//! the results as Markdown; any 5xx fails the run.
//!
//! `scripts/bench-gateway.sh` starts everything and runs it; see BENCHMARKS.md.

use bench::{cpu, load, seed, world};

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::json;

use load::RunStats;
use world::{Citizen, World};

#[derive(Parser)]
#[command(name = "loadgen", about = "End-to-end load on a running gateway")]
struct Cli {
    #[arg(long, default_value = "http://127.0.0.1:18080")]
    gateway: String,
    #[arg(long, default_value = "http://127.0.0.1:18081")]
    simulators: String,
    #[arg(long, env = "GATEWAY_ADMIN_TOKEN")]
    admin_token: String,
    /// The gateway's database (the ceiling is measured and history seeded there).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The gateway's process id, to read its resident memory.
    #[arg(long)]
    gateway_pid: Option<u32>,
    #[arg(long, default_value_t = 1_000)]
    citizens: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Payments of history seeded before the last run.
    #[arg(long, default_value_t = 1_000_000)]
    history: u64,
    #[arg(long, default_value_t = 6_000)]
    bills: usize,
    #[arg(long, default_value_t = 20_000)]
    payment_requests: usize,
    /// Only set up the citizens and run P2P at this many connections (for profiling).
    #[arg(long)]
    only_p2p: Option<usize>,
    /// pgbench's one-line INSERT script at 1 and 32 clients, measured by the script
    /// just before this run (the method the issue measured its ceiling with).
    #[arg(long)]
    pgbench_1: Option<f64>,
    #[arg(long)]
    pgbench_32: Option<f64>,
    /// With `--only-p2p`, against a gateway that keeps citizens on this many home
    /// shards (the catalog's uniform map): P2P between citizens of the same shard, then
    /// between citizens of different shards.
    #[arg(long)]
    home_shards: Option<usize>,
}

/// Which payer and payee pairs a P2P run draws.
#[derive(Clone)]
enum Pairs {
    Any,
    /// Both citizens on one home shard (`true`) or on two (`false`), by this map.
    Shards(Arc<ledger::shards::map::ShardMap>, bool),
}

impl Pairs {
    fn allows(&self, payer: &Citizen, payee: &Citizen) -> bool {
        match self {
            Self::Any => true,
            Self::Shards(map, same) => {
                let home = |c: &Citizen| {
                    map.shard_of_vshard(ledger::shards::map::vshard_of_key(c.cccd.as_bytes()))
                };
                (home(payer) == home(payee)) == *same
            }
        }
    }
}

/// Does `work(i)` for every `i` below `n`, `width` at a time.
async fn each<T, F, Fut>(n: usize, width: usize, work: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, String>> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..width {
        let (work, next) = (Arc::clone(&work), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                out.push((i, work(i).await?));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// P2P transfers of 1,000 dong between random citizens, each with a fresh key.
async fn p2p(
    world: &World,
    citizens: &Arc<Vec<Citizen>>,
    connections: usize,
    seconds: u64,
    run: &str,
) -> Result<RunStats, String> {
    p2p_pairs(world, citizens, connections, seconds, run, Pairs::Any).await
}

/// P2P transfers as [`p2p`], between pairs that `pairs` allows.
async fn p2p_pairs(
    world: &World,
    citizens: &Arc<Vec<Citizen>>,
    connections: usize,
    seconds: u64,
    run: &str,
    pairs: Pairs,
) -> Result<RunStats, String> {
    let url = format!("{}/v1/payments", world.gateway);
    load::run(connections, Duration::from_secs(seconds), |client, http| {
        let (citizens, url, run) = (Arc::clone(citizens), url.clone(), run.to_string());
        let pairs = pairs.clone();
        let mut seq = 0u64;
        Box::new(move || {
            seq += 1;
            let n = citizens.len();
            let payer = rand::random::<u64>() as usize % n;
            let mut payee = (payer + 1 + rand::random::<u64>() as usize % (n - 1)) % n;
            while !pairs.allows(&citizens[payer], &citizens[payee]) {
                payee = (payer + 1 + rand::random::<u64>() as usize % (n - 1)) % n;
            }
            let body = json!({"type": "transfer", "amount": 1_000,
                              "payee": {"cccd": citizens[payee].cccd}});
            Some(
                http.post(&url)
                    .bearer_auth(&citizens[payer].token)
                    .header("idempotency-key", format!("{run}-{client}-{seq}"))
                    .json(&body),
            )
        })
    })
    .await
}

/// Pays each of `items` once (a bill id or a QR payload) from its citizen.
async fn pay_each(
    world: &World,
    citizens: &Arc<Vec<Citizen>>,
    items: Vec<(usize, serde_json::Value)>,
    connections: usize,
    seconds: u64,
    run: &str,
) -> Result<RunStats, String> {
    let url = format!("{}/v1/payments", world.gateway);
    let items = Arc::new(items);
    let next = Arc::new(AtomicUsize::new(0));
    load::run(connections, Duration::from_secs(seconds), |_, http| {
        let (citizens, items, next, url, run) = (
            Arc::clone(citizens),
            Arc::clone(&items),
            Arc::clone(&next),
            url.clone(),
            run.to_string(),
        );
        Box::new(move || {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let (citizen, body) = items.get(i)?;
            Some(
                http.post(&url)
                    .bearer_auth(&citizens[*citizen].token)
                    .header("idempotency-key", format!("{run}-{i}"))
                    .json(body),
            )
        })
    })
    .await
}

fn row(report: &mut String, label: &str, s: &RunStats, ceiling: f64, pgbench: Option<f64>) {
    let versus_pgbench = pgbench.map_or_else(
        || "–".to_string(),
        |p| format!("{:.2}×", s.per_second() / p),
    );
    let _ = writeln!(
        report,
        "| {label} | {} | **{:.0}** | {:.1} ms | {:.1} ms | {:.1} ms | {} | {:.2}× | {versus_pgbench} |",
        s.connections,
        s.per_second(),
        s.ms(0.5),
        s.ms(0.99),
        s.ms(0.999),
        s.non_2xx(),
        s.per_second() / ceiling
    );
}

/// The head of a results table, for the rows [`row`] writes.
fn table_header(report: &mut String) {
    let _ = writeln!(report, "| run | connections | payments/s | p50 | p99 | p99.9 | non-2xx | vs 32-client ceiling | vs pgbench at 32 |");
    let _ = writeln!(report, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
}

async fn bench(cli: Cli) -> Result<String, String> {
    let world = World::new(&cli.gateway, &cli.simulators, &cli.admin_token);
    let mut report = String::new();
    let secs = cli.seconds;

    eprintln!("ceiling: one INSERT per commit");
    let url = cli.database_url.clone();
    let ceiling_1 = tokio::task::spawn_blocking({
        let url = url.clone();
        move || seed::insert_ceiling(&url, 1, secs)
    })
    .await
    .map_err(|e| e.to_string())??;
    let ceiling_32 = tokio::task::spawn_blocking({
        let url = url.clone();
        move || seed::insert_ceiling(&url, 32, secs)
    })
    .await
    .map_err(|e| e.to_string())??;

    eprintln!("setting up {} citizens", cli.citizens);
    let w = Arc::new(World::new(&cli.gateway, &cli.simulators, &cli.admin_token));
    let citizens = {
        let w = Arc::clone(&w);
        each(cli.citizens, 32, move |n| {
            let w = Arc::clone(&w);
            async move { w.citizen(n, 10_000_000).await }
        })
        .await?
    };
    let citizens = Arc::new(citizens);
    if let (Some(c), Some(shards)) = (cli.only_p2p, cli.home_shards) {
        if shards < 2 {
            return Err("--home-shards needs at least 2 shards to pair citizens across".into());
        }
        let _ = writeln!(report, "One `INSERT` per commit on the same server, same run: **{ceiling_32:.0}/s** with 32 clients (from Rust).\n");
        let map =
            Arc::new(ledger::shards::map::ShardMap::uniform(shards).map_err(|e| e.to_string())?);
        table_header(&mut report);
        for (label, same) in [
            ("P2P, payer and payee on one home shard", true),
            ("P2P, payer and payee on different home shards", false),
        ] {
            let pairs = Pairs::Shards(Arc::clone(&map), same);
            p2p_pairs(
                &world,
                &citizens,
                c,
                2,
                &format!("warm-{same}"),
                pairs.clone(),
            )
            .await?;
            let s = p2p_pairs(&world, &citizens, c, secs, &format!("homes-{same}"), pairs).await?;
            if s.server_errors() > 0 {
                return Err(format!("{label}: {:?}", s.statuses));
            }
            row(&mut report, label, &s, ceiling_32, cli.pgbench_32);
        }
        // Merchant QR payments: the request is on the merchant's shard; a payer there
        // pays in one group commit, a payer elsewhere holds, claims it, then settles.
        let merchant = Arc::new(world.merchant().await?);
        let requests = {
            let (w, merchant) = (Arc::clone(&w), Arc::clone(&merchant));
            each(cli.payment_requests, 32, move |n| {
                let (w, merchant) = (Arc::clone(&w), Arc::clone(&merchant));
                async move { w.payment_request(&merchant, n).await }
            })
            .await?
        };
        for (label, same) in [
            ("merchant QR, payer on the merchant's shard", true),
            ("merchant QR, payer on another shard", false),
        ] {
            let payers: Vec<usize> = (0..citizens.len())
                .filter(|&i| {
                    let payer = map.shard_of_vshard(ledger::shards::map::vshard_of_key(
                        citizens[i].cccd.as_bytes(),
                    ));
                    let theirs =
                        |id: &str| map.shard_of_vshard(gateway::homes::vshard_of_request(id));
                    requests
                        .first()
                        .is_some_and(|(id, _)| (payer == theirs(id)) == same)
                })
                .collect();
            if payers.is_empty() {
                return Err(format!("{label}: no citizen to pay from"));
            }
            let half = requests.len() / 2;
            let mine = if same {
                &requests[..half]
            } else {
                &requests[half..]
            };
            let items = mine
                .iter()
                .enumerate()
                .map(|(i, (_, qr))| {
                    (
                        payers[i % payers.len()],
                        json!({"type": "merchant", "qr": qr}),
                    )
                })
                .collect();
            let s = pay_each(
                &world,
                &citizens,
                items,
                c,
                secs,
                &format!("homes-qr-{same}"),
            )
            .await?;
            if s.server_errors() > 0 {
                return Err(format!("{label}: {:?}", s.statuses));
            }
            row(&mut report, label, &s, ceiling_32, cli.pgbench_32);
        }
        return Ok(report);
    }
    if let Some(c) = cli.only_p2p {
        p2p(&world, &citizens, c, 2, "warm").await?;
        let before = cpu::snapshot();
        let s = p2p(&world, &citizens, c, secs, "only").await?;
        let after = cpu::snapshot();
        let _ = writeln!(
            report,
            "One `INSERT` per commit on the same server, same run: **{ceiling_32:.0}/s** with 32 clients (from Rust).\n\nCPU (100% = one core): {}\n",
            cpu::report(&before, &after)
        );
        table_header(&mut report);
        row(&mut report, "P2P transfer", &s, ceiling_32, cli.pgbench_32);
        let _ = writeln!(
            report,
            "statuses {:?}, transport errors {}",
            s.statuses, s.transport_errors
        );
        return Ok(report);
    }

    let mut failures = Vec::new();
    let mut check = |label: &str, s: &RunStats| {
        if s.server_errors() > 0 {
            failures.push(format!(
                "{label}: {:?} ({} transport errors)",
                s.statuses, s.transport_errors
            ));
        }
    };

    let mut p2p_rows = Vec::new();
    for c in [1usize, 8, 32, 128] {
        eprintln!("P2P at {c} connections");
        p2p(&world, &citizens, c, 2, &format!("warm{c}")).await?;
        let s = p2p(&world, &citizens, c, secs, &format!("p2p{c}")).await?;
        check(&format!("P2P at {c}"), &s);
        p2p_rows.push(s);
    }
    let rss = rss_mb(cli.gateway_pid);

    eprintln!("preparing {} bills", cli.bills);
    let bills = {
        let (w, citizens) = (Arc::clone(&w), Arc::clone(&citizens));
        each(cli.bills, 32, move |n| {
            let (w, citizens) = (Arc::clone(&w), Arc::clone(&citizens));
            async move {
                let who = n % citizens.len();
                let bill = w.bill(&citizens[who], 100_000 + n).await?;
                Ok((who, json!({"type": "bill", "bill_id": bill})))
            }
        })
        .await?
    };
    eprintln!("bills at 32 connections");
    let bill_run = pay_each(&world, &citizens, bills, 32, secs, "bill").await?;
    check("bills", &bill_run);

    eprintln!("preparing {} payment requests", cli.payment_requests);
    let merchant = Arc::new(world.merchant().await?);
    let qrs = {
        let (w, merchant, citizens) =
            (Arc::clone(&w), Arc::clone(&merchant), Arc::clone(&citizens));
        each(cli.payment_requests, 32, move |n| {
            let (w, merchant, citizens) =
                (Arc::clone(&w), Arc::clone(&merchant), Arc::clone(&citizens));
            async move {
                let (_, qr) = w.payment_request(&merchant, n).await?;
                Ok((n % citizens.len(), json!({"type": "merchant", "qr": qr})))
            }
        })
        .await?
    };
    eprintln!("merchant QR payments at 32 connections");
    let qr_run = pay_each(&world, &citizens, qrs, 32, secs, "qr").await?;
    check("merchant QR", &qr_run);

    eprintln!("seeding {} payments of history", cli.history);
    let history = cli.history;
    let seeded = tokio::task::spawn_blocking(move || seed::history(&url, history))
        .await
        .map_err(|e| e.to_string())??;
    p2p(&world, &citizens, 32, 2, "warm-history").await?;
    let after = p2p(&world, &citizens, 32, secs, "p2p-history").await?;
    check("P2P with history", &after);

    let _ = writeln!(report, "One `INSERT` per commit on the same server, same run: **{ceiling_1:.0}/s** with 1 client, **{ceiling_32:.0}/s** with 32 (from Rust, 32 threads).");
    if let (Some(one), Some(many)) = (cli.pgbench_1, cli.pgbench_32) {
        let _ = writeln!(report, "pgbench with a one-line `INSERT` script, same server, same run: **{one:.0}/s** with 1 client, **{many:.0}/s** with 32.");
    }
    let _ = writeln!(report);
    table_header(&mut report);
    for s in &p2p_rows {
        row(&mut report, "P2P transfer", s, ceiling_32, cli.pgbench_32);
    }
    row(
        &mut report,
        "bill payment (EVN simulator)",
        &bill_run,
        ceiling_32,
        cli.pgbench_32,
    );
    row(
        &mut report,
        "merchant payment by VietQR",
        &qr_run,
        ceiling_32,
        cli.pgbench_32,
    );
    row(
        &mut report,
        &format!("P2P transfer, {} payments of history", cli.history),
        &after,
        ceiling_32,
        cli.pgbench_32,
    );
    let fresh_32 = p2p_rows.get(2).map(RunStats::per_second).unwrap_or(1.0);
    let _ = writeln!(
        report,
        "\nWith {} payments of history (seeded in {seeded:.0} s) P2P at 32 connections runs at {:.0}% of the figure on a fresh database.",
        cli.history,
        100.0 * after.per_second() / fresh_32
    );
    if let Some(mb) = rss {
        let _ = writeln!(
            report,
            "Gateway resident memory after the 128-connection run: **{mb:.0} MB**."
        );
    }
    let _ = writeln!(
        report,
        "Non-2xx answers by status: P2P {:?}; bills {:?}; QR {:?}; with history {:?}.",
        p2p_rows
            .iter()
            .map(|s| s.statuses.clone())
            .collect::<Vec<_>>(),
        bill_run.statuses,
        qr_run.statuses,
        after.statuses
    );
    if !failures.is_empty() {
        return Err(format!(
            "server errors during the run: {}\n\n{report}",
            failures.join("; ")
        ));
    }
    Ok(report)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match bench(cli).await {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
