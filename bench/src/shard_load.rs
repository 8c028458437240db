//! Cross-shard load on the sharded ledger: citizens spread over the shards by vshard,
//! worker threads moving money between them (retrying every unanswered transfer under
//! its own id), a sweeper and a checkpointer running beside them, and the checks the
//! scale-out design's acceptance test asks for afterwards.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use ledger::shards::collection::Collection;
use ledger::shards::map::{account_id, vshard_of_key, ShardMap};
use ledger::shards::protocol::{CrossShardTransfer, Outcome, Side};
use ledger::shards::{Shard, ShardedLedger};
use ledger::{
    Account, AccountFlags, CreateTransferResult as R, PendingStatus, PgLedger, Transfer,
    WriterConfig, WriterShard,
};

const VND: u32 = 704;
/// The gateway chart's code for clearing accounts, so a gateway sweeping the same
/// shards finds them as it would create them.
const CLEARING_CODE: u16 = 7;
pub const FUNDS: u64 = 10_000_000;

/// Connections per shard: its writer's, the sweeper's and the checks'. Four shards and
/// a catalog stay well inside a server's default 100 connections.
const POOL: u32 = 8;

/// A ledger database on each shard and one for the catalog, migrated.
pub fn connect(
    shard_urls: &[String],
    catalog_url: &str,
) -> Result<(ShardedLedger<PgLedger>, PgLedger), String> {
    let open = |url: &str| -> Result<PgLedger, String> {
        ensure_database(url)?;
        let ledger = PgLedger::connect(url, POOL).map_err(|e| format!("{url}: {e}"))?;
        ledger.migrate().map_err(|e| format!("{url}: {e}"))?;
        Ok(ledger)
    };
    let shards = shard_urls
        .iter()
        .map(|u| open(u))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((ShardedLedger::new(shards), open(catalog_url)?))
}

fn ensure_database(url: &str) -> Result<(), String> {
    let (server, name) = url.rsplit_once('/').ok_or("a database url needs a name")?;
    let mut admin = diesel::pg::PgConnection::establish(&format!("{server}/postgres"))
        .map_err(|e| format!("{server}: {e}"))?;
    // Creating one that exists fails harmlessly.
    let _ = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin);
    Ok(())
}

/// The same shards, each with its own group-commit writer started on `runtime`: what
/// the load moves money through.
pub fn with_writers(
    ledger: &ShardedLedger<PgLedger>,
    runtime: &tokio::runtime::Handle,
) -> ShardedLedger<WriterShard> {
    ShardedLedger::new(
        ledger
            .shards()
            .iter()
            .map(|l| WriterShard::spawn(l.clone(), WriterConfig::default(), runtime))
            .collect(),
    )
}

/// Citizens' wallets, each on the shard its key's vshard maps to, and the accounts
/// they pay bills and a large merchant into.
pub struct Citizens {
    pub wallets: Vec<Side>,
    pub by_shard: Vec<Vec<usize>>,
    /// EVN's collection, then a large merchant's: a sub-account on every shard and the
    /// master account on shard 0.
    pub collections: [Collection; 2],
}

fn funding(shard: u16) -> u128 {
    account_id(4094, u128::from(shard) + 1)
}

const BILL: u16 = 4;
const MERCHANT: u16 = 5;

/// A biller's or merchant's accounts for this run: the sub-account on every shard
/// and the master on shard 0.
fn collection(run: u64, code: u16, shards: u16) -> Collection {
    let id = |n: u128| account_id(4092, (u128::from(run) << 40) | (u128::from(code) << 20) | n);
    Collection {
        master: Side {
            shard: 0,
            account: id(0xF_FFFF),
        },
        sub_accounts: (0..shards)
            .map(|s| Side {
                shard: s,
                account: id(u128::from(s)),
            })
            .collect(),
        ledger: VND,
        code,
    }
}

