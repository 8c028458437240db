//! The gateway service: citizens' wallets, bills, merchants and providers over HTTP,
//! every movement of money recorded by the double-entry `ledger`, every outside
//! system reached through `adapters`.

pub mod app;
pub mod auth;
pub mod chart;
pub mod config;
pub mod demo;
pub mod error;
pub mod ids;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod system_accounts;
