//! A double-entry ledger on PostgreSQL with TigerBeetle's data model and rigour.
//!
//! Accounts and transfers have client-chosen ids, so every write is idempotent.
//! The API is batch-first: [`PgLedger::create_accounts`] and
//! [`PgLedger::create_transfers`] take many events and return one result per event,
//! applying the batch in one database transaction. [`TransferWriter`] gathers the
//! single transfers of many concurrent callers into such batches (group commit).
//!
//! The rules live in [`engine`], pure functions over the rows a batch touches; the
//! [`store`] loads and locks those rows, runs the engine and writes what it returns.

pub mod engine;
pub mod hash;
mod result;
pub mod shards;
pub mod store;
mod types;
pub mod writer;
pub mod writer_shard;

pub use result::{CreateAccountResult, CreateTransferResult};
pub use store::{
    BrokenLink, ChainLock, EntriesPage, Entry, EntrySide, LedgerError, LedgerTotals, PgLedger,
    Prepared, TransferBatch, VerifyReport, PLANNER_SETTINGS,
};
pub use types::{
    Account, AccountBalance, AccountFlags, PendingHold, PendingStatus, Transfer, TransferFlags,
    MAX_AMOUNT,
};
pub use writer::{BatchObserver, BatchStats, TransferWriter, WriterConfig};
pub use writer_shard::WriterShard;