/// Creates and funds `count` citizens, each on the shard the catalog's `map` gives
/// their key (idempotent: a run over existing ones reuses them), and the clearing
/// and collection accounts.
pub fn setup(
    ledger: &ShardedLedger<PgLedger>,
    map: &ShardMap,
    run: u64,
    count: usize,
) -> Result<Citizens, String> {
    let mut by_shard = vec![Vec::new(); ledger.shards().len()];
    let mut wallets = Vec::new();
    for n in 0..count {
        let key = format!("citizen-{run}-{n}");
        let vshard = vshard_of_key(key.as_bytes());
        let shard = map.shard_of_vshard(vshard);
        let account = account_id(vshard, (u128::from(run) << 32) | (n as u128 + 1));
        by_shard[usize::from(shard)].push(wallets.len());
        wallets.push(Side { shard, account });
    }
    ledger
        .create_clearing_accounts(VND, CLEARING_CODE)
        .map_err(|e| e.to_string())?;
    let count = u16::try_from(ledger.shards().len()).map_err(|e| e.to_string())?;
    let collections = [
        collection(run, BILL, count),
        collection(run, MERCHANT, count),
    ];
    for (s, members) in by_shard.iter().enumerate() {
        let shard = u16::try_from(s).map_err(|e| e.to_string())?;
        let mut accounts = vec![Account::new(funding(shard), VND, 1, AccountFlags::NONE)];
        // Collection accounts never go below zero: a sweep takes only what is there.
        for c in &collections {
            let mine = c
                .sub_accounts
                .iter()
                .chain([&c.master])
                .filter(|a| a.shard == shard);
            accounts.extend(mine.map(|a| {
                Account::new(
                    a.account,
                    VND,
                    c.code,
                    AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
                )
            }));
        }
        accounts.extend(members.iter().map(|&i| {
            Account::new(
                wallets[i].account,
                VND,
                2,
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            )
        }));
        for chunk in accounts.chunks(1_000) {
            Shard::create_accounts(&ledger.shards()[s], chunk).map_err(|e| e.to_string())?;
        }
        let fund: Vec<Transfer> = members
            .iter()
            .map(|&i| Transfer {
                id: ledger::shards::protocol::derive(wallets[i].account, "fund"),
                debit_account_id: funding(shard),
                credit_account_id: wallets[i].account,
                amount: FUNDS,
                ledger: VND,
                code: 1,
                ..Transfer::default()
            })
            .collect();
        for chunk in fund.chunks(1_000) {
            let results =
                Shard::create_transfers(&ledger.shards()[s], chunk).map_err(|e| e.to_string())?;
            if let Some(bad) = results.iter().find(|r| !matches!(r, R::Ok | R::Exists)) {
                return Err(format!("funding on shard {s}: {bad:?}"));
            }
        }
    }
    Ok(Citizens {
        wallets,
        by_shard,
        collections,
    })
}

/// What the load did.
#[derive(Default)]
pub struct LoadTally {
    pub answers: Mutex<Vec<(CrossShardTransfer, Outcome)>>,
    pub retries: AtomicU64,
    pub latencies_us: Mutex<Vec<u64>>,
    pub abandoned: Mutex<Vec<CrossShardTransfer>>,
}

pub struct LoadPlan {
    pub run: u64,
    pub workers: usize,
    pub duration: Duration,
    /// The share of payments that are P2P; the rest are bills (three in four) and
    /// payments to a large merchant, both paid on the payer's own shard.
    pub p2p_share: f64,
    /// Of transfers between citizens, the share whose payee lives on another shard.
    pub cross_share: f64,
    /// Seconds a payer's hold waits for its decision.
    pub hold_timeout: u32,
    /// How long an unanswered transfer keeps being retried after the load ends.
    pub retry_for: Duration,
}

fn pick(n: usize) -> usize {
    usize::try_from(rand::random::<u64>() % (n.max(1) as u64)).unwrap_or(0)
}

