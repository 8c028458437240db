//! The ledger on PostgreSQL: each batch is one transaction that locks the chain head
//! and the touched account rows (in id order, so batches never deadlock), runs the
//! pure engine, and writes its effects with a handful of multi-row statements.

mod audit;
mod batch;
mod prepared;
mod read;
mod rows;
mod schema;
mod shard;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use audit::{ClearingPair, ShardsVerified, TrialBalance};
pub use batch::{ChainLock, TransferBatch, PLANNER_SETTINGS};
pub use prepared::Prepared;
pub use read::{BrokenLink, EntriesPage, Entry, EntrySide, LedgerTotals, VerifyReport};

/// Every migration of the project, embedded so the binary carries its schema.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// The largest batch one call may carry (TigerBeetle's limit for a message).
pub const MAX_BATCH: usize = 8190;

/// How many lapsed holds one batch releases on its way (the rest wait for the next).
const LAPSED_HOLDS_PER_BATCH: i64 = 1024;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("a batch holds at most {max} events, got {got}")]
    BatchTooLarge { got: usize, max: usize },
    #[error("account {0:#x} does not keep a balance history")]
    HistoryNotKept(u128),
    #[error("stored ledger data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the ledger batch could not be committed: {0}")]
    Unavailable(String),
    #[error("transfer {0:#x} was applied without being named when the batch began")]
    NotPrefetched(u128),
    #[error("the ledger writer has stopped")]
    WriterStopped,
}

/// Nanoseconds since the Unix epoch, by the wall clock.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The ledger, backed by a pool of PostgreSQL connections.
#[derive(Clone)]
pub struct PgLedger {
    pool: PgPool,
}

impl PgLedger {
    /// Connects a pool of `pool_size` connections to `database_url`.
    pub fn connect(database_url: &str, pool_size: u32) -> Result<Self, LedgerError> {
        let manager = ConnectionManager::<PgConnection>::new(database_url);
        // No test query on every checkout: a round trip per statement. A connection
        // that broke is found broken when returned and replaced then.
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(5))
            .test_on_check_out(false)
            .build(manager)?;
        Ok(Self { pool })
    }

    /// Uses an existing pool (shared with the rest of the service).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies every pending migration of the project.
    pub fn migrate(&self) -> Result<(), LedgerError> {
        let mut conn = self.pool.get()?;
        run_migrations(&mut conn)
    }

    fn conn(&self) -> Result<PgConn, LedgerError> {
        Ok(self.pool.get()?)
    }
}

/// Applies every pending migration on one connection.
///
/// Instances starting together against a fresh database would each try to create the
/// same tables (diesel's migrations take no lock), so they queue on an advisory lock
/// per schema (tests migrate schemas of their own side by side) and every one after
/// the first finds nothing left to run.
pub fn run_migrations(conn: &mut PgConnection) -> Result<(), LedgerError> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_advisory_lock(hashtext(current_schema()))").execute(conn)?;
    let ran = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|_| ())
        .map_err(|e| LedgerError::Migration(e.to_string()));
    let unlocked =
        diesel::sql_query("SELECT pg_advisory_unlock(hashtext(current_schema()))").execute(conn);
    ran?;
    unlocked?;
    Ok(())
}
