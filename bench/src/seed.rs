//! History for the "does it stay fast as it succeeds" run: a million payments with
//! their idempotency records, and a million journal entries, written straight into
//! the database (through the ledger's own batches for the journal, so the hash chain
//! stays whole).

use std::time::Instant;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use ledger::{Account, AccountFlags, PgLedger, Transfer};

/// Where the seeded journal entries move money between.
const SEED_FROM: u128 = (1 << 62) + 1;
const SEED_TO: u128 = (1 << 62) + 2;

pub fn history(database_url: &str, payments: u64) -> Result<f64, String> {
    let started = Instant::now();
    let mut conn = PgConnection::establish(database_url).map_err(|e| e.to_string())?;
    let e = |e: diesel::result::Error| e.to_string();
    diesel::sql_query(
        "INSERT INTO payments (id, identity_id, idempotency_key, kind, amount, fee, status, \
         payee_identity_id, created_at, updated_at, history, cap) \
         SELECT 'pay_hist' || lpad(g::text, 12, '0'), i.ids[1 + g % i.n], 'seed-' || g, \
         'transfer', 1000, 0, 'succeeded', i.ids[1 + (g + 1) % i.n], \
         now() - (g % 2592000) * interval '1 second', now() - (g % 2592000) * interval '1 second', \
         jsonb_build_array(jsonb_build_object('status', 'pending', 'at', now(), 'detail', null), \
                           jsonb_build_object('status', 'succeeded', 'at', now(), 'detail', null)), \
         'general' \
         FROM generate_series(1, $1) g, \
         (SELECT array_agg(id) AS ids, count(*)::int AS n FROM identities) i",
    )
    .bind::<diesel::sql_types::BigInt, _>(payments as i64)
    .execute(&mut conn)
    .map_err(e)?;
    diesel::sql_query(
        "INSERT INTO idempotency_keys (principal, key, request_hash, response_status, \
         response_body, created_at, completed_at, resource_id, fingerprint_version) \
         SELECT 'citizen:' || p.identity_id, p.idempotency_key, sha256(p.id::bytea), 201, \
         '{\"id\":\"' || p.id || '\",\"type\":\"transfer\",\"amount\":1000,\"fee\":0,\"status\":\"succeeded\",' \
         || '\"failure_code\":null,\"created_at\":\"2026-12-01T00:00:00Z\",\"updated_at\":\"2026-12-01T00:00:00Z\",' \
         || '\"bank_link_id\":null,\"payee\":{\"kind\":\"citizen\",\"cccd\":\"001******123\",\"name\":\"Công dân\"},' \
         || '\"note\":null,\"step_up_nonce\":null,\"status_history\":[{\"status\":\"pending\",\"at\":\"2026-12-01T00:00:00Z\",\"detail\":null},' \
         || '{\"status\":\"succeeded\",\"at\":\"2026-12-01T00:00:00Z\",\"detail\":null}]}', \
         p.created_at, p.created_at, p.id, 2 \
         FROM payments p WHERE p.id LIKE 'pay\\_hist%' AND p.idempotency_key LIKE 'seed-%'",
    )
    .execute(&mut conn)
    .map_err(e)?;
    let ledger = PgLedger::connect(database_url, 2).map_err(|e| e.to_string())?;
    ledger
        .create_accounts(&[
            Account::new(SEED_FROM, 704, 2, AccountFlags::NONE),
            Account::new(SEED_TO, 704, 2, AccountFlags::NONE),
        ])
        .map_err(|e| e.to_string())?;
    let base: u128 = (1 << 63) + u128::from(rand::random::<u32>()) * 10_000_000;
    let mut next = 0u64;
    while next < payments {
        let batch: Vec<Transfer> = (0..8_000u64.min(payments - next))
            .map(|i| Transfer {
                id: base + u128::from(next + i),
                debit_account_id: SEED_FROM,
                credit_account_id: SEED_TO,
                amount: 1_000,
                ledger: 704,
                code: 3,
                ..Transfer::default()
            })
            .collect();
        next += batch.len() as u64;
        ledger.create_transfers(&batch).map_err(|e| e.to_string())?;
    }
    diesel::sql_query("VACUUM ANALYZE payments")
        .execute(&mut conn)
        .map_err(e)?;
    diesel::sql_query("VACUUM ANALYZE idempotency_keys")
        .execute(&mut conn)
        .map_err(e)?;
    diesel::sql_query("VACUUM ANALYZE ledger_transfers")
        .execute(&mut conn)
        .map_err(e)?;
    Ok(started.elapsed().as_secs_f64())
}

/// Commits per second of one small INSERT per transaction from `clients` connections
/// for `seconds`: what a design that makes each request its own durable write can
/// reach on this server at best.
pub fn insert_ceiling(database_url: &str, clients: usize, seconds: u64) -> Result<f64, String> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let mut conn = PgConnection::establish(database_url).map_err(|e| e.to_string())?;
    diesel::sql_query(
        "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, v bigint NOT NULL)",
    )
    .execute(&mut conn)
    .map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (url, stop, count) = (
                database_url.to_string(),
                Arc::clone(&stop),
                Arc::clone(&count),
            );
            std::thread::spawn(move || -> Result<(), String> {
                let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
                while !stop.load(Ordering::Relaxed) {
                    diesel::sql_query("INSERT INTO bench_insert (v) VALUES ($1)")
                        .bind::<diesel::sql_types::BigInt, _>(i as i64)
                        .execute(&mut conn)
                        .map_err(|e| e.to_string())?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join()
            .map_err(|_| "a ceiling client panicked".to_string())??;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
