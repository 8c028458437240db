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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::cluster::{free_port, wait_for_port, Postgres, Process, Redis};
use bench::world::{Citizen, Merchant, World};
use clap::Parser;
use diesel::{Connection, RunQueryDsl};
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
#[derive(Default)]
struct Tally {
    attempts: AtomicU64,
    finals: AtomicU64,
    retried: AtomicU64,
    server_errors: Mutex<Vec<String>>,
}

/// The answer a request finally got.
#[derive(Debug, Clone)]
struct Final {
    status: u16,
    body: Value,
}

/// Sends `make()` until it gets a final answer: anything but a dropped connection,
/// a 503, a 429 or "still in progress". A 500 is recorded as a problem and retried.
async fn until_final(tally: &Tally, make: impl Fn() -> reqwest::RequestBuilder) -> Final {
    let mut pause = Duration::from_millis(50);
    loop {
        tally.attempts.fetch_add(1, Ordering::Relaxed);
        if let Ok(res) = make().send().await {
            let status = res.status().as_u16();
            let body = res.json::<Value>().await.unwrap_or(Value::Null);
            let in_progress =
                status == 409 && body["error"]["code"] == "idempotency_key_in_progress";
            if status >= 500 && status != 503 {
                if let Ok(mut errors) = tally.server_errors.lock() {
                    errors.push(format!("{status} {body}"));
                }
            }
            if !(status >= 500 || status == 429 || in_progress) {
                tally.finals.fetch_add(1, Ordering::Relaxed);
                return Final { status, body };
            }
        }
        tally.retried.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(800));
    }
}

/// One operation a client carried out, with the answers that decide its effect.
#[derive(Debug, Clone)]
enum Done {
    Transfer {
        payer: usize,
        payee: usize,
        amount: i64,
        answer: Final,
    },
    Bill {
        citizen: usize,
        answer: Final,
    },
    Merchant {
        citizen: usize,
        request: String,
        amount: i64,
        answer: Final,
    },
    Captured {
        citizen: usize,
        captured: i64,
        pay: Final,
        capture: Final,
    },
    Refunded {
        request: String,
        amount: i64,
        answer: Final,
    },
}

struct Shared {
    world: World,
    citizens: Vec<Citizen>,
    merchant: Merchant,
    bills: Mutex<Vec<(usize, String)>>,
    paid_requests: Mutex<Vec<(usize, String, i64)>>,
    done: Mutex<Vec<Done>>,
    tally: Tally,
    stop: AtomicBool,
}

fn pick(n: usize) -> usize {
    rand::random::<u64>() as usize % n
}

async fn merchant_post(s: &Shared, path: &str, key: &str, body: Value) -> Final {
    let body = body.to_string();
    until_final(&s.tally, || {
        s.world
            .merchant_request(&s.world.http, &s.merchant, path, key, &body)
    })
    .await
}

async fn citizen_post(s: &Shared, who: usize, path: &str, key: &str, body: Value) -> Final {
    let url = format!("{}{path}", s.world.gateway);
    until_final(&s.tally, || {
        s.world
            .http
            .post(&url)
            .bearer_auth(&s.citizens[who].token)
            .header("idempotency-key", key)
            .json(&body)
    })
    .await
}

async fn one_operation(s: &Shared, client: usize, seq: usize) -> Option<Done> {
    let key = |what: &str| format!("chaos-{client}-{seq}-{what}");
    let n = s.citizens.len();
    let roll = pick(100);
    if roll < 55 {
        let payer = pick(n);
        let payee = (payer + 1 + pick(n - 1)) % n;
        let amount = 1_000 * (1 + pick(50) as i64);
        let body = json!({"type": "transfer", "amount": amount, "payee": {"cccd": s.citizens[payee].cccd}});
        let answer = citizen_post(s, payer, "/v1/payments", &key("p2p"), body).await;
        return Some(Done::Transfer {
            payer,
            payee,
            amount,
            answer,
        });
    }
    if roll < 70 {
        let (citizen, bill) = s.bills.lock().ok()?.pop()?;
        let answer = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("bill"),
            json!({"type": "bill", "bill_id": bill}),
        )
        .await;
        return Some(Done::Bill { citizen, answer });
    }
    if roll < 85 {
        let citizen = pick(n);
        let amount = 1_000 * (1 + pick(30) as i64);
        let created = merchant_post(
            s,
            "/v1/merchant/payment-requests",
            &key("req"),
            json!({"amount": amount, "order_ref": key("order"), "capture": "automatic", "expires_in_seconds": 3_600}),
        )
        .await;
        let request = created.body["id"].as_str()?.to_string();
        let qr = created.body["qr"].as_str()?.to_string();
        let answer = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("pay"),
            json!({"type": "merchant", "qr": qr}),
        )
        .await;
        if answer.status == 201 && answer.body["status"] == "succeeded" {
            if let Ok(mut paid) = s.paid_requests.lock() {
                paid.push((citizen, request.clone(), amount));
            }
        }
        return Some(Done::Merchant {
            citizen,
            request,
            amount,
            answer,
        });
    }
    if roll < 93 {
        let citizen = pick(n);
        let amount = 1_000 * (2 + pick(30) as i64);
        let created = merchant_post(
            s,
            "/v1/merchant/payment-requests",
            &key("manual"),
            json!({"amount": amount, "order_ref": key("order"), "capture": "manual", "expires_in_seconds": 3_600}),
        )
        .await;
        let request = created.body["id"].as_str()?.to_string();
        let pay = citizen_post(
            s,
            citizen,
            "/v1/payments",
            &key("auth"),
            json!({"type": "merchant", "payment_request_id": request}),
        )
        .await;
        let captured = amount - 1_000;
        let capture = merchant_post(
            s,
            &format!("/v1/merchant/payment-requests/{request}/capture"),
            &key("capture"),
            json!({"amount": captured}),
        )
        .await;
        return Some(Done::Captured {
            citizen,
            captured,
            pay,
            capture,
        });
    }
    let (_, request, amount) = {
        let paid = s.paid_requests.lock().ok()?;
        paid.get(pick(paid.len().max(1)))?.clone()
    };
    let part = (amount / 3).max(1);
    let answer = merchant_post(
        s,
        &format!("/v1/merchant/payment-requests/{request}/refunds"),
        &key("refund"),
        json!({"amount": part}),
    )
    .await;
    Some(Done::Refunded {
        request,
        amount: part,
        answer,
    })
}

