//! The gateway service: citizens' wallets, bills, merchants and providers over HTTP,
//! every movement of money recorded by the double-entry `ledger`, every outside
//! system reached through `adapters`.

pub mod app;
pub mod auth;
pub mod background;
pub mod bills;
pub mod chart;
pub mod citizens;
pub mod collection_sweep;
pub mod commit;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod funding;
pub mod homes;
pub mod idempotency;
pub mod ids;
pub mod instance;
pub mod markers;
pub mod merchants;
pub mod metrics;
pub mod openapi;
pub mod payments;
pub mod reconciliation;
pub mod redis_link;
pub mod revenue;
pub mod routes;
pub mod rules;
pub mod schema;
pub mod shard_set;
pub mod state;
pub mod system_accounts;
pub mod usage;
pub mod web;
