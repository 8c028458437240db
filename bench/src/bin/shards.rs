//! The sharded ledger under load.
//!
//! - `shards bench --shards 1,2,4`: cross-shard transfers with 1, 2 and 4 shards as
//!   databases on the local PostgreSQL, the single-shard run as the baseline measured
//!   in the same run; prints a Markdown table.
//! - `shards drill --env /var/tmp/gw-cluster/cluster.env`: the scale-out acceptance
//!   test on the cluster `scripts/cluster.sh` started: cross-shard load on every shard
//!   and the gateway's traffic through HAProxy, a gateway killed and another paused, a
//!   shard primary failed over with its Patroni, a Redis master killed; then every
//!   check. Exits non-zero if any fails.

use std::fmt::Write as _;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::chaos_books::{await_settled, check_books, get_json, server_errors};
use bench::chaos_traffic::{client_loop, Done, Shared, Tally};
use bench::shard_bench::{bench, run_id};
use bench::shard_load::{
    background, check, connect, percentiles, prepared_transactions, run_load, settle, setup,
    with_writers, LoadPlan, LoadTally,
};
use bench::world::World;
use clap::{Parser, Subcommand};
use ledger::shards::map::vshard_of_key;
use ledger::Account;

#[derive(Parser)]
#[command(
    name = "shards",
    about = "The sharded ledger under load, and the scale-out drill"
)]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Throughput with 1, 2, 4... shards on the local PostgreSQL.
    Bench {
        #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
        shards: Vec<usize>,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Callers at once: each cross-shard transfer waits for four commits in turn.
        #[arg(long, default_value_t = 128)]
        workers: usize,
        #[arg(long, default_value_t = 2_000)]
        citizens: usize,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        server: String,
        /// Payments a second one shard sustains: the single-node gateway benchmark's
        /// P2P figure (scripts/bench-shards.sh reads it from BENCHMARKS.md).
        #[arg(long)]
        per_shard_rate: Option<f64>,
    },
    /// The acceptance drill on a running cluster.
    Drill {
        /// The file `scripts/cluster.sh up` wrote.
        #[arg(long, default_value = "/var/tmp/gw-cluster/cluster.env")]
        env: String,
        #[arg(long, default_value = "scripts/cluster.sh")]
        script: String,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 2_000)]
        citizens: usize,
        #[arg(long, default_value_t = 16)]
        workers: usize,
        /// Gateway clients (each retries every unanswered request under its key).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 60)]
        gateway_citizens: usize,
    },
}

/// `KEY=value` lines of the cluster's env file.
fn read_env(path: &str) -> Result<std::collections::HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export ").or(Some(l.trim())))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.trim_matches(|c| c == '"' || c == '\'').to_string(),
            )
        })
        .collect())
}