/// Runs the workers until `plan.duration` has passed and every transfer they started
/// is answered (or `retry_for` more has passed).
pub fn run_load<S: Shard + Sync>(
    ledger: &ShardedLedger<S>,
    citizens: &Citizens,
    plan: &LoadPlan,
    tally: &LoadTally,
) {
    let started = Instant::now();
    let shards = citizens.by_shard.len();
    std::thread::scope(|scope| {
        for worker in 0..plan.workers {
            scope.spawn(move || {
                let mut seq: u128 = 0;
                while started.elapsed() < plan.duration {
                    seq += 1;
                    let payer = citizens.wallets[pick(citizens.wallets.len())];
                    let home = usize::from(payer.shard);
                    let kind = rand::random::<f64>();
                    let (payee, code) = if kind < plan.p2p_share {
                        let cross = shards > 1 && rand::random::<f64>() < plan.cross_share;
                        let target = if cross {
                            (home + 1 + pick(shards - 1)) % shards
                        } else {
                            home
                        };
                        let pool = &citizens.by_shard[target];
                        if pool.is_empty() {
                            continue;
                        }
                        (citizens.wallets[pool[pick(pool.len())]], 3)
                    } else {
                        let bill = kind < plan.p2p_share + (1.0 - plan.p2p_share) * 0.75;
                        let c = &citizens.collections[usize::from(!bill)];
                        (c.sub_accounts[home], c.code)
                    };
                    if payee == payer {
                        continue;
                    }
                    let t = CrossShardTransfer {
                        id: (u128::from(plan.run) << 96) | ((worker as u128) << 64) | seq,
                        payer,
                        payee,
                        amount: 1 + rand::random::<u64>() % 5_000,
                        ledger: VND,
                        code,
                        timeout: plan.hold_timeout,
                        user_data_64: 0,
                    };
                    let one = Instant::now();
                    let deadline = started + plan.duration + plan.retry_for;
                    loop {
                        match ledger.transfer(&t) {
                            Ok(outcome) => {
                                if let Ok(mut a) = tally.answers.lock() {
                                    a.push((t, outcome));
                                }
                                if let Ok(mut l) = tally.latencies_us.lock() {
                                    l.push(
                                        u64::try_from(one.elapsed().as_micros())
                                            .unwrap_or(u64::MAX),
                                    );
                                }
                                break;
                            }
                            Err(_) if Instant::now() < deadline => {
                                tally.retries.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(200));
                            }
                            Err(_) => {
                                if let Ok(mut a) = tally.abandoned.lock() {
                                    a.push(t);
                                }
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
}

/// Sweeps every `every` and takes a checkpoint every `checkpoint_every` until `stop`.
/// What the background thread did.
#[derive(Debug, Default)]
pub struct BackgroundTally {
    pub sweeps: u64,
    pub checkpoints: u64,
    /// Collection sweeps that moved a sub-account's balance to its master.
    pub collected: u64,
}

/// Sweeps open legs every `every`, takes a checkpoint every `checkpoint_every` and
/// sweeps the collection sub-accounts to their masters every `collect_every` (each
/// round a period of its own), until `stop`.
pub fn background(
    ledger: &ShardedLedger<PgLedger>,
    catalog: &PgLedger,
    citizens: &Citizens,
    stop: &AtomicBool,
    every: Duration,
    checkpoint_every: Duration,
    collect_every: Duration,
) -> BackgroundTally {
    let mut tally = BackgroundTally::default();
    let (mut last_checkpoint, mut last_collection) = (Instant::now(), Instant::now());
    let mut period = 0u64;
    while !stop.load(Ordering::Relaxed) {
        ledger.sweep();
        tally.sweeps += 1;
        if last_checkpoint.elapsed() >= checkpoint_every && ledger.checkpoint(catalog).is_ok() {
            tally.checkpoints += 1;
            last_checkpoint = Instant::now();
        }
        if last_collection.elapsed() >= collect_every {
            period += 1;
            for c in &citizens.collections {
                let moved = ledger.sweep_collection(c, period, 10);
                tally.collected += moved
                    .iter()
                    .filter(|(_, r)| *r == Ok(Outcome::Committed))
                    .count() as u64;
            }
            last_collection = Instant::now();
        }
        std::thread::sleep(every);
    }
    tally
}

/// Sweeps until no leg waits (holds lapse by then), for at most `within`.
pub fn settle(ledger: &ShardedLedger<PgLedger>, within: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        for shard in ledger.shards() {
            let _ = shard.expire_pending_transfers();
        }
        let report = ledger.sweep();
        if !report.orphans.is_empty() {
            return Err(format!("legs with no twin: {:?}", report.orphans));
        }
        if report.waiting == 0 && report.unreachable == 0 {
            return Ok(());
        }
        if started.elapsed() > within {
            return Err(format!("legs still open after {within:?}: {report:?}"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The acceptance checks: each appends what it found to `report` and what failed
/// to `problems`.
pub fn check(
    ledger: &ShardedLedger<PgLedger>,
    catalog: &PgLedger,
    citizens: &Citizens,
    tally: &LoadTally,
    report: &mut String,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let trial = ledger.trial_balance().map_err(|e| e.to_string())?;
    let _ = writeln!(report, "- every shard balanced: {}", trial.balanced());
    if !trial.balanced() {
        problems.push(format!("unbalanced trial balance: {trial:?}"));
    }
    let mut held: i128 = 0;
    for (s, members) in citizens.by_shard.iter().enumerate() {
        let ids: Vec<u128> = members
            .iter()
            .map(|&i| citizens.wallets[i].account)
            .collect();
        for chunk in ids.chunks(1_000) {
            let accounts = ledger.shards()[s]
                .lookup_accounts(chunk)
                .map_err(|e| e.to_string())?;
            held += accounts.iter().map(Account::credit_balance).sum::<i128>();
        }
    }
    let (mut collected, mut as_paid) = (0i128, true);
    for c in &citizens.collections {
        let mut this: i128 = 0;
        for side in c.sub_accounts.iter().chain([&c.master]) {
            let found = ledger.shards()[usize::from(side.shard)]
                .lookup_accounts(&[side.account])
                .map_err(|e| e.to_string())?;
            this += found.iter().map(Account::credit_balance).sum::<i128>();
        }
        // What was paid in, however the sweeps moved it between shards.
        let paid: i128 = tally
            .answers
            .lock()
            .map_err(|e| e.to_string())?
            .iter()
            .filter(|(t, o)| t.code == c.code && *o == Outcome::Committed)
            .map(|(t, _)| i128::from(t.amount))
            .sum();
        if this != paid {
            as_paid = false;
            problems.push(format!(
                "collection {} holds {this}, {paid} was paid in",
                c.code
            ));
        }
        collected += this;
    }
    let funded = i128::from(FUNDS) * citizens.wallets.len() as i128;
    let _ = writeln!(
        report,
        "- wallets hold {held} dong and the biller's and merchant's accounts (sub-accounts and masters) {collected}, what was paid in to them: {as_paid}; in all {} of {funded} funded",
        held + collected
    );
    held += collected;
    if held != funded {
        problems.push(format!("wallets hold {held}, {funded} was funded"));
    }
    let pairs = ledger.clearing_report().map_err(|e| e.to_string())?;
    let open: usize = pairs.iter().map(|p| p.open_holds.len()).sum();
    let netting = pairs.iter().all(|p| p.nets_to_zero());
    let _ = writeln!(
        report,
        "- {} clearing pairs net to zero: {netting}; clearing holds open: {open}",
        pairs.len()
    );
    if !netting || open > 0 {
        problems.push(format!("clearing: {pairs:?}"));
    }

    let answers = tally.answers.lock().map_err(|e| e.to_string())?;
    let mut wanted: HashMap<u16, Vec<u128>> = HashMap::new();
    for (t, _) in answers.iter().filter(|(t, _)| t.crosses_shards()) {
        wanted
            .entry(t.payer.shard)
            .or_default()
            .push(t.payer_hold().id);
        wanted
            .entry(t.payee.shard)
            .or_default()
            .push(t.payee_leg().id);
    }
    let mut status: HashMap<u128, PendingStatus> = HashMap::new();
    for (shard, ids) in wanted {
        for chunk in ids.chunks(5_000) {
            for h in ledger.shards()[usize::from(shard)]
                .lookup_holds(chunk)
                .map_err(|e| e.to_string())?
            {
                status.insert(h.id, h.status);
            }
        }
    }
    let mut mismatched = 0;
    let mut direct: HashMap<u16, Vec<u128>> = HashMap::new();
    for (t, outcome) in answers.iter() {
        if !t.crosses_shards() {
            direct.entry(t.payer.shard).or_default().push(t.direct().id);
            continue;
        }
        let a = status.get(&t.payer_hold().id) == Some(&PendingStatus::Posted);
        let b = status.get(&t.payee_leg().id) == Some(&PendingStatus::Posted);
        let answered = *outcome == Outcome::Committed;
        if a != b || a != answered {
            mismatched += 1;
        }
    }
    let mut found_direct = 0usize;
    for (shard, ids) in &direct {
        for chunk in ids.chunks(5_000) {
            found_direct += ledger.shards()[usize::from(*shard)]
                .lookup_transfers(chunk)
                .map_err(|e| e.to_string())?
                .len();
        }
    }
    let direct_committed = answers
        .iter()
        .filter(|(t, o)| !t.crosses_shards() && *o == Outcome::Committed)
        .count();
    if found_direct != direct_committed {
        mismatched += found_direct.abs_diff(direct_committed);
    }
    let _ = writeln!(
        report,
        "- {} answered transfers ({} cross-shard) checked against the ledgers: {mismatched} mismatches",
        answers.len(),
        answers.iter().filter(|(t, _)| t.crosses_shards()).count()
    );
    if mismatched > 0 {
        problems.push(format!("{mismatched} answers disagree with the ledgers"));
    }
    let abandoned = tally.abandoned.lock().map_err(|e| e.to_string())?.len();
    if abandoned > 0 {
        problems.push(format!("{abandoned} transfers never got an answer"));
    }

    ledger.checkpoint(catalog).map_err(|e| e.to_string())?;
    let verified = ledger.verify(catalog).map_err(|e| e.to_string())?;
    let checked: u64 = verified.chains.iter().map(|c| c.transfers_checked).sum();
    let _ = writeln!(
        report,
        "- every chain ({checked} transfers) and {} checkpoints verify: {}",
        verified.checkpoints,
        verified.ok()
    );
    if !verified.ok() {
        problems.push(format!("verification: {verified:?}"));
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Prepared (two-phase) transactions left on a server: the design uses none.
pub fn prepared_transactions(url: &str) -> Result<i64, String> {
    let mut conn = diesel::pg::PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT count(*) AS n FROM pg_prepared_xacts")
        .get_result::<Count>(&mut conn)
        .map(|c| c.n)
        .map_err(|e| e.to_string())
}

/// Latency percentiles in milliseconds: p50, p99.
pub fn percentiles(tally: &LoadTally) -> (f64, f64) {
    let mut l = tally
        .latencies_us
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    l.sort_unstable();
    let at = |q: f64| -> f64 {
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() as f64 - 1.0) * q).round() as usize;
        l[i.min(l.len() - 1)] as f64 / 1_000.0
    };
    (at(0.50), at(0.99))
}
