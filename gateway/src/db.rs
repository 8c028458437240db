//! Running blocking diesel work from async handlers, on the shared pool. A connection
//! is held only for the closure: never across a call to an outside system.

use diesel::pg::PgConnection;

use crate::error::ApiError;
use crate::state::AppState;

/// Runs `work` on a pooled connection on the blocking thread pool.
pub async fn run<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
{
    run_on(&state.ledger, work).await
}

/// Runs `work` on a pooled connection to `database` (a home shard, the catalog).
pub async fn run_on<T, F>(database: &ledger::PgLedger, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = database.pool().clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// A fresh public id: the prefix and 16 random lowercase base32 digits (80 bits).
pub fn new_id(prefix: &str) -> String {
    crate::ids::encode(
        prefix,
        u128::from(rand::random::<u64>()) << 16 | u128::from(rand::random::<u16>()) | 1 << 79,
    )
}
