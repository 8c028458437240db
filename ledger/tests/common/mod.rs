//! Shared test support: a private schema per test on the real PostgreSQL, and the
//! in-memory reference model the property tests compare against.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod model;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use ledger::PgLedger;

/// The database the ledger tests use; each test gets its own schema in it.
fn base_url() -> String {
    std::env::var("LEDGER_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/ledger_test".into())
}

fn ensure_database(url: &str) {
    let (server, name) = url.rsplit_once('/').expect("database url has a path");
    let mut admin = PgConnection::establish(&format!("{server}/postgres")).expect("postgres up");
    // Parallel tests race to create it; losing the race is fine.
    let _ = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin);
}

/// A ledger on a fresh schema of its own, migrated.
pub struct TestLedger {
    pub ledger: PgLedger,
    pub url: String,
    pub schema: String,
}

impl TestLedger {
    pub fn new() -> Self {
        Self::with_pool(8)
    }

    pub fn with_pool(pool_size: u32) -> Self {
        let base = base_url();
        ensure_database(&base);
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let mut conn = PgConnection::establish(&base).expect("test database up");
        diesel::sql_query(format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .expect("create schema");
        let url = format!("{base}?options=-c%20search_path%3D{schema}");
        let ledger = PgLedger::connect(&url, pool_size).expect("pool");
        ledger.migrate().expect("migrations");
        Self {
            ledger,
            url,
            schema,
        }
    }

    /// A direct connection to the test's schema, for tests that poke at tables.
    pub fn connection(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect")
    }
}

impl Drop for TestLedger {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&base_url()) {
            let _ = diesel::sql_query(format!("DROP SCHEMA {} CASCADE", self.schema))
                .execute(&mut conn);
        }
    }
}
