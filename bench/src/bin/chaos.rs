//! `chaos`: money safety proven by killing the real processes under load.
//!
//! Starts a PostgreSQL cluster and a Redis of its own, the simulators as their own
//! process (so the outside world keeps its state when the gateway dies, as EVN does
//! not forget a bill when we crash) and the gateway binary. Concurrent clients drive a
//! mix of P2P transfers, bill payments, merchant payments by QR, manual captures and
//! refunds, retrying every request without a final answer under its key. Meanwhile
//! the gateway is killed with SIGKILL at random moments and restarted, PostgreSQL is
//! stopped hard and started again, and Redis is killed and restarted empty. Then the
//! run checks that every answer matches the books: payment states, every wallet to
//! the dong, refunds within captures, a balanced ledger with a whole hash chain, no
//! hold past its timeout and no payment left pending; and that PostgreSQL's restart
//! cost only 503s and that no spent assertion or nonce was accepted after Redis lost
//! everything. Prints a Markdown report; exits non-zero on any problem.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::chaos_books::{await_settled, check_books, server_errors};
use bench::chaos_traffic::{client_loop, Done, Shared, Tally};
use bench::cluster::{free_port, wait_for_port, Postgres, Process, Redis};
use bench::world::World;
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "chaos",
    about = "Kill the real gateway under load and check the books"
)]
struct Cli {
    #[arg(long, default_value = "target/debug/gateway")]
    gateway_bin: PathBuf,
    #[arg(long, default_value = "target/debug/simulators")]
    simulators_bin: PathBuf,
    /// How many times the gateway is killed with SIGKILL.
    #[arg(long, default_value_t = 3)]
    kills: usize,
    #[arg(long, default_value_t = 12)]
    clients: usize,
    #[arg(long, default_value_t = 16)]
    citizens: usize,
    /// Only kill the gateway: leave PostgreSQL and Redis running.
    #[arg(long)]
    no_restarts: bool,
}