async fn client_loop(s: Arc<Shared>, client: usize) {
    let mut seq = 0;
    while !s.stop.load(Ordering::Relaxed) {
        seq += 1;
        if let Some(done) = one_operation(&s, client, seq).await {
            if let Ok(mut all) = s.done.lock() {
                all.push(done);
            }
        }
    }
}

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

fn scalar(url: &str, sql: &str) -> Result<i64, String> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel::pg::PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .map(|r| r.n)
        .map_err(|e| e.to_string())
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
    let settle_started = Instant::now();
    let mut pending = scalar(
        &url,
        "SELECT count(*) AS n FROM payments WHERE status = 'pending'",
    )?;
    while pending > 0 && settle_started.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        pending = scalar(
            &url,
            "SELECT count(*) AS n FROM payments WHERE status = 'pending'",
        )?;
    }
    if pending > 0 {
        problems.push(format!(
            "{pending} payments still pending 90 s after the load stopped"
        ));
    }
    // Holds that lapsed are released by the next batch; give one a moment to run.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let lapsed = scalar(
        &url,
        "SELECT count(*) AS n FROM ledger_pending_holds WHERE status = 0 AND expires_at IS NOT NULL \
         AND expires_at < (extract(epoch from now()) * 1e9)::bigint - 5000000000",
    )?;
    if lapsed > 0 {
        problems.push(format!("{lapsed} holds outlived their timeout"));
    }

    let done = shared.done.lock().map(|d| d.clone()).unwrap_or_default();
    check_books(&world, &shared, &done, funds, &mut problems).await?;

    let errors = shared
        .tally
        .server_errors
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    if !errors.is_empty() {
        problems.push(format!(
            "{} answers were a 5xx other than 503: {:?}",
            errors.len(),
            errors.iter().take(3).collect::<Vec<_>>()
        ));
    }
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

async fn get_json(world: &World, path: &str, token: &str) -> Result<Value, String> {
    let res = world
        .http
        .get(format!("{}{path}", world.gateway))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.map_err(|e| e.to_string())?;
    if status == 200 {
        Ok(body)
    } else {
        Err(format!("GET {path}: {status} {body}"))
    }
}

