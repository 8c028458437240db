//! Measuring and shaking the gateway from outside, through its real API: `loadgen`
//! measures throughput against the one-insert-per-commit ceiling; `chaos` kills the
//! real processes under load and checks that no money was lost or moved twice.

pub mod capacity;
pub mod chaos_books;
pub mod chaos_traffic;
pub mod cluster;
pub mod cpu;
pub mod load;
pub mod seed;
pub mod shard_bench;
pub mod shard_load;
pub mod world;