/// What every request ended with, and what went wrong on the way.
async fn wait_ready(world: &World) -> Result<Duration, String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(res) = world
            .http
            .get(format!("{}/ready", world.gateway))
            .send()
            .await
        {
            if res.status().is_success() {
                return Ok(started.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the gateway did not become ready within 60 s".into())
}

/// Waits until a request answers 2xx again; returns how long that took.
async fn first_success(world: &World, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(res) = world
            .http
            .get(format!("{}/v1/me", world.gateway))
            .bearer_auth(token)
            .send()
            .await
        {
            if res.status().is_success() {
                return started.elapsed();
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run(cli: Cli) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("chaos-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    eprintln!("chaos: working in {}", dir.display());
    let pg = Postgres::create(&dir)?;
    let mut redis = Redis::start(&dir)?;
    let (gateway_port, simulators_port) = (free_port()?, free_port()?);
    let gateway_addr = format!("127.0.0.1:{gateway_port}");
    let simulators_addr = format!("127.0.0.1:{simulators_port}");
    let admin = format!("adm_chaos_{:016x}", rand::random::<u64>());
    let vneid = format!("chaos-vneid-{:016x}", rand::random::<u64>());
    let env: Vec<(String, String)> = [
        ("DATABASE_URL", pg.url("gateway")),
        ("REDIS_URL", redis.url()),
        ("GATEWAY_ADDR", gateway_addr.clone()),
        ("SIMULATOR_ADDR", simulators_addr.clone()),
        ("GATEWAY_PUBLIC_URL", format!("http://{gateway_addr}")),
        ("GATEWAY_ADMIN_TOKEN", admin.clone()),
        ("VNEID_JWT_KEY", vneid.clone()),
        ("MERCHANT_SECRETS_KEY", "chaos-merchant-secrets".into()),
        ("GATEWAY_QR_BANK_BIN", "970436".into()),
        ("GATEWAY_QR_ACCOUNT", "0011001234567".into()),
        ("VNPAY_TMN_CODE", "DEMO0001".into()),
        ("VNPAY_HASH_SECRET", "demo-vnpay-hash-secret".into()),
        ("MOMO_PARTNER_CODE", "MOMO".into()),
        ("MOMO_ACCESS_KEY", "F8BBA842ECF85".into()),
        ("MOMO_SECRET_KEY", "K951B6PE1waDMi640xX08PD3vg6EkVlz".into()),
        ("ZALOPAY_APP_ID", "2553".into()),
        ("ZALOPAY_KEY1", "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL".into()),
        ("ZALOPAY_KEY2", "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz".into()),
        ("SESSION_TTL_SECONDS", "7200".into()),
        ("OUTSIDE_TIMEOUT_MS", "3000".into()),
        ("RUST_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut simulators = Process::new(
        &cli.simulators_bin,
        &["serve"],
        &env,
        dir.join("simulators.log"),
    );
    simulators.start()?;
    wait_for_port(simulators_port, Duration::from_secs(20))?;
    let mut gateway = Process::new(&cli.gateway_bin, &[], &env, dir.join("gateway.log"));
    gateway.start()?;
    let world = World::new(
        &format!("http://{gateway_addr}"),
        &format!("http://{simulators_addr}"),
        &admin,
    );
    wait_ready(&world).await?;

    eprintln!(
        "chaos: setting up {} citizens, a merchant and bills",
        cli.citizens
    );
    let funds = 2_000_000i64;
    let mut citizens = Vec::new();
    for n in 0..cli.citizens {
        citizens.push(world.citizen(900_000 + n, funds).await?);
    }
    let merchant = world.merchant().await?;
    let mut bills = Vec::new();
    for n in 0..(cli.kills * 15 + 30) {
        let who = n % citizens.len();
        bills.push((who, world.bill(&citizens[who], 700_000 + n).await?));
    }
    // What must stay spent through a Redis restart: an assertion and a nonce.
    let spent_assertion = {
        let res = world
            .http
            .post(format!("{}/vneid/assertions", world.simulators))
            .json(
                &json!({"cccd": citizens[0].cccd, "name": "Công dân", "birth_date": "1990-03-15",
                          "phone": "0900000000", "level": 2, "auth": "password"}),
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let assertion = res.json::<Value>().await.map_err(|e| e.to_string())?["assertion"].clone();
        let used = world
            .http
            .post(format!("{}/v1/sessions", world.gateway))
            .json(&json!({"assertion": assertion}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if used.status() != 201 {
            return Err(format!(
                "signing in for the replay check: {}",
                used.status()
            ));
        }
        assertion
    };
    let nonce_body = json!({"amount": 1_000, "order_ref": "nonce"}).to_string();
    let nonce_request = world.merchant_request(
        &world.http,
        &merchant,
        "/v1/merchant/payment-requests",
        "nonce-spent",
        &nonce_body,
    );
    let nonce_replay = nonce_request
        .try_clone()
        .ok_or("a merchant request that cannot be replayed")?;
    let first = nonce_request.send().await.map_err(|e| e.to_string())?;
    if first.status() != 201 {
        return Err(format!("the nonce check's request: {}", first.status()));
    }

    let shared = Arc::new(Shared {
        merchants: true,
        world: World::new(&world.gateway, &world.simulators, &admin),
        citizens: citizens.clone(),
        merchant: merchant.clone(),
        bills: Mutex::new(bills),
        paid_requests: Mutex::new(Vec::new()),
        done: Mutex::new(Vec::new()),
        tally: Tally::default(),
        stop: AtomicBool::new(false),
    });
    let clients: Vec<_> = (0..cli.clients)
        .map(|i| tokio::spawn(client_loop(Arc::clone(&shared), i)))
        .collect();

    let mut report = String::new();
    let mut problems: Vec<String> = Vec::new();
    let mut restarts = Vec::new();
    for kill in 1..=cli.kills {
        tokio::time::sleep(Duration::from_millis(
            1_000 + (rand::random::<u64>() % 2_500),
        ))
        .await;
        gateway.kill();
        gateway.start()?;
        let ready = wait_ready(&world).await?;
        restarts.push(ready);
        eprintln!(
            "chaos: kill {kill}/{}: ready again after {ready:?}",
            cli.kills
        );
        if !cli.no_restarts && kill == cli.kills.div_ceil(2) {
            eprintln!("chaos: restarting PostgreSQL under load");
            let errors_before = shared
                .tally
                .server_errors
                .lock()
                .map(|e| e.len())
                .unwrap_or(0);
            pg.stop()?;
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            pg.start()?;
            let recovered = first_success(&world, &citizens[0].token).await;
            let errors = shared
                .tally
                .server_errors
                .lock()
                .map(|e| e.len())
                .unwrap_or(0)
                - errors_before;
            let _ = writeln!(report, "- PostgreSQL stopped hard for 1.5 s under load: requests answered again {:.1} s after it was back; {errors} answers other than 503 among the 5xx.", recovered.as_secs_f64());
            if recovered > Duration::from_secs(5) {
                problems.push(format!(
                    "after PostgreSQL came back, recovery took {recovered:?}"
                ));
            }
        }
        if !cli.no_restarts && kill == cli.kills {
            eprintln!("chaos: restarting Redis under load");
            redis.restart(&dir)?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let replayed = world
                .http
                .post(format!("{}/v1/sessions", world.gateway))
                .json(&json!({"assertion": spent_assertion}))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .status()
                .as_u16();
            let nonce_again = nonce_replay
                .try_clone()
                .ok_or("a merchant request that cannot be replayed")?
                .send()
                .await
                .map_err(|e| e.to_string())?
                .status()
                .as_u16();
            let _ = writeln!(report, "- Redis killed and restarted empty under load: a spent VNeID assertion answered {replayed}, a spent merchant nonce {nonce_again}.");
            if replayed != 401 || nonce_again != 401 {
                problems.push(format!("after Redis lost everything a spent assertion answered {replayed} and a spent nonce {nonce_again}"));
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    shared.stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }

    // Payments an outside call left pending are finished by the resumer.
    let url = pg.url("gateway");
    await_settled(std::slice::from_ref(&url), &mut problems).await?;

    let done = shared.done.lock().map(|d| d.clone()).unwrap_or_default();
    check_books(&world, &shared, &done, funds, &mut problems).await?;

    server_errors(&shared, &mut problems);
    let mut out = String::new();
    let _ = writeln!(out, "- Gateway killed with SIGKILL under load **{}** times and restarted (ready again after {:.1} s on average); {} clients kept every unanswered request going under its key.",
        cli.kills, restarts.iter().map(Duration::as_secs_f64).sum::<f64>() / restarts.len().max(1) as f64, cli.clients);
    let _ = writeln!(out, "- {} operations ({} P2P, {} bills, {} merchant QR, {} captures, {} refunds); {} HTTP requests, {} of them retries, {} final answers.",
        done.len(),
        done.iter().filter(|d| matches!(d, Done::Transfer { .. })).count(),
        done.iter().filter(|d| matches!(d, Done::Bill { .. })).count(),
        done.iter().filter(|d| matches!(d, Done::Merchant { .. })).count(),
        done.iter().filter(|d| matches!(d, Done::Captured { .. })).count(),
        done.iter().filter(|d| matches!(d, Done::Refunded { .. })).count(),
        shared.tally.attempts.load(Ordering::Relaxed),
        shared.tally.retried.load(Ordering::Relaxed),
        shared.tally.finals.load(Ordering::Relaxed));
    out.push_str(&report);
    let _ = writeln!(out, "- Checked afterwards: every answered payment's state, every wallet and the merchant's account to the dong, refunds within captures, the trial balance, the hash chain, no hold past its timeout, no payment pending.");
    if problems.is_empty() {
        let _ = writeln!(out, "- Problems found: **none**.");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(out)
    } else {
        let _ = writeln!(
            out,
            "- Problems found: **{}**: {}. Logs in {}.",
            problems.len(),
            problems.join("; "),
            dir.display()
        );
        Err(out)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            println!("{report}");
            eprintln!("chaos: problems found");
            ExitCode::FAILURE
        }
    }
}