fn cluster(script: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "{script} {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Seconds until a write on `shard` commits again (an account created each try).
fn writable_after(
    ledger: &ledger::shards::ShardedLedger<ledger::PgLedger>,
    shard: usize,
    within: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        let probe = Account::new(
            ledger::shards::map::account_id(4093, rand::random::<u64>().into()),
            704,
            7,
            ledger::AccountFlags::NONE,
        );
        if ledger.shards()[shard].create_accounts(&[probe]).is_ok() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[allow(clippy::too_many_arguments)]
async fn drill(
    env: &str,
    script: &str,
    seconds: u64,
    citizens: usize,
    workers: usize,
    clients: usize,
    gateway_citizens: usize,
) -> Result<String, String> {
    let vars = read_env(env)?;
    let var = |k: &str| vars.get(k).cloned().ok_or(format!("{env} has no {k}"));
    // Gateways that keep citizens on their home shards keep their payments there too.
    let routed = vars
        .get("ROUTE_CITIZENS")
        .is_some_and(|v| v == "1" || v == "true");
    let urls: Vec<String> = var("SHARD_URLS")?
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let catalog_url = var("CATALOG_URL")?;
    let shards = urls.len();
    let run = run_id();
    let (ledger, catalog) = connect(&urls, &catalog_url)?;
    eprintln!("drill: {shards} shards; setting up {citizens} citizens on the ledger");
    // The catalog's map, as the gateways read it: both place citizens alike.
    let map = catalog.shard_map(shards).map_err(|e| e.to_string())?;
    let people = Arc::new(setup(&ledger, &map, run, citizens)?);
    let ledger = Arc::new(ledger);
    let catalog = Arc::new(catalog);

    eprintln!("drill: setting up {gateway_citizens} citizens, a merchant and bills on the gateway");
    let world = World::new(
        &var("GATEWAY_URL")?,
        &var("SIMULATORS_URL")?,
        &var("ADMIN_TOKEN")?,
    );
    let funds = 2_000_000i64;
    // Numbers of their own, so a second drill on the same cluster meets fresh wallets.
    let base = usize::try_from(run % 90_000).unwrap_or(0) * 1_000;
    let mut gw_citizens = Vec::new();
    for n in 0..gateway_citizens {
        gw_citizens.push(world.citizen(base + n, funds).await?);
    }
    let merchant = world.merchant().await?;
    let mut bills = Vec::new();
    for n in 0..(gateway_citizens * 2) {
        let who = n % gw_citizens.len();
        bills.push((who, world.bill(&gw_citizens[who], base + n).await?));
    }
    let shared = Arc::new(Shared {
        merchants: true,
        world: World::new(&world.gateway, &world.simulators, &var("ADMIN_TOKEN")?),
        citizens: gw_citizens.clone(),
        merchant,
        bills: Mutex::new(bills),
        paid_requests: Mutex::new(Vec::new()),
        done: Mutex::new(Vec::new()),
        tally: Tally::default(),
        stop: AtomicBool::new(false),
    });
    let gateway_clients: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client_loop(Arc::clone(&shared), i)))
        .collect();

    let tally = Arc::new(LoadTally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let plan = LoadPlan {
        run,
        workers,
        duration: Duration::from_secs(seconds),
        p2p_share: 0.6,
        cross_share: 0.8,
        hold_timeout: 10,
        retry_for: Duration::from_secs(60),
    };
    let load = {
        let (ledger, people, tally) =
            (Arc::clone(&ledger), Arc::clone(&people), Arc::clone(&tally));
        let writers = with_writers(&ledger, &tokio::runtime::Handle::current());
        std::thread::spawn(move || run_load(&writers, &people, &plan, &tally))
    };
    // Every 10 s as the design has it, more often in a short drill.
    let checkpoint_every = Duration::from_secs((seconds / 6).clamp(2, 10));
    let sweeper = {
        let (ledger, catalog, people, stop) = (
            Arc::clone(&ledger),
            Arc::clone(&catalog),
            Arc::clone(&people),
            Arc::clone(&stop),
        );
        std::thread::spawn(move || {
            background(
                &ledger,
                &catalog,
                &people,
                &stop,
                Duration::from_millis(500),
                checkpoint_every,
                checkpoint_every / 2,
            )
        })
    };

    let mut report = String::new();
    let mut problems = Vec::new();
    let step = Duration::from_secs(seconds / 6).max(Duration::from_secs(3));
    tokio::time::sleep(step).await;
    eprintln!("drill: kill -9 gateway 1");
    let _ = writeln!(
        report,
        "- kill -9 gateway 1: {}",
        cluster(script, &["kill-gateway", "1"])?
    );
    tokio::time::sleep(step).await;
    // Shard 0 also holds the gateway's database: its failover shakes both.
    let victim = 0;
    eprintln!("drill: failing over shard {victim}");
    let old_leader = cluster(script, &["leader", &victim.to_string()])?;
    let killed_at = Instant::now();
    let killed = cluster(script, &["kill-primary", &victim.to_string()])?;
    // A real failover: Patroni promotes the other node once the dead one's leader key
    // lapses in etcd.
    let mut promoted = None;
    while killed_at.elapsed() < Duration::from_secs(60) {
        if let Ok(now) = cluster(script, &["leader", &victim.to_string()]) {
            if !now.is_empty() && now != old_leader {
                promoted = Some((now, killed_at.elapsed()));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let Some((new_leader, promoted_after)) = promoted else {
        return Err(format!(
            "shard {victim}: no other node took over from {old_leader} within 60 s"
        ));
    };
    // Strict synchronous mode blocks the promoted node's commits until a standby is
    // back, so the dead node is restarted as a supervisor would: it rejoins (after
    // pg_rewind) as the new primary's synchronous standby.
    cluster(script, &["revive"])?;
    let probe_ledger = Arc::clone(&ledger);
    let writable = tokio::task::spawn_blocking(move || {
        writable_after(&probe_ledger, victim, Duration::from_secs(60))
    })
    .await
    .map_err(|e| e.to_string())?;
    match writable {
        Some(_) => {
            let after = killed_at.elapsed();
            let _ = writeln!(report, "- shard {victim}'s primary killed with its Patroni ({killed}); Patroni promoted {new_leader} {:.1} s later; the dead node restarted and rejoined as synchronous standby, and the shard took writes again {:.1} s after the kill", promoted_after.as_secs_f64(), after.as_secs_f64());
            if after > Duration::from_secs(30) {
                problems.push(format!(
                    "shard {victim} took {after:?} to take writes again"
                ));
            }
        }
        None => problems.push(format!(
            "shard {victim} took no write within 60 s of its primary's death"
        )),
    }
    tokio::time::sleep(step).await;
    eprintln!("drill: killing a Redis master");
    let _ = writeln!(
        report,
        "- a Redis Cluster master killed: {}",
        cluster(script, &["kill-redis-master"])?
    );
    tokio::time::sleep(step).await;
    eprintln!("drill: pausing gateway 2");
    cluster(script, &["pause-gateway", "2"])?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    cluster(script, &["resume-gateway", "2"])?;
    let _ = writeln!(
        report,
        "- gateway 2 paused with SIGSTOP for 5 s, then resumed"
    );
    eprintln!("drill: reviving what was killed");
    cluster(script, &["revive"])?;

    let _ = tokio::task::spawn_blocking(move || load.join()).await;
    shared.stop.store(true, Ordering::Relaxed);
    for c in gateway_clients {
        let _ = c.await;
    }
    stop.store(true, Ordering::Relaxed);
    let swept = tokio::task::spawn_blocking(move || sweeper.join())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| "the sweeper panicked".to_string())?;
    eprintln!("drill: settling open legs and checking");
    // The checks connect afresh, as an operator's tool would: the load's pools still
    // hold connections HAProxy cut when shard 0's primary died.
    drop((ledger, catalog));
    let (ledger, catalog) = connect(&urls, &catalog_url)?;
    let ledger = Arc::new(ledger);
    {
        let ledger = Arc::clone(&ledger);
        tokio::task::spawn_blocking(move || settle(&ledger, Duration::from_secs(60)))
            .await
            .map_err(|e| e.to_string())??;
    }
    check(
        &ledger,
        &catalog,
        &people,
        &tally,
        &mut report,
        &mut problems,
    )?;
    for (n, url) in urls.iter().enumerate() {
        let server = url
            .rsplit_once('/')
            .map_or(url.as_str(), |(server, _)| server);
        let left = prepared_transactions(&format!("{server}/postgres"))?;
        if left > 0 {
            problems.push(format!("shard {n} has {left} prepared transactions"));
        }
    }
    let _ = writeln!(
        report,
        "- pg_prepared_xacts empty on every shard: {}",
        !problems.iter().any(|p| p.contains("prepared"))
    );

    // What the operator sees through HAProxy, from whichever gateway answers.
    let admin = var("ADMIN_TOKEN")?;
    let clearing = get_json(&world, "/v1/admin/shards/clearing", &admin).await?;
    let verified = get_json(&world, "/v1/admin/shards/verify", &admin).await?;
    let _ = writeln!(
        report,
        "- the operator's views through HAProxy: clearing balanced {}, {} holds open; verify ok {} over {} checkpoints (the gateways checkpoint every 10 s and sweep every second beside the drill's own sweeper)",
        clearing["balanced"], clearing["open_holds"], verified["ok"], verified["checkpoints"]
    );
    if clearing["balanced"] != true || clearing["open_holds"] != 0 || verified["ok"] != true {
        problems.push(format!("operator views: {clearing} {verified}"));
    }

    let mut gateway_databases = vec![var("DATABASE_URL")?];
    if routed {
        gateway_databases.extend(urls.iter().cloned());
    }
    await_settled(&gateway_databases, &mut problems).await?;
    let done = shared.done.lock().map(|d| d.clone()).unwrap_or_default();
    check_books(&world, &shared, &done, funds, &mut problems).await?;
    server_errors(&shared, &mut problems);
    let (answered, p2p, crossing, bills, merchant) = tally
        .answers
        .lock()
        .map(|a| {
            let count = |code: u16| a.iter().filter(|(t, _)| t.code == code).count();
            let crossing = a.iter().filter(|(t, _)| t.crosses_shards()).count();
            (a.len(), count(3), crossing, count(4), count(5))
        })
        .unwrap_or_default();
    let (p50, p99) = percentiles(&tally);
    let mut out = String::new();
    let _ = writeln!(out, "- {shards} shards (Patroni pairs, synchronous_mode_strict), 2 gateways behind HAProxy, a 6-node Redis Cluster; {citizens} funded citizens on the ledger, {seconds} s of load.");
    let _ = writeln!(out, "- Ledger load: {answered} payments answered ({p2p} P2P, {crossing} of them across shards; {bills} bills and {merchant} merchant payments, each on the payer's own shard into that shard's collection sub-account), {} retries under the same ids, p50 {p50:.1} ms, p99 {p99:.1} ms; during the load {} sweeps of open legs, {} checkpoints, {} collection sweeps that moved a sub-account to its master across shards.", tally.retries.load(Ordering::Relaxed), swept.sweeps, swept.checkpoints, swept.collected);
    let home = |i: usize| map.shard_of_vshard(vshard_of_key(shared.citizens[i].cccd.as_bytes()));
    let (transfers, crossed) = done.iter().fold((0, 0), |(t, c), d| match d {
        Done::Transfer {
            payer,
            payee,
            answer,
            ..
        } if answer.status == 201 => (t + 1, c + usize::from(home(*payer) != home(*payee))),
        _ => (t, c),
    });
    // Merchant payments answered, those whose payer's shard is not the request's, and
    // the captures and refunds answered.
    let (mut paid, mut paid_across, mut captures, mut refunds) = (0, 0, 0, 0);
    for d in &done {
        match d {
            Done::Merchant {
                citizen,
                request,
                answer,
                ..
            } if answer.status == 201 => {
                paid += 1;
                let theirs = map.shard_of_vshard(gateway::homes::vshard_of_request(request));
                paid_across += usize::from(routed && home(*citizen) != theirs);
            }
            Done::Captured { capture, .. } if capture.status == 200 => captures += 1,
            Done::Refunded { answer, .. } if answer.status == 201 => refunds += 1,
            _ => {}
        }
    }
    let mode = if routed {
        "citizens on their home shards; transfers, bills, merchant QR payments, captures and refunds"
    } else {
        "one database; transfers, bills, merchant QR payments, captures and refunds"
    };
    let _ = writeln!(out, "- Gateway load through HAProxy ({mode}): {} operations ({transfers} transfers answered, {crossed} of them between citizens on different shards; {paid} merchant payments answered, {paid_across} of them by payers on another shard than the merchant's; {captures} captures and {refunds} refunds), {} HTTP requests, {} of them retries under the same key.", done.len(), shared.tally.attempts.load(Ordering::Relaxed), shared.tally.retried.load(Ordering::Relaxed));
    out.push_str(&report);
    let _ = writeln!(out, "- Gateway books checked through the API: every answered payment's state, every wallet and the merchant to the dong, no payment left pending in any of the gateway's databases, the trial balance and hash chain of the gateway's own database (its citizens' shards are checked above).");
    if problems.is_empty() {
        let _ = writeln!(out, "- Problems found: **none**.");
        Ok(out)
    } else {
        let _ = writeln!(
            out,
            "- Problems found: **{}**: {}.",
            problems.len(),
            problems.join("; ")
        );
        Err(out)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Mode::Bench {
            shards,
            seconds,
            workers,
            citizens,
            server,
            per_shard_rate,
        } => tokio::task::spawn_blocking(move || {
            bench(&shards, seconds, workers, citizens, &server, per_shard_rate)
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string())),
        Mode::Drill {
            env,
            script,
            seconds,
            citizens,
            workers,
            clients,
            gateway_citizens,
        } => {
            drill(
                &env,
                &script,
                seconds,
                citizens,
                workers,
                clients,
                gateway_citizens,
            )
            .await
        }
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            println!("{report}");
            ExitCode::FAILURE
        }
    }
}