/// Every answer against the books.
async fn check_books(
    world: &World,
    s: &Shared,
    done: &[Done],
    funds: i64,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let mut expected: Vec<i64> = vec![funds; s.citizens.len()];
    let mut merchant: i64 = 0;
    let mut refunds: HashMap<String, i64> = HashMap::new();
    // The state a payment answered `pending` reached since.
    let final_status = |who: usize, answer: &Final| {
        let (id, status) = (
            answer.body["id"].as_str().map(str::to_string),
            answer.body["status"].clone(),
        );
        let token = s.citizens[who].token.clone();
        async move {
            match (id, status.as_str()) {
                (Some(id), Some("pending")) => {
                    get_json(world, &format!("/v1/payments/{id}"), &token)
                        .await
                        .map(|p| p["status"].as_str().unwrap_or_default().to_string())
                }
                (_, Some(other)) => Ok(other.to_string()),
                _ => Ok(String::new()),
            }
        }
    };
    // Each answered payment is in the state its answer gave (or one it went on to).
    let mut checked = 0usize;
    for d in done {
        let (who, answer, allowed): (usize, &Final, &[&str]) = match d {
            Done::Transfer { payer, answer, .. } => (*payer, answer, &["succeeded"]),
            Done::Bill { citizen, answer } => (*citizen, answer, &["succeeded"]),
            Done::Merchant {
                citizen, answer, ..
            } => (
                *citizen,
                answer,
                &["succeeded", "partially_refunded", "refunded"],
            ),
            Done::Captured {
                citizen,
                pay,
                capture,
                ..
            } if capture.status == 200 => (*citizen, pay, &["succeeded"]),
            _ => continue,
        };
        if answer.status != 201
            || !matches!(
                answer.body["status"].as_str(),
                Some("succeeded" | "authorized")
            )
        {
            continue;
        }
        let Some(id) = answer.body["id"].as_str() else {
            problems.push(format!("a payment answered without an id: {}", answer.body));
            continue;
        };
        let now = get_json(world, &format!("/v1/payments/{id}"), &s.citizens[who].token).await?;
        if !allowed.contains(&now["status"].as_str().unwrap_or_default()) {
            problems.push(format!(
                "payment {id} answered {} but is {}",
                answer.body["status"], now["status"]
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        problems.push("no payment was answered at all".into());
    }
    for d in done {
        match d {
            Done::Transfer {
                payer,
                payee,
                amount,
                answer,
            } => match answer.status {
                201 if final_status(*payer, answer).await? == "succeeded" => {
                    expected[*payer] -= amount;
                    expected[*payee] += amount;
                }
                201 | 422 => {}
                other => problems.push(format!("a transfer answered {other}: {}", answer.body)),
            },
            Done::Bill { citizen, answer } => match answer.status {
                201 if final_status(*citizen, answer).await? == "succeeded" => {
                    expected[*citizen] -= answer.body["amount"].as_i64().unwrap_or(0);
                }
                201 | 422 => {}
                other => problems.push(format!("a bill payment answered {other}: {}", answer.body)),
            },
            Done::Merchant {
                citizen,
                amount,
                answer,
                ..
            } => match answer.status {
                201 if answer.body["status"] == "succeeded" => {
                    expected[*citizen] -= amount;
                    merchant += amount;
                }
                422 => {}
                other => problems.push(format!(
                    "a merchant payment answered {other}: {}",
                    answer.body
                )),
            },
            Done::Captured {
                citizen,
                captured,
                pay,
                capture,
                ..
            } => {
                if pay.status == 201 && capture.status == 200 {
                    expected[*citizen] -= captured;
                    merchant += captured;
                } else if pay.status == 201 {
                    problems.push(format!(
                        "an authorized payment's capture answered {}: {}",
                        capture.status, capture.body
                    ));
                }
            }
            Done::Refunded {
                request,
                amount,
                answer,
            } => match answer.status {
                201 => {
                    *refunds.entry(request.clone()).or_default() += amount;
                    merchant -= amount;
                }
                422 => {}
                other => problems.push(format!("a refund answered {other}: {}", answer.body)),
            },
        }
    }
    // Refunds land on the payer of the request.
    for d in done {
        if let Done::Merchant {
            citizen, request, ..
        } = d
        {
            if let Some(r) = refunds.get(request) {
                expected[*citizen] += r;
                let seen = s
                    .world
                    .http
                    .get(format!(
                        "{}/v1/merchant/payment-requests/{request}",
                        s.world.gateway
                    ))
                    .bearer_auth(&s.merchant.api_key)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json::<Value>()
                    .await
                    .map_err(|e| e.to_string())?;
                let (refunded, captured) = (
                    seen["refunded_amount"].as_i64().unwrap_or(-1),
                    seen["captured_amount"].as_i64().unwrap_or(-1),
                );
                if refunded != *r || refunded > captured {
                    problems.push(format!("request {request}: refunded {refunded} of {captured} captured, answers said {r}"));
                }
            }
        }
    }
    for (i, c) in s.citizens.iter().enumerate() {
        let me = get_json(world, "/v1/me", &c.token).await?;
        let balance = me["wallet"]["balance"].as_i64().unwrap_or(-1);
        if balance != expected[i] {
            problems.push(format!(
                "citizen {i}: wallet holds {balance}, the answers say {}",
                expected[i]
            ));
        }
        if me["wallet"]["available"] != me["wallet"]["balance"] {
            problems.push(format!("citizen {i}: funds still held: {}", me["wallet"]));
        }
    }
    let account = get_json(
        world,
        &format!("/v1/accounts/{}", s.merchant.account),
        &world.admin_token,
    )
    .await?;
    if account["balance"].as_i64() != Some(merchant) {
        problems.push(format!(
            "the merchant's account holds {}, the answers say {merchant}",
            account["balance"]
        ));
    }
    let tb = get_json(world, "/v1/admin/ledger/trial-balance", &world.admin_token).await?;
    if tb["currencies"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["balanced"] != true))
    {
        problems.push(format!("the trial balance does not balance: {tb}"));
    }
    let verify = get_json(world, "/v1/admin/ledger/verify", &world.admin_token).await?;
    if verify["ok"] != true {
        problems.push(format!("the hash chain does not verify: {verify}"));
    }
    Ok(())
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
