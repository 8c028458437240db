//! The ledger over several PostgreSQL clusters: routing by vshard, the clearing
//! accounts between every pair of shards, the cross-shard transfer protocol and its
//! sweeper, and checkpoints that tie the shards' hash chains together.

pub mod checkpoint;
pub mod clearing;
pub mod collection;
mod driver;
pub mod map;
pub mod protocol;

pub use driver::{Shard, ShardError, ShardFailure, ShardedLedger, SweepReport};
